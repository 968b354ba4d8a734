// `runboard compare RUN_A RUN_B`: the config keys that differ, the metrics side by side with
// B − A, and whether the test-accuracy difference is above noise (McNemar's exact test and a
// paired bootstrap on the shared test samples; with seed-repeat groups, Welch's t-test too).

#include <cmath>
#include <cstdio>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/compare_report.h"
#include "app/exit_codes.h"

namespace runboard::app {

int compareCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.addOption(kDbOption);
    parser.addOption(kJsonOption);
    parser.addPositionalArgument("RUN_A", "The baseline run's id.");
    parser.addPositionalArgument("RUN_B", "The run compared with it.");
    if (auto code = parseSubcommand(
            parser, args, "runboard compare RUN_A RUN_B [--db PATH] [--json]",
            "Compare two runs one change at a time: the config keys that differ, the metrics "
            "with B − A, and whether the test-accuracy difference is above noise."))
        return *code;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 2)
        return fail(kExitUsage, "compare expects two run ids (see runboard compare --help)");
    const auto a = parseRunId(pos[0]), b = parseRunId(pos[1]);
    for (int i = 0; i < 2; ++i)
        if (!(i == 0 ? a : b))
            return fail(kExitUsage,
                        "run id must be a positive integer, got '" + pos[i].toStdString() + "'");
    auto store = openStore(databasePath(parser), Access::Read);
    if (!store) return failStorage(store.error());
    auto report = storage::comparisonData(store.value(), *a, *b).transform(analysis::compareRuns);
    if (!report) return failStorage(report.error());
    const std::string out = parser.isSet(kJsonOption)
                                ? jsonText(compareToJson(report.value())) + "\n"
                                : compareToText(report.value());
    std::fputs(out.c_str(), stdout);
    return kExitOk;
}

}  // namespace runboard::app
