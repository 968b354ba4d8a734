#pragma once
// One training run, end to end, with everything it needs from storage: the store, the owned
// run (its liveness lock), the writer and the recorder. The CLI uses it today; the GUI worker
// will use the same object on its QThread.

#include <atomic>
#include <memory>
#include <string>

#include "engine/checks.h"
#include "engine/config/config.h"
#include "engine/observer.h"
#include "engine/trainer.h"
#include "storage/checks_store.h"
#include "storage/resume_store.h"
#include "storage/run_store.h"
#include "storage/writer.h"

namespace runboard::app {

struct RunRequest {
    // The row as the store wants it.
    storage::NewRun toNewRun(storage::RunStatus status) const;

    config::Config config;
    std::string name;  // empty: derived from the config
    std::optional<storage::RunId> parent;
    std::optional<storage::RunId> group;  // a seed repeat of this run
};

struct RunOutcome {
    storage::RunId id = 0;
    storage::RunStatus status = storage::RunStatus::Failed;
    std::string message;
    bool checkFailed = false;  // a pre-flight check failed: the run never trained
    // Nothing more could be stored (a full disk, an I/O error, an unwritable file or folder):
    // the CLI's exit code 4.
    bool storageFailed = false;
    // Another process held the database's write lock past the stop's grace period: rows or the
    // status were not stored (the CLI's exit code 7).
    bool storageBusy = false;
};

// The checkpoint a run resumes from, and the newer ones that could not be used (missing, damaged
// or unreadable), each said in a sentence; no checkpoint: the run restarts from step 0.
struct ResumeChoice {
    std::optional<storage::CheckpointRecord> checkpoint;
    std::vector<std::string> skipped;
};

// Prepares `trainer` (its data loaded) to continue the run from its newest usable checkpoint:
// each newer one whose file fails its checksum or cannot be read is skipped with a warning.
// Throws engine::ResumeRefused when the config or data changed since (no older checkpoint would
// match either) and engine::DataError.
ResumeChoice chooseCheckpoint(storage::RunStore& store, storage::RunId id,
                              engine::Trainer& trainer);

// The checklist's results as the store keeps them.
std::vector<storage::CheckRow> checkRows(const std::vector<engine::CheckResult>& results);

// The params table's form of a config: dotted keys with typed text values.
std::vector<storage::Param> configParams(const config::Config& config);
std::string defaultRunName(const config::Config& config);

class RunSession {
public:
    // Opens the database and writer; the run row is created by start().
    static storage::Result<std::unique_ptr<RunSession>> open(const std::string& dbPath);

    // Creates the run (status running, or queued) and returns its id.
    storage::Result<storage::RunId> start(const RunRequest& request,
                                          storage::RunStatus status = storage::RunStatus::Running);
    // Takes over a run created elsewhere in this process (e.g. queued by the GUI) and marks it
    // running.
    storage::Status adopt(storage::OwnedRun run);
    // Takes over a stopped, interrupted or failed run to continue it (storage::beginResume):
    // what it logged after the chosen checkpoint is archived, and train() continues from it
    // without the pre-flight checklist (which ran before its first step). From step 0 (no
    // checkpoint), train() runs as for a new run.
    storage::Result<storage::ResumeRecord> resume(storage::RunId id, const ResumeChoice& choice);
    // Trains the started run: first the pre-flight checklist (unless checks.enabled is false),
    // stored with the run; a failed check ends the run as failed before it trains. Engine
    // exceptions are caught here, logged, and end the run as failed; the status is written after
    // every queued row is committed.
    RunOutcome train(engine::Trainer& trainer, engine::Observer* extra = nullptr);

    storage::RunStore& store() { return store_; }

private:
    RunSession(storage::RunStore store, std::unique_ptr<storage::Writer> writer)
        : store_(std::move(store)), writer_(std::move(writer)) {}
    storage::RunStore store_;
    std::unique_ptr<storage::Writer> writer_;
    storage::OwnedRun run_;
    std::optional<storage::CheckpointRecord> resumedFrom_;
};

}  // namespace runboard::app
