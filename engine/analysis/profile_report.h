#pragma once
// Where a run's time goes, from what it stored: the step phases per epoch (the time/* metrics),
// how far its arithmetic is from the machine's limit (its model cost and measured peak), its op
// profiler windows, and the diff of two runs' op tables. One computation for `runboard profile`
// and the Profile tab, so that both tell the same story.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/profile_store.h"
#include "storage/run_store.h"

namespace runboard::analysis {

// The phases in the order a step runs them; their metrics are "time/<name>" in ms (allreduce:
// data-parallel runs only).
inline constexpr std::array<std::string_view, 8> kPhaseNames{
    "data", "forward", "loss", "backward", "allreduce", "optimizer", "observer", "other"};
using PhaseMs = std::array<double, kPhaseNames.size()>;

struct EpochPhases {
    std::int64_t step = 0;  // the step the epoch ended at
    PhaseMs ms{};           // the epoch's mean step, by phase
    double stepMs = 0;
    double evalSeconds = 0;  // NaN when not logged
    double peakRssMb = 0;    // NaN when not logged
};

struct ProfileReport {
    std::vector<EpochPhases> epochs;
    // The mean over epochs (each epoch weighs the same).
    PhaseMs meanMs{};
    double stepMs = 0;
    double dataShare = 0;
    bool dataBound = false;
    std::string dataAdvice;  // the data.bound check's words when dataBound

    std::optional<storage::RunCost> cost;
    // Training FLOPs per step: 3 x forward (an estimate: backward taken as 2 x forward) x batch.
    std::optional<double> trainFlopsPerStep, achievedGflops, peakGflops, shareOfPeak;

    std::vector<storage::ProfileWindowRow> windows;
};

// Whether a table or chart shows phase `i`: every phase, but allreduce only for a data-parallel
// run (the others have none).
bool phaseShown(const ProfileReport& report, std::size_t i);

// `series`: each stored time/* and memory/* metric by key (absent keys are fine: a run from before
// the breakdown has none, and its report has no epochs).
ProfileReport buildProfileReport(
    const std::vector<std::pair<std::string, std::vector<storage::MetricPoint>>>& series,
    std::optional<storage::RunCost> cost, std::vector<storage::ProfileWindowRow> windows);
// The keys buildProfileReport reads.
std::vector<std::string> profileMetricKeys();

// One op name's self time per step in two windows (shapes merged), and the difference b - a.
struct OpDiff {
    std::string name;
    double aUs = 0, bUs = 0;              // self time per step
    std::int64_t aCalls = 0, bCalls = 0;  // per step, rounded
    double deltaUs() const { return bUs - aUs; }
};
// Sorted by |delta|, largest first.
std::vector<OpDiff> diffOps(const storage::ProfileWindowRow& a, const storage::ProfileWindowRow& b);

}  // namespace runboard::analysis
