#pragma once
// The batched asynchronous writer. Producers (the training thread) append rows to an in-memory
// queue under a short mutex and never wait on disk; a writer thread with its own connection
// commits everything queued in one transaction at least every `flushInterval`, and on flush().
//
// It never drops a row while the process lives: when another process holds the database's write
// lock past `busyTimeout`, the batch is kept and retried with backoff (up to 2 s apart), and a
// warning says how long it has waited every `warnAfter`. What ends the writer is a failure that
// waiting cannot fix (a full disk, an I/O error, a run deleted under it): failed() turns true,
// the producer stops training, and the first such error is reported by flush() and lastError().
// Each commit also proves its runs alive (runs.alive_at), which dates an interrupted run's end.
//
// Waiting ends only when the process is asked to stop: once the stop flag given to flush() is
// set, or in the destructor, a lock still held after `stopGrace` makes the writer give up the
// rows it holds (counted in stats().rowsDropped and named in the Busy error), so one SIGTERM
// ends `train` within seconds. 5 s: under the 10 s a container runtime allows before SIGKILL.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/result.h"

namespace runboard::storage {

// A metric key interned in this writer (not a database id: resolved on the writer thread).
using KeyHandle = std::uint32_t;

struct PredictionRow {
    std::int64_t runId = 0;
    std::string_view split;  // "train" | "val" | "test"; must be one of these literals
    std::int64_t epoch = 0;
    std::int64_t sampleIndex = 0;
    std::int32_t target = 0;
    std::int32_t predicted = 0;
    float confidence = 0;
    float loss = 0;
    std::vector<float> probs;
};

struct WriterOptions {
    std::chrono::milliseconds flushInterval{250};
    // A batch this large is committed without waiting for the interval.
    std::size_t maxBatchRows = 200'000;
    // How long one attempt waits for another process's write lock before backing off.
    std::chrono::milliseconds busyTimeout{10'000};
    std::chrono::milliseconds warnAfter{10'000};
    // Once stopping (flush's stop flag, or the destructor): how long a busy lock is still waited
    // for before the queued rows are given up.
    std::chrono::milliseconds stopGrace{5'000};
};

struct WriterStats {
    std::uint64_t rowsCommitted = 0;
    std::uint64_t commits = 0;
    std::uint64_t busyRetries = 0;  // commits retried because another process held the lock
    std::uint64_t rowsDropped = 0;  // given up after the stop grace while the lock was held
};

class Writer {
public:
    static Result<std::unique_ptr<Writer>> open(const std::string& dbPath,
                                                const WriterOptions& options = {});
    ~Writer();  // flushes (within stopGrace when the database is busy) and joins
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    KeyHandle key(std::string_view name);
    void metric(std::int64_t runId, KeyHandle key, std::int64_t step, double value, double wall);
    // Several keys of one step under one lock (the training thread's per-step cost).
    void metrics(std::int64_t runId, std::int64_t step, double wall,
                 std::span<const std::pair<KeyHandle, double>> values);
    void prediction(PredictionRow row);
    // A whole evaluation's rows under one lock.
    void predictions(std::vector<PredictionRow> rows);
    // `epoch`: epochs complete at `step`; crc32 and bytes: the file's checksum and size.
    void checkpointAdded(std::int64_t runId, std::int64_t epoch, std::int64_t step,
                         std::string path, std::uint32_t crc32, std::int64_t bytes);
    void checkpointRemoved(std::string path);

    // Blocks until everything queued before the call is committed; returns the first error.
    // With `stop`: once *stop is set, a busy database is waited for at most stopGrace more, then
    // the queued rows are given up and a Busy error says how many were not stored.
    Status flush(const std::atomic<bool>* stop = nullptr);
    // The first commit error since open, if any (rows of a failed batch are not retried).
    Status lastError() const;
    // True once a commit failed for good: cheap enough to poll every training step.
    bool failed() const { return failed_.load(std::memory_order_relaxed); }
    WriterStats stats() const;

private:
    struct Impl;
    explicit Writer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::atomic<bool> failed_{false};
};

}  // namespace runboard::storage
