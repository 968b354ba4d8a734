#pragma once
// Liveness of a run: the process that owns a run holds an exclusive flock on a small file.
// The kernel drops the lock when the process dies (even by SIGKILL), so a run whose status is
// still 'running' but whose lock is free was interrupted.

#include <string>

#include "storage/result.h"

namespace runboard::storage {

// Where a run's own files (lock, checkpoints) live: "<db>.files/run-<id>". Give it the
// database's resolved name (RunStore::path()): a lock found through another spelling of the same
// file (a symlink, a relative path) would be a different lock, and a live run would look dead.
std::string runFilesDir(const std::string& dbPath, std::int64_t runId);

class RunLock {
public:
    RunLock() = default;
    RunLock(RunLock&& other) noexcept;
    RunLock& operator=(RunLock&& other) noexcept;
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;
    ~RunLock();

    // Creates the directory if needed and takes the lock without waiting.
    static Result<RunLock> acquire(const std::string& path);
    // True when some open file description (this process included) holds the lock.
    static bool isHeld(const std::string& path);

    bool held() const { return fd_ >= 0; }
    void release();

private:
    int fd_ = -1;
};

}  // namespace runboard::storage
