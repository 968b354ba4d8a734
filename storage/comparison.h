#pragma once
// What a comparison of two runs reads: their latest metrics side by side, the test samples both
// were evaluated on (each run's final test evaluation, matched by sample index) and the final
// test accuracies of a group of seed repeats. Competition mode is respected: test metrics and
// samples are the public part only. The statistics themselves are runboard_stats'.

#include <optional>
#include <string>
#include <vector>

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

// The final test accuracy of each finished run of a group (public part in competition mode).
Result<std::vector<double>> groupTestAccuracies(RunStore& store, RunId group);

}  // namespace runboard::storage
