#include "storage/series_summary.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "storage/values.h"

namespace runboard::storage {

void Bucket::add(std::int64_t step, double value) {
    ++count;
    if (!std::isfinite(value)) {
        if (nonFinite++ == 0) firstNonFiniteStep = step, firstNonFinite = value;
        return;
    }
    if (finite++ == 0) {
        firstStep = minStep = maxStep = step;
        first = min = max = value;
    }
    if (value < min) min = value, minStep = step;
    if (value > max) max = value, maxStep = step;
    lastStep = step;
    last = value;
    sum += value;
}

void Bucket::merge(const Bucket& later) {
    count += later.count;
    if (later.nonFinite > 0 && nonFinite == 0) {
        firstNonFiniteStep = later.firstNonFiniteStep;
        firstNonFinite = later.firstNonFinite;
    }
    nonFinite += later.nonFinite;
    if (later.finite == 0) return;
    if (finite == 0) {
        firstStep = later.firstStep, first = later.first;
        minStep = later.minStep, min = later.min;
        maxStep = later.maxStep, max = later.max;
    } else {
        if (later.min < min) min = later.min, minStep = later.minStep;
        if (later.max > max) max = later.max, maxStep = later.maxStep;
    }
    lastStep = later.lastStep, last = later.last;
    finite += later.finite;
    sum += later.sum;
}

std::vector<Bucket> bucketize(const std::vector<MetricPoint>& points, std::int64_t width) {
    std::vector<Bucket> out;
    for (const MetricPoint& p : points) {
        const std::int64_t index = p.step >= 0 ? p.step / width : (p.step - width + 1) / width;
        if (out.empty() || out.back().index != index) {
            out.push_back({});
            out.back().index = index;
            out.back().width = width;
        }
        out.back().add(p.step, p.value);
    }
    return out;
}

std::int64_t envelopeWidth(std::int64_t first, std::int64_t last, int maxColumns) {
    const std::int64_t span = std::max<std::int64_t>(1, last - first + 1);
    const std::int64_t columns = std::max(1, maxColumns);
    const auto need = static_cast<std::uint64_t>((span + columns - 1) / columns);
    // Aligned columns can straddle both ends: one more column than span / width.
    std::int64_t width = static_cast<std::int64_t>(std::bit_ceil(need));
    while ((last / width) - (first / width) + 1 > columns)
        width *= 2;
    return width;
}

namespace {

Bucket readBucket(const Statement& s, int c, std::int64_t width) {
    Bucket b;
    b.width = width;
    b.index = s.columnInt64(c + 0);
    b.count = s.columnInt64(c + 1);
    b.finite = s.columnInt64(c + 2);
    b.firstStep = s.columnInt64(c + 3), b.first = s.columnDouble(c + 4);
    b.lastStep = s.columnInt64(c + 5), b.last = s.columnDouble(c + 6);
    b.minStep = s.columnInt64(c + 7), b.min = s.columnDouble(c + 8);
    b.maxStep = s.columnInt64(c + 9), b.max = s.columnDouble(c + 10);
    b.sum = s.columnDouble(c + 11);
    b.nonFinite = s.columnInt64(c + 12);
    b.firstNonFiniteStep = s.columnInt64(c + 13);
    b.firstNonFinite = decode(0, s.columnInt64(c + 14));
    return b;
}

}  // namespace

Result<Envelope> readEnvelope(Connection& db, RunId run, std::string_view key, std::int64_t first,
                              std::int64_t last, int maxColumns) {
    Envelope env;
    env.width = envelopeWidth(first, last, maxColumns);
    const std::int64_t from = (first / env.width) * env.width;
    const std::int64_t to = (last / env.width + 1) * env.width - 1;
    // The coarsest stored level that divides the column width.
    int level = -1;
    for (int l = 0; l < static_cast<int>(kBucketWidths.size()); ++l)
        if (kBucketWidths[static_cast<std::size_t>(l)] <= env.width) level = l;

    if (level < 0) {  // narrow: raw rows
        return db
            .rows(
                "SELECT m.step, m.wall, m.value, m.nonfinite FROM metrics m JOIN metric_keys k ON "
                "k.id = m.key_id WHERE m.run_id = ? AND k.name = ? AND m.step BETWEEN ? AND ? "
                "ORDER BY m.step",
                [](const Statement& r) {
                    return MetricPoint{r.get<std::int64_t>(0), r.get<double>(1),
                                       decode(r.get<double>(2), r.get<std::int64_t>(3))};
                },
                run, key, from, to)
            .transform([&](const std::vector<MetricPoint>& points) {
                env.rawPoints = static_cast<std::int64_t>(points.size());
                env.columns = bucketize(points, env.width);
                return std::move(env);
            });
    }
    const std::int64_t stored = kBucketWidths[static_cast<std::size_t>(level)];
    auto buckets = db.rows(
        "SELECT b.bucket, b.count, b.finite, b.first_step, b.first_value, b.last_step, "
        "b.last_value, b.min_step, b.min_value, b.max_step, b.max_value, b.sum, b.nonfinite, "
        "b.first_nonfinite_step, b.first_nonfinite_kind FROM metric_buckets b "
        "JOIN metric_keys k ON k.id = b.key_id WHERE b.run_id = ? AND k.name = ? AND "
        "b.level = ? AND b.bucket BETWEEN ? AND ? ORDER BY b.bucket",
        [&](const Statement& r) { return readBucket(r, 0, stored); }, run, key, level,
        from / stored, to / stored);
    if (!buckets) return buckets.error();
    env.fromSummary = true;
    for (Bucket& b : buckets.value()) {
        env.rawPoints += b.count;
        const std::int64_t index = b.startStep() / env.width;
        if (env.columns.empty() || env.columns.back().index != index) {
            b.index = index;
            b.width = env.width;
            env.columns.push_back(b);
        } else {
            env.columns.back().merge(b);
        }
    }
    return env;
}

// ---- SummaryMaintainer ----

Status SummaryMaintainer::prepare(Connection& db) {
    auto up = db.prepare(
        "INSERT OR REPLACE INTO metric_buckets(run_id, key_id, level, bucket, count, finite, "
        "first_step, first_value, last_step, last_value, min_step, min_value, max_step, "
        "max_value, sum, nonfinite, first_nonfinite_step, first_nonfinite_kind) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!up) return up.error();
    upsert_ = std::move(up.value());
    auto has = db.prepare(
        "SELECT EXISTS (SELECT 1 FROM metrics WHERE run_id = ? AND key_id = ? AND step < ?)");
    if (!has) return has.error();
    hasEarlier_ = std::move(has.value());
    auto tail = db.prepare(
        "SELECT step, wall, value, nonfinite FROM metrics WHERE run_id = ? AND key_id = ? AND "
        "step >= ? ORDER BY step");
    if (!tail) return tail.error();
    readTail_ = std::move(tail.value());
    return {};
}

void SummaryMaintainer::add(RunId run, std::int64_t keyId, std::int64_t step, double value) {
    Series& s = series_[{run, keyId}];
    const std::int64_t widest = kBucketWidths.back();
    if (!s.known) {
        // First sight in this writer: the series may already have earlier rows (another
        // process, an earlier writer); store() checks, and rebuilds from the raw rows if so.
        s.known = true;
        s.checkEarlier = true;
        s.firstSeenStep = step;
    } else if (s.rebuildFrom >= 0) {
        s.rebuildFrom = std::min(s.rebuildFrom, (step / widest) * widest);
        return;
    } else if (step <= s.lastStep) {  // out of order or a rewrite: recompute from the raw rows
        s.rebuildFrom = (step / widest) * widest;
        return;
    }
    s.lastStep = step;
    for (std::size_t l = 0; l < kBucketWidths.size(); ++l) {
        Bucket& b = s.open[l];
        const std::int64_t index = step / kBucketWidths[l];
        if (b.count > 0 && b.index != index) {
            closed_.push_back({{run, keyId}, {static_cast<int>(l), b}});
            b = Bucket{};
        }
        if (b.count == 0) b.index = index, b.width = kBucketWidths[l];
        b.add(step, value);
        s.dirty[l] = true;
    }
}

Status SummaryMaintainer::upsert(RunId run, std::int64_t keyId, int level, const Bucket& b) {
    Statement& u = upsert_;
    u.bind(1, run).bind(2, keyId).bind(3, level).bind(4, b.index).bind(5, b.count);
    u.bind(6, b.finite).bind(7, b.firstStep).bind(8, b.first).bind(9, b.lastStep).bind(10, b.last);
    u.bind(11, b.minStep).bind(12, b.min).bind(13, b.maxStep).bind(14, b.max).bind(15, b.sum);
    u.bind(16, b.nonFinite).bind(17, b.firstNonFiniteStep);
    u.bind(18, static_cast<std::int64_t>(classify(b.nonFinite > 0 ? b.firstNonFinite : 0.0)));
    return u.run();
}

Status SummaryMaintainer::rebuild(RunId run, std::int64_t keyId, Series& s) {
    readTail_.bind(1, run).bind(2, keyId).bind(3, s.rebuildFrom);
    auto points = collectRows(readTail_, [](const Statement& r) {
        return MetricPoint{r.columnInt64(0), r.columnDouble(1),
                           decode(r.columnDouble(2), r.columnInt64(3))};
    });
    if (!points) return points.error();
    s.rebuildFrom = -1;
    s.lastStep = points->empty() ? -1 : points->back().step;
    for (std::size_t l = 0; l < kBucketWidths.size(); ++l) {
        std::vector<Bucket> buckets = bucketize(points.value(), kBucketWidths[l]);
        // Buckets before the rebuild point's bucket are complete and untouched; the first one
        // here starts at rebuildFrom (aligned to the widest width, so to every width).
        for (std::size_t i = 0; i + 1 < buckets.size(); ++i)
            if (auto st = upsert(run, keyId, static_cast<int>(l), buckets[i]); !st) return st;
        s.open[l] = buckets.empty() ? Bucket{} : buckets.back();
        s.dirty[l] = !buckets.empty();
    }
    return {};
}

namespace {

// Recomputes the summaries of the given series, which must have none stored.
Status summarize(Connection& db, const Result<std::vector<std::pair<RunId, std::int64_t>>>& keys) {
    if (!keys) return keys.error();
    SummaryMaintainer m;
    if (auto st = m.prepare(db); !st) return st;
    auto read = db.prepare(
        "SELECT step, value, nonfinite FROM metrics WHERE run_id = ? AND key_id = ? ORDER BY step");
    if (!read) return read.error();
    for (const auto& [run, key] : keys.value()) {
        read->bind(1, run).bind(2, key);
        auto points = collectRows(read.value(), [](const Statement& r) {
            return std::pair(r.columnInt64(0), decode(r.columnDouble(1), r.columnInt64(2)));
        });
        if (!points) return points.error();
        for (const auto& [step, value] : points.value())
            m.add(run, key, step, value);
    }
    return m.store();  // each series was seen from its first step: nothing is rebuilt twice
}

std::pair<RunId, std::int64_t> runAndKey(const Statement& r) {
    return {r.get<RunId>(0), r.get<std::int64_t>(1)};
}

}  // namespace

Status rebuildAllSummaries(Connection& db) {
    return summarize(db, db.rows("SELECT DISTINCT run_id, key_id FROM metrics", runAndKey));
}

Status rebuildSummaries(Connection& db, RunId run) {
    if (auto s = db.exec("DELETE FROM metric_buckets WHERE run_id = ?", run); !s) return s;
    return summarize(db, db.rows("SELECT DISTINCT run_id, key_id FROM metrics WHERE run_id = ?",
                                 runAndKey, run));
}

void SummaryMaintainer::reset() {
    series_.clear();
    closed_.clear();
}

Status SummaryMaintainer::store() {
    for (const auto& [series, levelBucket] : closed_)
        if (auto st = upsert(series.first, series.second, levelBucket.first, levelBucket.second);
            !st)
            return st;
    closed_.clear();
    for (auto& [key, s] : series_) {
        if (s.checkEarlier) {
            s.checkEarlier = false;
            hasEarlier_.bind(1, key.first).bind(2, key.second).bind(3, s.firstSeenStep);
            auto earlier =
                collectRows(hasEarlier_, [](const Statement& r) { return r.columnInt64(0); });
            if (!earlier) return earlier.error();
            const std::int64_t widest = kBucketWidths.back();
            if (earlier->at(0) != 0) s.rebuildFrom = (s.firstSeenStep / widest) * widest;
        }
        if (s.rebuildFrom >= 0) {
            if (auto st = rebuild(key.first, key.second, s); !st) return st;
        }
        for (std::size_t l = 0; l < kBucketWidths.size(); ++l) {
            if (!s.dirty[l]) continue;
            if (auto st = upsert(key.first, key.second, static_cast<int>(l), s.open[l]); !st)
                return st;
            s.dirty[l] = false;
        }
    }
    return {};
}

}  // namespace runboard::storage
