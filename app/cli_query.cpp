// `runboard runs` and `runboard show RUN`.

#include <cstdio>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/exit_codes.h"
#include "app/run_json.h"

namespace runboard::app {

int runsCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.addOption(kDbOption);
    parser.addOption(kJsonOption);
    if (auto code = parseSubcommand(parser, args, "runboard runs [--db PATH] [--json]",
                                    "List the runs in a database, oldest first."))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "runs takes no arguments, got '" +
                                    parser.positionalArguments().join(' ').toStdString() + "'");
    auto store = openStore(databasePath(parser), Access::Read);
    if (!store) return failStorage(store.error());

    if (parser.isSet(kJsonOption)) {
        auto runs = store->runs();
        if (!runs) return failStorage(runs.error());
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : runs.value()) {
            auto j = runToJson(store.value(), r.id);
            if (!j) return failStorage(j.error());
            out.push_back(std::move(j.value()));
        }
        std::printf("%s\n", jsonText(out).c_str());
        return kExitOk;
    }
    auto text = runsToText(store.value());
    if (!text) return failStorage(text.error());
    std::fputs(text->c_str(), stdout);
    return kExitOk;
}

int showCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.addOption(kDbOption);
    parser.addOption(kJsonOption);
    parser.addPositionalArgument("RUN", "The run's id (an integer, as `runboard runs` lists).");
    if (auto code = parseSubcommand(parser, args, "runboard show RUN [--db PATH] [--json]",
                                    "Print one run: config, status, latest metrics, checkpoints."))
        return *code;
    const auto id = oneRunId(parser, "show");
    if (!id) return kExitUsage;
    auto store = openStore(databasePath(parser), Access::Read);
    if (!store) return failStorage(store.error());

    if (parser.isSet(kJsonOption)) {
        auto j = runToJson(store.value(), *id);
        if (!j) return failStorage(j.error());
        std::printf("%s\n", jsonText(j.value()).c_str());
        return kExitOk;
    }
    auto text = runToText(store.value(), *id);
    if (!text) return failStorage(text.error());
    std::fputs(text->c_str(), stdout);
    return kExitOk;
}

}  // namespace runboard::app
