#include "storage/writer.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <utility>

#include "storage/schema.h"
#include "storage/series_summary.h"
#include "storage/sqlite.h"
#include "storage/values.h"

namespace runboard::storage {
namespace {

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

}  // namespace

struct Writer::Impl {
    Connection db;
    WriterOptions options;
    SummaryMaintainer summary;  // writer-thread only
    Statement insertMetric, insertMetricChunk, insertPrediction, insertKey, selectKey,
        addCheckpoint, removeCheckpoint;

    mutable std::mutex mutex;
    std::condition_variable wake;       // producer -> writer
    std::condition_variable committed;  // writer -> flush()
    Batch pending;
    std::vector<std::string> keyNames;  // KeyHandle -> name
    std::unordered_map<std::string, KeyHandle> keyIndex;
    std::uint64_t enqueuedSeq = 0, committedSeq = 0, flushRequested = 0;
    bool stopping = false;
    Status firstError;
    WriterStats stats;

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
                  "INSERT OR REPLACE INTO checkpoints(run_id, epoch, step, path) VALUES (?,?,?,?)"},
                 {&removeCheckpoint, "DELETE FROM checkpoints WHERE path = ?"}}) {
            if (auto st = prep(*stmt, sql); !st) return st;
        }
        return summary.prepare(db);
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

    Status commit(const Batch& batch, const std::vector<std::string>& names) {
        Transaction tx(db);
        if (!tx.begun()) return tx.begun();
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
                addCheckpoint.bind(1, c.runId).bind(2, c.epoch).bind(3, c.step).bind(4, c.path);
                if (auto s = addCheckpoint.run(); !s) return s;
            } else {
                removeCheckpoint.bind(1, c.path);
                if (auto s = removeCheckpoint.run(); !s) return s;
            }
        }
        return tx.commit();
    }

    void loop() {
        Batch batch;
        std::vector<std::string> names;
        std::unique_lock lock(mutex);
        for (;;) {
            wake.wait_for(lock, options.flushInterval, [&] {
                return stopping || flushRequested > committedSeq ||
                       pending.rows() >= options.maxBatchRows;
            });
            const bool stop = stopping;
            std::swap(batch, pending);
            if (names.size() != keyNames.size()) names = keyNames;
            const std::uint64_t seq = enqueuedSeq;
            lock.unlock();

            Status result;
            if (batch.rows() > 0) result = commit(batch, names);
            if (!result) summary.reset();
            const std::size_t rows = batch.rows();
            batch.clear();

            lock.lock();
            if (!result && firstError.ok()) {
                spdlog::error("run store writer: {}", result.error().message);
                firstError = result;
            }
            if (result) {
                stats.rowsCommitted += rows;
                if (rows > 0) ++stats.commits;
            }
            committedSeq = seq;
            committed.notify_all();
            if (stop && pending.rows() == 0) return;
        }
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
    // The writer only adds rows for runs that exist, so it skips the per-row foreign-key lookup
    // (a quarter of the insert cost); connections that delete runs keep foreign keys on and
    // cascade. A larger page cache keeps the metrics index's hot pages in memory.
    if (auto s = impl->db.exec("PRAGMA foreign_keys=OFF; PRAGMA cache_size=-65536"); !s)
        return s.error();
    if (auto s = impl->prepareAll(); !s) return s.error();
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->loop(); });
    return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

Writer::~Writer() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_one();
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

void Writer::prediction(PredictionRow row) {
    impl_->enqueue([&](Batch& b) { b.predictions.push_back(std::move(row)); });
}

void Writer::checkpointAdded(std::int64_t runId, std::int64_t epoch, std::int64_t step,
                             std::string path) {
    impl_->enqueue([&](Batch& b) {
        b.checkpoints.push_back({true, runId, epoch, step, std::move(path)});
    });
}

void Writer::checkpointRemoved(std::string path) {
    impl_->enqueue([&](Batch& b) { b.checkpoints.push_back({false, 0, 0, 0, std::move(path)}); });
}

Status Writer::flush() {
    std::unique_lock lock(impl_->mutex);
    const std::uint64_t target = impl_->enqueuedSeq;
    impl_->flushRequested = target;
    impl_->wake.notify_one();
    impl_->committed.wait(lock, [&] { return impl_->committedSeq >= target; });
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
