#pragma once
// A comparison of two runs as the CLI prints it and the compare view shows it: the config diff,
// the change-set warnings, the metrics side by side, and the verdicts.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/stats/stats.h"
#include "storage/comparison.h"
#include "storage/lineage.h"

namespace runboard::app {

struct CompareReport {
    storage::RunRecord a, b;
    std::vector<storage::Change> changed;  // a's value -> b's value
    std::vector<storage::MetricPair> metrics;
    std::string warning;  // b's own change set has more than one key
    std::size_t sharedSamples = 0;
    bool publicOnly = false;
    stats::Verdict verdict;                      // paired, on the shared test samples
    std::optional<stats::Verdict> groupVerdict;  // when both are seed-repeat groups
    std::size_t groupSizeA = 0, groupSizeB = 0;
};

storage::Result<CompareReport> compareRuns(storage::RunStore& store, storage::RunId a,
                                           storage::RunId b);
// {changed: {key: [a, b]}, metrics: {key: {a, b, delta}}, verdict: {text, delta, ci_low, ci_high,
// p_value, method}, ...}; values absent on a side are null.
nlohmann::json compareToJson(const CompareReport& report);
std::string compareToText(const CompareReport& report);

}  // namespace runboard::app
