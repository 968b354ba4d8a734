#include "storage/writer.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <set>
#include <utility>

#include "storage/schema.h"
#include "storage/series_summary.h"
#include "storage/sqlite.h"
#include "storage/values.h"

namespace runboard::storage {
// Named, not anonymous: Writer::Impl (declared in the header) holds a Batch, and GCC warns about
// a member of an anonymous-namespace type once the file is part of a unity build.
namespace writer_detail {

struct MetricRow {
    std::int64_t runId;
    KeyHandle key;
    std::int64_t step;
    double value;
    double wall;
};

struct CheckpointOp {
    bool add;
    std::int64_t runId, epoch, step;
    std::string path;
    std::uint32_t crc32 = 0;
    std::int64_t bytes = 0;
};

struct Batch {
    std::vector<MetricRow> metrics;
    std::vector<PredictionRow> predictions;
    std::vector<CheckpointOp> checkpoints;
    std::size_t rows() const { return metrics.size() + predictions.size() + checkpoints.size(); }
    void clear() {
        metrics.clear();
        predictions.clear();
        checkpoints.clear();
    }
    // Moves `later`'s rows behind this batch's (a retried batch keeps its order).
    void takeFrom(Batch& later) {
        if (rows() == 0) {
            std::swap(*this, later);
            return;
        }
        auto move = [](auto& to, auto& from) {
            to.insert(to.end(), std::make_move_iterator(from.begin()),
                      std::make_move_iterator(from.end()));
            from.clear();
        };
        move(metrics, later.metrics);
        move(predictions, later.predictions);
        move(checkpoints, later.checkpoints);
    }
    // The runs this batch writes rows for.
    std::set<std::int64_t> runs() const {
        std::set<std::int64_t> ids;
        for (const auto& m : metrics)
            ids.insert(m.runId);
        for (const auto& p : predictions)
            ids.insert(p.runId);
        for (const auto& c : checkpoints)
            if (c.add) ids.insert(c.runId);
        return ids;
    }
    // Drops the rows of runs that no longer exist.
    void dropRuns(const std::set<std::int64_t>& gone) {
        auto in = [&](const auto& row) { return gone.count(row.runId) != 0; };
        std::erase_if(metrics, in);
        std::erase_if(predictions, in);
        std::erase_if(checkpoints, [&](const CheckpointOp& c) { return c.add && in(c); });
    }
};

constexpr std::size_t kChunk = 64;

// "INSERT ... VALUES (...), (...)" for `rows` metric rows; a later value for the same
// (run, key, step) replaces the earlier one.
std::string metricInsertSql(std::size_t rows) {
    std::string sql = "INSERT INTO metrics(run_id, key_id, step, wall, value, nonfinite) VALUES ";
    for (std::size_t r = 0; r < rows; ++r)
        sql += r == 0 ? "(?,?,?,?,?,?)" : ",(?,?,?,?,?,?)";
    return sql +
           " ON CONFLICT DO UPDATE SET wall = excluded.wall, value = excluded.value, "
           "nonfinite = excluded.nonfinite";
}

void bindValue(Statement& s, int valueIndex, double v) {
    const NonFinite kind = classify(v);
    if (kind == NonFinite::Finite)
        s.bind(valueIndex, v);
    else
        s.bindNull(valueIndex);
    s.bind(valueIndex + 1, static_cast<std::int64_t>(kind));
}

}  // namespace writer_detail
using namespace writer_detail;

struct Writer::Impl {
    Connection db;
    WriterOptions options;
    SummaryMaintainer summary;  // writer-thread only
    Statement insertMetric, insertMetricChunk, insertPrediction, insertKey, selectKey,
        addCheckpoint, removeCheckpoint, heartbeat;

    mutable std::mutex mutex;
    std::condition_variable wake;       // producer -> writer
    std::condition_variable committed;  // writer -> flush()
    Batch pending;
    std::vector<std::string> keyNames;  // KeyHandle -> name
    std::unordered_map<std::string, KeyHandle> keyIndex;
    std::uint64_t enqueuedSeq = 0, committedSeq = 0, flushRequested = 0;
    bool stopping = false;
    bool finished = false;  // the writer thread has returned
    Status firstError;
    // Set when a stopping process stops waiting for another's lock: the busy handler and the
    // backoff end at once, and what is queued is given up.
    std::atomic<bool> abandon{false};
    std::chrono::steady_clock::time_point busyWaitStart;  // the busy handler's (writer thread)
    WriterStats stats;

    Writer* owner = nullptr;

    // Writer-thread only.
    std::vector<std::int64_t> keyDbIds;  // KeyHandle -> metric_keys.id, resolved lazily
    std::thread thread;

    Status prepareAll() {
        auto prep = [&](Statement& target, const std::string& sql) -> Status {
            auto s = db.prepare(sql);
            if (!s) return s.error();
            target = std::move(s.value());
            return {};
        };
        for (auto [stmt, sql] : std::initializer_list<std::pair<Statement*, std::string>>{
                 {&insertMetric, metricInsertSql(1)},
                 {&insertMetricChunk, metricInsertSql(kChunk)},
                 {&insertPrediction,
                  "INSERT OR REPLACE INTO predictions(run_id, split, epoch, sample_index, target, "
                  "predicted, confidence, loss, loss_nonfinite, probs) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
                 {&insertKey, "INSERT OR IGNORE INTO metric_keys(name) VALUES (?)"},
                 {&selectKey, "SELECT id FROM metric_keys WHERE name = ?"},
                 {&addCheckpoint,
                  // The run's check count now: a resume from this checkpoint archives the checks
                  // added after it (a check has no step; storage/resume_store.h).
                  "INSERT OR REPLACE INTO checkpoints(run_id, epoch, step, path, crc32, bytes, "
                  "checks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                  "(SELECT count(*) FROM run_checks WHERE run_id = ?1))"},
                 {&removeCheckpoint, "DELETE FROM checkpoints WHERE path = ?"},
                 {&heartbeat,
                  "UPDATE runs SET alive_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                  "WHERE id = ?"}}) {
            if (auto st = prep(*stmt, sql); !st) return st;
        }
        return summary.prepare(db);
    }

    // SQLite's busy handler: sqlite3_busy_timeout's wait, but one that ends when abandoned.
    static int waitForLock(void* self, int count) {
        auto* impl = static_cast<Impl*>(self);
        const auto now = std::chrono::steady_clock::now();
        if (count == 0) impl->busyWaitStart = now;
        if (impl->abandon.load() || now - impl->busyWaitStart >= impl->options.busyTimeout)
            return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(count < 10 ? 1 : 10));
        return 1;
    }

    // Gives up every row held (the lock stayed taken past the stop grace). Under the mutex.
    void dropHeld(Batch& batch) {
        const std::size_t lost = batch.rows() + pending.rows();
        batch.clear();
        pending.clear();
        stats.rowsDropped += lost;
        spdlog::error(
            "run store writer: gave up {} rows: another process held the write lock on "
            "'{}' past the {} ms stop grace",
            lost, db.path(), options.stopGrace.count());
        if (firstError.ok()) {
            firstError = Error{ErrorKind::Busy, "another process held the write lock on '" +
                                                    db.path() + "' after the stop request; " +
                                                    std::to_string(lost) + " rows were not stored"};
            owner->failed_.store(true, std::memory_order_relaxed);
        }
        committedSeq = enqueuedSeq;
        committed.notify_all();
    }

    Status bindMetric(Statement& stmt, int offset, const MetricRow& m,
                      const std::vector<std::string>& names) {
        auto keyId = resolveKey(m.key, names[m.key]);
        if (!keyId) return keyId.error();
        summary.add(m.runId, keyId.value(), m.step, m.value);
        stmt.bind(offset + 1, m.runId).bind(offset + 2, keyId.value()).bind(offset + 3, m.step);
        stmt.bind(offset + 4, m.wall);
        bindValue(stmt, offset + 5, m.value);
        return {};
    }

    Result<std::int64_t> resolveKey(KeyHandle h, const std::string& name) {
        if (h < keyDbIds.size() && keyDbIds[h] != 0) return keyDbIds[h];
        freshKeys.push_back(h);
        insertKey.bind(1, name);
        if (auto s = insertKey.run(); !s) return s.error();
        selectKey.bind(1, name);
        auto row = selectKey.step();
        if (!row) return row.error();
        const std::int64_t id = selectKey.columnInt64(0);
        selectKey.reset();
        if (keyDbIds.size() <= h) keyDbIds.resize(h + 1, 0);
        keyDbIds[h] = id;
        return id;
    }

    // Runs deleted while this process wrote for them; their rows are dropped, never stored
    // under an id that no run has (ids are never reused, schema v8).
    std::set<std::int64_t> vanished;

    // Keys resolved in the current transaction: a rollback takes their rows back, so their ids
    // are forgotten (a later commit would otherwise store rows under an id no name has).
    std::vector<KeyHandle> freshKeys;

    Status commitOrForget(Batch& batch, const std::vector<std::string>& names) {
        freshKeys.clear();
        Status result;
        try {
            result = commit(batch, names);
        } catch (const std::exception& e) {  // e.g. bad_alloc: an error, never std::terminate
            result = Error{ErrorKind::Sql, std::string("the writer failed: ") + e.what()};
        }
        if (!result) {
            summary.reset();
            for (KeyHandle h : freshKeys)
                if (h < keyDbIds.size()) keyDbIds[h] = 0;
        }
        return result;
    }

    Status commit(Batch& batch, const std::vector<std::string>& names) {
        Transaction tx(db);
        if (!tx.begun()) return tx.begun();
        // The writer runs without foreign-key checks (below), so it proves each run exists once
        // per commit, which also marks it alive.
        std::set<std::int64_t> gone;
        for (std::int64_t run : batch.runs()) {
            heartbeat.bind(1, run);
            if (auto st = heartbeat.run(); !st) return st;
            if (db.changes() == 0) gone.insert(run);
        }
        if (!gone.empty()) {
            batch.dropRuns(gone);
            vanished.insert(gone.begin(), gone.end());
        }
        // Metrics go kChunk rows per statement: a third fewer VDBE round trips than one by one.
        const std::size_t n = batch.metrics.size();
        std::size_t i = 0;
        for (; i + kChunk <= n; i += kChunk) {
            for (std::size_t r = 0; r < kChunk; ++r) {
                if (auto st = bindMetric(insertMetricChunk, static_cast<int>(r) * 6,
                                         batch.metrics[i + r], names);
                    !st)
                    return st;
            }
            if (auto st = insertMetricChunk.run(); !st) return st;
        }
        for (; i < n; ++i) {
            if (auto st = bindMetric(insertMetric, 0, batch.metrics[i], names); !st) return st;
            if (auto st = insertMetric.run(); !st) return st;
        }
        if (auto st = summary.store(); !st) return st;
        for (const auto& p : batch.predictions) {
            auto& s = insertPrediction;
            s.bind(1, p.runId).bind(2, p.split).bind(3, p.epoch).bind(4, p.sampleIndex);
            s.bind(5, p.target).bind(6, p.predicted).bind(7, static_cast<double>(p.confidence));
            bindValue(s, 8, static_cast<double>(p.loss));
            s.bindBlob(10, std::as_bytes(std::span(p.probs)));
            if (auto st = s.run(); !st) return st;
        }
        for (const auto& c : batch.checkpoints) {
            if (c.add) {
                addCheckpoint.bindAll(c.runId, c.epoch, c.step, c.path,
                                      static_cast<std::int64_t>(c.crc32), c.bytes);
                if (auto s = addCheckpoint.run(); !s) return s;
            } else {
                removeCheckpoint.bind(1, c.path);
                if (auto s = removeCheckpoint.run(); !s) return s;
            }
        }
        return tx.commit();
    }

    void loop() {
        using Clock = std::chrono::steady_clock;
        Batch batch;
        std::vector<std::string> names;
        bool busy = false;  // (not std::optional: GCC 12 warns it may be used uninitialized)
        Clock::time_point busySince = Clock::now();
        auto backoff = std::chrono::milliseconds(50);
        auto nextWarning = options.warnAfter;
        std::unique_lock lock(mutex);
        for (;;) {
            if (!busy) {
                wake.wait_for(lock, options.flushInterval, [&] {
                    return stopping || flushRequested > committedSeq ||
                           pending.rows() >= options.maxBatchRows;
                });
            }
            const bool stop = stopping;
            batch.takeFrom(pending);
            if (names.size() != keyNames.size()) names = keyNames;
            const std::uint64_t seq = enqueuedSeq;
            lock.unlock();

            Status result;
            if (batch.rows() > 0) result = commitOrForget(batch, names);
            if (!result && result.error().kind == ErrorKind::Busy && abandon.load()) {
                lock.lock();
                dropHeld(batch);
                busy = false;
                if (stop) break;
                continue;
            }
            if (!result && result.error().kind == ErrorKind::Busy) {
                // Keep every row and try again; flush() waits, producers keep queueing.
                if (!busy) busy = true, busySince = Clock::now();
                const auto waited = Clock::now() - busySince + options.busyTimeout;
                if (waited >= nextWarning) {
                    spdlog::warn(
                        "run store writer: waiting {} s for another process to release "
                        "the write lock on '{}'; {} rows are kept in memory",
                        std::chrono::duration_cast<std::chrono::seconds>(waited).count(), db.path(),
                        batch.rows());
                    nextWarning += options.warnAfter;
                }
                lock.lock();
                wake.wait_for(lock, backoff, [&] { return abandon.load(); });
                backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
                ++stats.busyRetries;
                continue;
            }
            busy = false;
            backoff = std::chrono::milliseconds(50);
            nextWarning = options.warnAfter;
            const std::size_t rows = batch.rows();
            batch.clear();

            lock.lock();
            if (result && !vanished.empty() && firstError.ok()) {
                result = Error{ErrorKind::NotFound,
                               "run " + std::to_string(*vanished.begin()) +
                                   " no longer exists (it was deleted while this process wrote "
                                   "its rows); nothing more is stored for it"};
            }
            if (!result && firstError.ok()) {
                spdlog::error("run store writer: {}", result.error().message);
                firstError = result;
                owner->failed_.store(true, std::memory_order_relaxed);
            }
            if (result) {
                stats.rowsCommitted += rows;
                if (rows > 0) ++stats.commits;
            }
            committedSeq = seq;
            committed.notify_all();
            if (stop && pending.rows() == 0) break;
        }
        finished = true;
        committed.notify_all();
    }

    template <class F>
    void enqueue(F&& push) {
        std::lock_guard lock(mutex);
        push(pending);
        ++enqueuedSeq;
        if (pending.rows() >= options.maxBatchRows) wake.notify_one();
    }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Writer>> Writer::open(const std::string& dbPath,
                                             const WriterOptions& options) {
    auto impl = std::make_unique<Impl>();
    auto db = openDatabase(dbPath, {.create = false});
    if (!db) return db.error();
    impl->db = std::move(db.value());
    impl->options = options;
    sqlite3_busy_handler(impl->db.handle(), &Impl::waitForLock, impl.get());
    // The writer only adds rows for runs that exist, so it skips the per-row foreign-key lookup
    // (a quarter of the insert cost); connections that delete runs keep foreign keys on and
    // cascade. A larger page cache keeps the metrics index's hot pages in memory.
    if (auto s = impl->db.exec("PRAGMA foreign_keys=OFF; PRAGMA cache_size=-65536"); !s)
        return s.error();
    if (auto s = impl->prepareAll(); !s) return s.error();
    Impl* raw = impl.get();
    std::unique_ptr<Writer> writer(new Writer(std::move(impl)));
    raw->owner = writer.get();
    raw->thread = std::thread([raw] { raw->loop(); });
    return writer;
}

Writer::~Writer() {
    std::unique_lock lock(impl_->mutex);
    impl_->stopping = true;
    impl_->wake.notify_one();
    if (!impl_->committed.wait_for(lock, impl_->options.stopGrace,
                                   [&] { return impl_->finished; })) {
        impl_->abandon.store(true);
        impl_->wake.notify_all();
    }
    lock.unlock();
    impl_->thread.join();
}

KeyHandle Writer::key(std::string_view name) {
    std::lock_guard lock(impl_->mutex);
    auto [it, inserted] = impl_->keyIndex.try_emplace(
        std::string(name), static_cast<KeyHandle>(impl_->keyNames.size()));
    if (inserted) impl_->keyNames.emplace_back(name);
    return it->second;
}

void Writer::metric(std::int64_t runId, KeyHandle key, std::int64_t step, double value,
                    double wall) {
    impl_->enqueue([&](Batch& b) { b.metrics.push_back({runId, key, step, value, wall}); });
}

void Writer::metrics(std::int64_t runId, std::int64_t step, double wall,
                     std::span<const std::pair<KeyHandle, double>> values) {
    impl_->enqueue([&](Batch& b) {
        for (const auto& [key, value] : values)
            b.metrics.push_back({runId, key, step, value, wall});
    });
}

void Writer::predictions(std::vector<PredictionRow> rows) {
    impl_->enqueue([&](Batch& b) {
        b.predictions.insert(b.predictions.end(), std::make_move_iterator(rows.begin()),
                             std::make_move_iterator(rows.end()));
    });
}

void Writer::prediction(PredictionRow row) {
    impl_->enqueue([&](Batch& b) { b.predictions.push_back(std::move(row)); });
}

void Writer::checkpointAdded(std::int64_t runId, std::int64_t epoch, std::int64_t step,
                             std::string path, std::uint32_t crc32, std::int64_t bytes) {
    impl_->enqueue([&](Batch& b) {
        b.checkpoints.push_back({true, runId, epoch, step, std::move(path), crc32, bytes});
    });
}

void Writer::checkpointRemoved(std::string path) {
    impl_->enqueue([&](Batch& b) {
        b.checkpoints.push_back({false, 0, 0, 0, std::move(path), 0, 0});
    });
}

Status Writer::flush(const std::atomic<bool>* stop) {
    std::unique_lock lock(impl_->mutex);
    const std::uint64_t target = impl_->enqueuedSeq;
    impl_->flushRequested = target;
    impl_->wake.notify_one();
    auto done = [&] { return impl_->committedSeq >= target; };
    if (stop != nullptr) {
        while (!stop->load() &&
               !impl_->committed.wait_for(lock, std::chrono::milliseconds(100), done)) {
        }
        if (!impl_->committed.wait_for(lock, impl_->options.stopGrace, done)) {
            impl_->abandon.store(true);
            impl_->wake.notify_all();
        }
    }
    impl_->committed.wait(lock, done);
    return impl_->firstError;
}

Status Writer::lastError() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->firstError;
}

WriterStats Writer::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

}  // namespace runboard::storage
