#pragma once
// A comparison of two runs as `runboard compare` prints it and the compare view shows it: the
// metrics side by side, the test samples both final test evaluations share (matched by sample
// index), and the verdicts of runboard_stats on them and on two groups of seed repeats.
// Competition mode is respected: test metrics and samples are the public part only. What it is
// computed from is read by storage::comparisonData.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "engine/analysis/test_mask.h"
#include "engine/stats/stats.h"
#include "storage/comparison.h"

namespace runboard::analysis {

struct MetricPair {
    std::string key;
    std::optional<double> a, b;
};
// Every latest metric either run has, by key.
std::vector<MetricPair> metricPairs(const std::map<std::string, double>& a,
                                    const std::map<std::string, double>& b);

struct PairedSamples {
    std::vector<std::int64_t> sampleIndex;
    std::vector<bool> aCorrect, bCorrect;
    bool publicOnly = false;
};
// The samples both final test evaluations share (both sorted by sample index), those the mask
// shows.
PairedSamples pairedTestSamples(const std::vector<storage::PredictionRecord>& a,
                                const std::vector<storage::PredictionRecord>& b,
                                const PrivateTestMask& mask);

// The metric of each finished run of a group as the mask shows it; runs without it are left out.
std::vector<double> groupMetricValues(const std::vector<storage::RunEvidence>& group,
                                      const PrivateTestMask& mask,
                                      const std::string& key = "test/accuracy");

struct CompareReport {
    storage::RunRecord a, b;
    std::vector<storage::Change> changed;  // a's value -> b's value
    std::vector<MetricPair> metrics;
    std::string warning;  // b's own change set has more than one key
    std::size_t sharedSamples = 0;
    bool publicOnly = false;
    stats::Verdict verdict;                      // paired, on the shared test samples
    std::optional<stats::Verdict> groupVerdict;  // when both are seed-repeat groups
    std::size_t groupSizeA = 0, groupSizeB = 0;
};

CompareReport compareRuns(const storage::ComparisonData& data);

}  // namespace runboard::analysis
