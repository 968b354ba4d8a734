// `runboard lr-find`: validate the config and the sweep options, read the data, sweep, then store
// the sweep whole and print its suggestions. A sweep that ends because the loss exploded has
// succeeded: that is what it is for.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/exit_codes.h"
#include "app/logging.h"
#include "app/sweep_job.h"
#include "engine/errors.h"
#include "engine/lr_finder.h"
#include "storage/schema.h"

namespace runboard::app {

namespace {

// Parses a number option; nullopt (and a message) when it is not a finite number or integer.
template <typename T>
std::optional<T> numberOption(const QCommandLineParser& parser, const QCommandLineOption& option,
                              T fallback, std::string& problem) {
    if (!parser.isSet(option)) return fallback;
    const QString text = parser.value(option);
    bool ok = false;
    T value{};
    if constexpr (std::is_integral_v<T>)
        value = static_cast<T>(text.toLongLong(&ok));
    else
        value = text.toDouble(&ok);
    if (!ok || (std::is_floating_point_v<T> && !std::isfinite(static_cast<double>(value)))) {
        problem = "--" + option.names().front().toStdString() + " must be a" +
                  (std::is_integral_v<T> ? "n integer" : " number") + ", got '" +
                  text.toStdString() + "'";
        return std::nullopt;
    }
    return value;
}

}  // namespace

int lrFindCommand(const QStringList& args) {
    const sweep::Options defaults;
    QCommandLineParser parser;
    const QCommandLineOption startOpt("start", "The first LR (default 1e-7).", "X");
    const QCommandLineOption endOpt("end", "The last LR (default 10).", "Y");
    const QCommandLineOption stepsOpt("steps", "Mini-batches at most (default 100).", "N");
    const QCommandLineOption modeOpt("mode", "How the LR grows: exp or linear (default exp).",
                                     "exp|linear");
    const QCommandLineOption betaOpt(
        "beta", "Smoothing of the loss, a debiased moving average; 0 = none (default 0.98).", "B");
    const QCommandLineOption factorOpt(
        "stop-factor", "Stop when the smoothed loss exceeds F x its best (default 4).", "F");
    const QCommandLineOption nameOpt("name", "The sweep's name.", "NAME");
    for (const auto* o : {&kDbOption, &kConfigOption, &kSetOption, &startOpt, &endOpt, &stepsOpt,
                          &modeOpt, &betaOpt, &factorOpt, &nameOpt, &kJsonOption})
        parser.addOption(*o);
    const QString usage =
        "runboard lr-find [--db PATH] [--config FILE] [--set K=V]... [--start X] [--end Y] "
        "[--steps N] [--mode exp|linear] [--beta B] [--stop-factor F] [--name NAME] [--json]";
    const QString description = QString::fromStdString(
        "Sweep the learning rate over mini-batches of the run config's model, optimizer and data,\n"
        "growing it geometrically (or linearly) until the smoothed loss explodes. The model and\n"
        "optimizer are restored afterwards. The sweep is stored with every point and every rule's\n"
        "suggestion; it prints the suggestions and the stop point (with --json, one object: id,\n"
        "stop {lr, step, reason}, suggestions {rule: lr}, points [{lr, loss, smoothed}]).\n"
        "A sweep that stops because the loss exploded has succeeded (exit 0).\n\n"
        "Config keys (KEY TYPE DEFAULT MEANING):\n" +
        configKeyList());
    if (auto code = parseSubcommand(parser, args, usage, description)) return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "lr-find takes no positional arguments, got '" +
                                    parser.positionalArguments().join(' ').toStdString() + "'");

    // 1. The config and the sweep options, before anything else.
    SweepRequest request{config::Config::defaults(), defaults, parser.value(nameOpt).toStdString()};
    try {
        request.config = configFromOptions(parser);
    } catch (const config::ConfigError& e) {
        return fail(kExitUsage, e.what());
    }
    std::string problem;
    sweep::Options& o = request.options;
    auto start = numberOption(parser, startOpt, defaults.start, problem);
    auto end = numberOption(parser, endOpt, defaults.end, problem);
    auto steps = numberOption(parser, stepsOpt, defaults.steps, problem);
    auto beta = numberOption(parser, betaOpt, defaults.beta, problem);
    auto factor = numberOption(parser, factorOpt, defaults.stopFactor, problem);
    if (!problem.empty()) return fail(kExitUsage, problem);
    o.start = *start, o.end = *end, o.steps = *steps, o.beta = *beta, o.stopFactor = *factor;
    if (parser.isSet(modeOpt)) {
        const auto mode = sweep::kModeNames.parse(parser.value(modeOpt).toStdString());
        if (!mode)
            return fail(kExitUsage, "--mode must be exp or linear, got '" +
                                        parser.value(modeOpt).toStdString() + "'");
        o.mode = *mode;
    }
    if (const std::string invalid = sweep::validate(o); !invalid.empty())
        return fail(kExitUsage, invalid);

    // 2. The database's name (and an existing file's format) before the data; the data before
    // the database is created, so that a missing dataset leaves no empty file behind; then the
    // database, before a sweep is spent on it.
    const std::string dbPath = databasePath(parser);
    if (auto file = storage::databaseFile(dbPath, /*mustExist=*/false); !file)
        return failStorage(file.error());
    if (std::error_code ec; std::filesystem::exists(dbPath, ec))
        if (auto store = openStore(dbPath, Access::Write); !store)
            return failStorage(store.error());
    setupLogging(dbPath);
    engine::LrFinder finder(request.config, o);
    try {
        finder.loadData();
    } catch (const engine::DataError& e) {
        return fail(kExitData, e.what());
    }
    if (auto store = openStore(dbPath, Access::Write); !store) return failStorage(store.error());

    // 3. Sweep; Ctrl-C stops between steps and the partial sweep is kept.
    const bool tty = isatty(fileno(stderr)) == 1;
    const auto began = std::chrono::steady_clock::now();
    sweep::Result result;
    try {
        InterruptGuard interrupt;
        result = finder.run({nullptr,
                             [&](const sweep::Point& p) {
                                 if (!tty) return;
                                 std::fprintf(stderr, "\rstep %d/%d  lr %.3g  loss %.4f   ",
                                              p.step + 1, o.steps, p.lr, p.loss);
                             }},
                            &InterruptGuard::flag());
    } catch (const std::exception& e) {
        spdlog::error("lr sweep failed: {}", e.what());
        return fail(kExitFailure, e.what());
    }
    if (tty) std::fputs("\n", stderr);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

    // 4. Store it whole and print it.
    if (request.name.empty()) request.name = defaultSweepName(finder.config());  // model resolved
    auto id = storeSweep(dbPath, request, result, seconds);
    if (!id) return failStorage(id.error());
    auto store = openStore(dbPath, Access::Read);
    if (!store) return failStorage(store.error());
    auto record = storage::sweepRecord(store->connection(), id.value());
    if (!record) return failStorage(record.error());
    if (parser.isSet(kJsonOption)) {
        auto points = storage::sweepPoints(store->connection(), id.value());
        if (!points) return failStorage(points.error());
        std::printf("%s\n", jsonText(sweepToJson(record.value(), points.value())).c_str());
    } else {
        std::fputs(sweepToText(record.value()).c_str(), stdout);
    }
    return result.stop.reason == sweep::StopReason::Stopped ? kExitInterrupted : kExitOk;
}

}  // namespace runboard::app
