#pragma once
// Runs, their params, metrics and checkpoints: the queries the CLI and views use.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/run_lock.h"
#include "storage/schema.h"

namespace runboard::storage {

using RunId = std::int64_t;

enum class RunStatus { Queued, Running, Finished, Stopped, Failed, Diverged, Interrupted };
std::string_view toString(RunStatus status);
std::optional<RunStatus> parseRunStatus(std::string_view text);
bool isTerminal(RunStatus status);

struct Param {
    std::string key;
    std::string value;  // as text: "0.1", "cnn", "true"
    std::string type;   // bool | int | float | string
    // How the run executes (threads, checks), not what it learns: not a change in lineage.
    bool operational = false;
    bool operator==(const Param&) const = default;
};

struct NewRun {
    std::string name;
    std::optional<RunId> parent;
    std::string configJson;
    std::int64_t seed = 0;
    std::vector<Param> params;
    RunStatus status = RunStatus::Running;
    std::optional<RunId> group;  // a seed repeat of this run (which joins the group too)
};

struct RunRecord {
    RunId id = 0;
    std::string name;
    std::optional<RunId> parent;
    RunStatus status = RunStatus::Queued;
    std::string createdAt, startedAt, finishedAt;  // ISO 8601 UTC, empty when unset
    std::string configJson;
    std::int64_t seed = 0;
    std::string notes;
    std::string message;         // why it failed or diverged
    std::optional<RunId> group;  // seed repeats: the id of the run they repeat
};

struct CheckpointRecord {
    std::int64_t epoch = 0;  // epochs complete at `step` (a mid-epoch one is inside epoch + 1)
    std::int64_t step = 0;
    std::string path;
    // The file's CRC-32 and size as written; nullopt for checkpoints from before schema v9.
    std::optional<std::int64_t> crc32, bytes;
    std::int64_t checks = 0;  // how many checks the run had stored when it was written
};

struct MetricPoint {
    std::int64_t step = 0;
    double wall = 0;
    double value = 0;  // NaN and +-Inf restored
};

// One line of the runs table: the run, a few key params and its latest headline metrics.
// A key a run changed against its parent (storage/lineage.h).
struct Change {
    std::string key;
    std::optional<std::string> from, to;  // nullopt: the key is absent on that side
    bool operator==(const Change&) const = default;
};

struct RunOverview {
    RunRecord run;
    std::map<std::string, std::string> params;  // the keys asked for
    std::map<std::string, double> metrics;      // the keys asked for that the run has
    std::vector<Change> changes;                // against its parent
    std::string checks;  // the checklist's worst status: pass | warn | fail, empty without one
    std::int64_t resumes = 0;  // how many times the run was resumed (storage/resume_store.h)
};

// A run created by this process: the lock proves it is alive to every other process.
struct OwnedRun {
    RunId id = 0;
    RunLock lock;
};

class RunStore {
public:
    // Opens (creating and migrating as needed); a writable open also marks dead runs
    // 'interrupted'.
    static Result<RunStore> open(const std::string& path, const OpenOptions& options = {});

    Result<OwnedRun> createRun(const NewRun& run);
    Status setStatus(RunId id, RunStatus status, std::string_view message = {});
    Result<RunRecord> run(RunId id);
    Status rename(RunId id, std::string_view name);
    Status setNotes(RunId id, std::string_view notes);
    // Deletes the run, its rows (cascading) and its files (checkpoints, lock).
    Status deleteRun(RunId id);
    Result<std::vector<RunRecord>> runs();
    Result<std::vector<Param>> params(RunId id);
    // Replaces the value of one of the run's params (a choice resolved once the data is known:
    // model = auto) and recomputes the stored change sets of the run and of its children, so
    // lineage compares what trained. NotFound when the run has no such param.
    Status setParam(RunId id, std::string_view key, std::string_view value);
    // The value at the highest step of every metric key the run has.
    Result<std::map<std::string, double>> latestMetrics(RunId id);
    Result<std::vector<CheckpointRecord>> checkpoints(RunId id);
    Result<std::vector<MetricPoint>> series(RunId id, std::string_view key);
    // The metric keys a run has, sorted.
    Result<std::vector<std::string>> metricKeys(RunId id);
    // The first and last step of a series; nullopt when it has no rows.
    Result<std::optional<std::pair<std::int64_t, std::int64_t>>> stepRange(RunId id,
                                                                           std::string_view key);
    // The wall clock (unix seconds) of a series at the given steps; steps without a row are
    // left out.
    Result<std::vector<std::pair<std::int64_t, double>>> wallClock(
        RunId id, std::string_view key, const std::vector<std::int64_t>& steps);
    // Every run with the given params and latest metrics, in three queries whatever the count.
    Result<std::vector<RunOverview>> overview(const std::vector<std::string>& paramKeys,
                                              const std::vector<std::string>& metricKeys);
    // Marks runs that claim to be queued or running but whose owner is gone. Returns how many.
    Result<int> recoverInterrupted();

    // The run's own files (checkpoints, lock), beside the database's one resolved name.
    std::string filesDir(RunId id) const { return runFilesDir(path_, id); }
    std::string lockPath(RunId id) const { return filesDir(id) + "/lock"; }
    // The database file's absolute name with symlinks resolved (storage::databaseFile).
    const std::string& path() const { return path_; }
    Connection& connection() { return db_; }
    // How long a write waits for another process's lock (10 s from open).
    void setBusyTimeout(std::chrono::milliseconds timeout);

private:
    RunStore(Connection db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
    Connection db_;
    std::string path_;
};

}  // namespace runboard::storage
