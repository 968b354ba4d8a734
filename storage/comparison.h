#pragma once
// What a comparison of two runs reads: their latest metrics side by side, the test samples both
// were evaluated on (each run's final test evaluation, matched by sample index) and the final
// test accuracies of a group of seed repeats; and the whole comparison with its verdicts (the
// statistics are runboard_stats'). Competition mode is respected: test metrics and samples are
// the public part only.

#include <optional>
#include <string>
#include <vector>

#include "engine/stats/stats.h"
#include "storage/result.h"
#include "storage/run_store.h"

namespace runboard::storage {

struct MetricPair {
    std::string key;
    std::optional<double> a, b;
};
// Every latest metric either run has, by key.
Result<std::vector<MetricPair>> metricPairs(RunStore& store, RunId a, RunId b);

struct PairedSamples {
    std::vector<std::int64_t> sampleIndex;
    std::vector<bool> aCorrect, bCorrect;
    bool publicOnly = false;
};
// The samples both runs' final test evaluations share, by sample index.
Result<PairedSamples> pairedTestSamples(Connection& db, RunId a, RunId b);

// The latest value of a metric for each finished run of a group (test metrics on the public part
// in competition mode); runs without it are left out.
Result<std::vector<double>> groupMetricValues(RunStore& store, RunId group,
                                              const std::string& key = "test/accuracy");

// A comparison of two runs as `runboard compare` prints it and the compare view shows it: the
// config diff, B's own change-set warning, the metrics side by side, and the verdicts.
struct CompareReport {
    RunRecord a, b;
    std::vector<Change> changed;  // a's value -> b's value
    std::vector<MetricPair> metrics;
    std::string warning;  // b's own change set has more than one key
    std::size_t sharedSamples = 0;
    bool publicOnly = false;
    stats::Verdict verdict;                      // paired, on the shared test samples
    std::optional<stats::Verdict> groupVerdict;  // when both are seed-repeat groups
    std::size_t groupSizeA = 0, groupSizeB = 0;
};

Result<CompareReport> compareRuns(RunStore& store, RunId a, RunId b);

}  // namespace runboard::storage
