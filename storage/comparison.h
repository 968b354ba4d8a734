#pragma once
// What a comparison of two runs reads: each run's record, latest metrics and final test
// evaluation, the diff of their configs with B's own change-set warning, the leaderboard settings
// (competition mode hides the private part of the test set), and the members of both seed-repeat
// groups. The metrics side by side, the paired samples and the verdicts are computed from it by
// runboard_analysis (engine/analysis/comparison.h).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/leaderboard.h"
#include "storage/predictions.h"
#include "storage/result.h"
#include "storage/run_store.h"

namespace runboard::storage {

struct RunEvidence {
    RunRecord run;
    std::map<std::string, double> metrics;    // latest, unmasked
    std::vector<PredictionRecord> finalTest;  // without probabilities, by sample index
};
Result<RunEvidence> runEvidence(RunStore& store, RunId id);
// Every member of a group of seed repeats.
Result<std::vector<RunEvidence>> groupEvidence(RunStore& store, RunId group);

struct ComparisonData {
    RunEvidence a, b;
    std::vector<Change> changed;  // a's value -> b's value
    std::string warning;          // b's own change set has more than one key
    LeaderboardSettings settings;
    // Both groups, when a and b are seed repeats of two different runs.
    std::optional<std::vector<RunEvidence>> groupA, groupB;
};
Result<ComparisonData> comparisonData(RunStore& store, RunId a, RunId b);

}  // namespace runboard::storage
