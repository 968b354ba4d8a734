#pragma once
// Runs, their params, metrics and checkpoints: the queries the CLI and views use.

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
    bool operator==(const Param&) const = default;
};

struct NewRun {
    std::string name;
    std::optional<RunId> parent;
    std::string configJson;
    std::int64_t seed = 0;
    std::vector<Param> params;
    RunStatus status = RunStatus::Running;
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
    std::string message;  // why it failed or diverged
};

struct CheckpointRecord {
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    std::string path;
};

struct MetricPoint {
    std::int64_t step = 0;
    double wall = 0;
    double value = 0;  // NaN and +-Inf restored
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
    Result<std::vector<RunRecord>> runs();
    Result<std::vector<Param>> params(RunId id);
    // The value at the highest step of every metric key the run has.
    Result<std::map<std::string, double>> latestMetrics(RunId id);
    Result<std::vector<CheckpointRecord>> checkpoints(RunId id);
    Result<std::vector<MetricPoint>> series(RunId id, std::string_view key);
    // Marks runs that claim to be queued or running but whose owner is gone. Returns how many.
    Result<int> recoverInterrupted();

    std::string lockPath(RunId id) const { return runFilesDir(path_, id) + "/lock"; }
    const std::string& path() const { return path_; }
    Connection& connection() { return db_; }

private:
    RunStore(Connection db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
    Connection db_;
    std::string path_;
};

}  // namespace runboard::storage
