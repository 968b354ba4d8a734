// `runboard check`: the pre-flight checklist alone, on a config, without training. Exit 6 when a
// check fails, 0 when all pass or only warn.

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/exit_codes.h"
#include "app/logging.h"
#include "engine/checks.h"
#include "engine/errors.h"

namespace runboard::app {

int checkCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.addOption(kDbOption);
    parser.addOption(kConfigOption);
    parser.addOption(kSetOption);
    parser.addOption(kJsonOption);
    const QString usage =
        "runboard check [--db PATH] [--config FILE] [--set KEY=VALUE]... [--json]";
    if (auto code = parseSubcommand(
            parser, args, usage,
            "Run the pre-flight checklist on a config without training: duplicates between "
            "splits, class balance and input statistics, the initial loss against ln K, "
            "one-batch overfitting, train()/eval() and BatchNorm, gradients (dead, non-finite, "
            "accumulating) and whether training is data-bound. Writes nothing to the database "
            "(train stores the checklist with its run). Exit 6 when a check fails."))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "check takes no positional arguments, got '" +
                                    parser.positionalArguments().join(' ').toStdString() + "'");
    config::Config cfg = config::Config::defaults();
    try {
        cfg = configFromOptions(parser);
    } catch (const config::ConfigError& e) {
        return fail(kExitUsage, e.what());
    }
    std::vector<engine::CheckResult> results;
    try {
        results = engine::runChecks(cfg);
    } catch (const engine::DataError& e) {
        return fail(kExitData, e.what());
    } catch (const std::exception& e) {
        return fail(kExitFailure, e.what());
    }
    if (parser.isSet(kJsonOption)) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : results)
            out.push_back({{"name", r.name},
                           {"status", std::string(engine::checkStatusName(r.status))},
                           {"value", std::isfinite(r.value) ? nlohmann::json(r.value)
                                                            : nlohmann::json(nullptr)},
                           {"message", r.message},
                           {"details", r.details}});
        std::printf("%s\n", jsonText(out).c_str());
    } else {
        for (const auto& r : results) {
            std::printf("%-4s  %-24s %s\n", std::string(engine::checkStatusName(r.status)).c_str(),
                        r.name.c_str(), r.message.c_str());
            for (const auto& d : r.details)
                std::printf("      %-24s %s\n", "", d.c_str());
        }
    }
    return engine::anyFailed(results) ? kExitCheckFailed : kExitOk;
}

}  // namespace runboard::app
