#pragma once
// Resuming a run in place: the run keeps its id, and whatever it logged after the checkpoint it
// continues from is archived, not deleted and not left to collide with the steps about to be
// logged again. The live tables (metrics, predictions, run_checks) then hold one row per step,
// exactly what an uninterrupted run would hold; the archived tail stays readable, tied to the
// resume that set it aside (archived_metrics, archived_predictions, archived_checks).
//
// What "after the checkpoint" means, for rows that carry different clocks:
// - metrics: step > the checkpoint's step, and every key under a prefix the caller names (the
//   final test metrics are logged at the last checkpoint's own step, after it was written);
// - predictions: epoch > the epochs complete at the checkpoint, and every test prediction
//   (logged once, after the last checkpoint);
// - checks: those stored after it (a checkpoint records how many the run had; a check made
//   during training, such as the flat-loss one at step 100, has no step of its own).
// Everything happens in the one transaction that marks the run running again: a crash halfway
// leaves the run exactly as it was.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/run_store.h"

namespace runboard::storage {

struct ResumeFrom {
    // The checkpoint to continue from; nullopt: none is usable, the run restarts from step 0 and
    // everything it logged is archived.
    std::optional<CheckpointRecord> checkpoint;
    // Metric keys logged after the last checkpoint whatever their step (e.g. "test/").
    std::vector<std::string> alwaysArchivedPrefixes;
};

struct ResumeRecord {
    std::int64_t id = 0;
    std::int64_t atStep = 0, atEpoch = 0;
    std::string at;          // ISO 8601 UTC
    std::string checkpoint;  // empty: restarted from step 0
    std::string fromStatus;  // stopped | interrupted | failed
    std::int64_t archivedRows = 0;
};

struct ResumedRun {
    OwnedRun run;  // the run's lock, held from before the transaction on
    ResumeRecord resume;
};

// Why a run cannot be resumed, as the user would put it; nullopt when it can. A run can be
// resumed when it was stopped, interrupted, or failed after it started training (a failure
// before the first step, such as a pre-flight check or unreadable data, would only repeat).
// InvalidArgument errors: a run still alive (its lock is held) or in the wrong state.
Status checkResumable(RunStore& store, RunId id);

// Takes the run's lock, archives what was logged after `from`'s checkpoint, records the resume
// and marks the run running, in one transaction; rebuilds the run's metric summaries from the
// rows that stay. The run's lock is held by the result.
Result<ResumedRun> beginResume(RunStore& store, RunId id, const ResumeFrom& from);

// A run's resumes, oldest first.
Result<std::vector<ResumeRecord>> resumes(Connection& db, RunId id);
// How many times each resumed run was resumed (runs never resumed are absent).
Result<std::map<RunId, std::int64_t>> resumeCounts(Connection& db);

struct ArchivedPoint {
    std::int64_t resumeId = 0;
    std::int64_t step = 0;
    double value = 0;  // NaN and +-Inf restored
};
// The archived points of one metric key, by resume and step.
Result<std::vector<ArchivedPoint>> archivedSeries(Connection& db, RunId id, std::string_view key);

}  // namespace runboard::storage
