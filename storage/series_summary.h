#pragma once
// A multi-resolution summary of every metric series, so that a view can draw a million-point
// series from a thousand rows without hiding a spike. For each level the steps are grouped into
// aligned buckets of a fixed width (64, 256, ... 262144 steps); each bucket keeps the M4 points
// (first, last, min, max, with their steps), the sum and count of its finite values, and its
// non-finite points. The writer keeps the summary current as rows arrive.

#include <array>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/run_store.h"
#include "storage/sqlite.h"

namespace runboard::storage {

inline constexpr std::array<std::int64_t, 7> kBucketWidths = {64,    256,   1024,  4096,
                                                              16384, 65536, 262144};

// The aggregate of the points whose step lies in [index * width, (index + 1) * width).
// Extremes and ends are over finite values; non-finite points are counted, the first marked.
struct Bucket {
    std::int64_t index = 0;
    std::int64_t width = 1;
    std::int64_t count = 0;   // every point
    std::int64_t finite = 0;  // finite points
    std::int64_t firstStep = 0, lastStep = 0, minStep = 0, maxStep = 0;
    double first = 0, last = 0, min = 0, max = 0, sum = 0;
    std::int64_t nonFinite = 0;
    std::int64_t firstNonFiniteStep = 0;
    double firstNonFinite = 0;  // NaN, +Inf or -Inf

    std::int64_t startStep() const { return index * width; }
    double mean() const { return finite > 0 ? sum / static_cast<double>(finite) : 0.0; }
    void add(std::int64_t step, double value);
    // Appends `later`, whose points all come after this bucket's.
    void merge(const Bucket& later);
    bool operator==(const Bucket&) const = default;
};

// Groups points (sorted by step) into aligned buckets of `width`: the brute-force definition the
// summary must match, also used for narrow windows read from raw rows.
std::vector<Bucket> bucketize(const std::vector<MetricPoint>& points, std::int64_t width);

// The drawable envelope of steps [first, last] in at most `maxColumns` columns: aligned buckets
// whose width is the smallest power of two that fits. Exactly bucketize() of the raw rows in
// those buckets, read from the summary when the width allows and from raw rows otherwise.
struct Envelope {
    std::int64_t width = 1;
    std::vector<Bucket> columns;
    std::int64_t rawPoints = 0;  // how many raw points the columns summarize
    bool fromSummary = false;
};
std::int64_t envelopeWidth(std::int64_t first, std::int64_t last, int maxColumns);
Result<Envelope> readEnvelope(Connection& db, RunId run, std::string_view key, std::int64_t first,
                              std::int64_t last, int maxColumns);

// Recomputes every series' summary from the raw rows (the schema v2 migration's backfill).
Status rebuildAllSummaries(Connection& db);
// The same for one run, whose stored summaries are replaced (after a resume archived its tail).
Status rebuildSummaries(Connection& db, RunId run);

// Writer-side maintenance. Call add() for each metric row of a transaction after inserting the
// rows themselves, then store() before committing.
class SummaryMaintainer {
public:
    Status prepare(Connection& db);
    void add(RunId run, std::int64_t keyId, std::int64_t step, double value);
    Status store();
    // After a failed transaction: forget what is in memory; every series is re-checked against
    // the database when it next appears.
    void reset();

private:
    struct Series {
        bool known = false;         // seen by this writer
        bool checkEarlier = false;  // store() must look for rows written before this writer
        std::int64_t firstSeenStep = 0;
        std::int64_t lastStep = -1;
        std::int64_t rebuildFrom = -1;  // >= 0: recompute buckets from this step on
        std::array<Bucket, kBucketWidths.size()> open{};
        std::array<bool, kBucketWidths.size()> dirty{};
    };
    Status upsert(RunId run, std::int64_t keyId, int level, const Bucket& b);
    Status rebuild(RunId run, std::int64_t keyId, Series& s);

    std::map<std::pair<RunId, std::int64_t>, Series> series_;
    std::vector<std::pair<std::pair<RunId, std::int64_t>, std::pair<int, Bucket>>> closed_;
    Statement upsert_, hasEarlier_, readTail_;
};

}  // namespace runboard::storage
