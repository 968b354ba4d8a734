// `runboard train`: validate everything that can be validated before touching the database,
// then train, with Ctrl-C ending the run cleanly.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/exit_codes.h"
#include "app/logging.h"
#include "app/progress.h"
#include "app/run_json.h"
#include "app/run_session.h"
#include "engine/errors.h"
#include "engine/trainer.h"
#include "storage/leaderboard.h"

namespace runboard::app {

int trainCommand(const QStringList& args) {
    QCommandLineParser parser;
    const QCommandLineOption nameOpt("name", "The run's name.", "NAME");
    const QCommandLineOption parentOpt("parent", "The run this one derives from.", "RUN");
    parser.addOption(kDbOption);
    parser.addOption(kConfigOption);
    parser.addOption(kSetOption);
    parser.addOption(nameOpt);
    parser.addOption(parentOpt);
    parser.addOption(kJsonOption);
    const QString usage =
        "runboard train [--db PATH] [--config FILE.json] [--set KEY=VALUE]... [--name NAME] "
        "[--parent RUN] [--json]";
    const QString description = QString::fromStdString(
        "Train a model and log every metric and prediction to the database.\n"
        "Prints the run id (with --json, the same object as `runboard show --json`).\n\n"
        "Config keys (KEY TYPE DEFAULT MEANING):\n" +
        configKeyList());
    if (auto code = parseSubcommand(parser, args, usage, description)) return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "train takes no positional arguments, got '" +
                                    parser.positionalArguments().join(' ').toStdString() + "'");

    // 1. The config: defaults, then the file, then each --set, then the ranges.
    config::Config cfg = config::Config::defaults();
    std::optional<storage::RunId> parent;
    try {
        cfg = configFromOptions(parser);
        if (parser.isSet(parentOpt)) {
            parent = parseRunId(parser.value(parentOpt));
            if (!parent)
                throw config::ConfigError("--parent must be a run id, got '" +
                                          parser.value(parentOpt).toStdString() + "'");
        }
    } catch (const config::ConfigError& e) {
        return fail(kExitUsage, e.what());
    }
    // The database's name and the parent, before the minutes a dataset can take to load.
    const std::string dbPath = databasePath(parser);
    if (auto file = storage::databaseFile(dbPath, /*mustExist=*/false); !file)
        return failStorage(file.error());
    if (parent) {
        // Write access when the file exists: an older schema is upgraded, as training would.
        std::error_code ec;
        auto store =
            openStore(dbPath, std::filesystem::exists(dbPath, ec) ? Access::Write : Access::Read);
        if (!store) return failStorage(store.error());
        if (auto p = store->run(*parent); !p)
            return fail(kExitUsage, "--parent " + std::to_string(*parent) + ": no run with id " +
                                        std::to_string(*parent) + " in '" + dbPath + "'");
    }

    // 2. The data, before the database: a missing dataset leaves no trace.
    setupLogging(dbPath);
    engine::Trainer trainer(cfg, {.checkpointDir = {}, .stop = &InterruptGuard::flag()});
    try {
        trainer.loadData();
    } catch (const engine::DataError& e) {
        return fail(kExitData, e.what());
    }

    // 3. The database.
    auto session = RunSession::open(dbPath);
    if (!session) return failStorage(session.error());
    RunRequest request{cfg, parser.value(nameOpt).toStdString(), parent};
    auto id = session.value()->start(request);
    if (!id) return failStorage(id.error());
    spdlog::info("run {} in {}", id.value(), dbPath);

    // 4. Train. Checkpoints live beside the database; Ctrl-C stops within one step.
    trainer.setCheckpointDir(session.value()->store().filesDir(id.value()));
    ProgressPrinter progress(stderr);
    auto hideTest = storage::competitionMode(session.value()->store().connection());
    if (!hideTest) return failStorage(hideTest.error());
    progress.setHideTest(hideTest.value());
    const RunOutcome outcome = [&] {
        InterruptGuard interrupt;
        return session.value()->train(trainer, &progress);
    }();

    if (parser.isSet(kJsonOption)) {
        auto j = runToJson(session.value()->store(), outcome.id);
        if (!j) return failStorage(j.error());
        std::printf("%s\n", jsonText(j.value()).c_str());
    } else {
        std::printf("%lld\n", static_cast<long long>(outcome.id));
    }
    if (outcome.storageBusy) {
        return fail(kExitBusy, "run " + std::to_string(outcome.id) +
                                   ": stopped while the database was busy: " + outcome.message);
    }
    if (outcome.storageFailed && outcome.status != storage::RunStatus::Failed) {
        // Trained, but its final status could not be stored (the database shows it running
        // until the next open marks it interrupted).
        return fail(kExitDatabase,
                    "run " + std::to_string(outcome.id) +
                        ": its final status could not be recorded: " + outcome.message);
    }
    switch (outcome.status) {
        case storage::RunStatus::Finished:
            return kExitOk;
        case storage::RunStatus::Stopped:
            return kExitInterrupted;
        case storage::RunStatus::Diverged:
            spdlog::error("run {} diverged: {}", outcome.id, outcome.message);
            return kExitDiverged;
        default:
            if (!outcome.message.empty())
                std::fprintf(stderr, "runboard: run %lld failed: %s\n",
                             static_cast<long long>(outcome.id), outcome.message.c_str());
            return outcome.checkFailed     ? kExitCheckFailed
                   : outcome.storageFailed ? kExitDatabase
                                           : kExitFailure;
    }
}

}  // namespace runboard::app
