// The multi-resolution summary against brute force: for any window and column count, the
// envelope read from the summary equals bucketize() of the raw rows (min, max, first and last
// exactly, with their steps), also after rewrites, out-of-order steps and a second writer.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "storage/run_store.h"
#include "storage/series_summary.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard::storage;

namespace {

void expectSameBucket(const Bucket& a, const Bucket& b, const std::string& where) {
    EXPECT_EQ(a.index, b.index) << where;
    EXPECT_EQ(a.width, b.width) << where;
    EXPECT_EQ(a.count, b.count) << where;
    EXPECT_EQ(a.finite, b.finite) << where;
    EXPECT_EQ(a.nonFinite, b.nonFinite) << where;
    if (a.finite > 0) {
        EXPECT_EQ(a.firstStep, b.firstStep) << where;
        EXPECT_EQ(a.first, b.first) << where;
        EXPECT_EQ(a.lastStep, b.lastStep) << where;
        EXPECT_EQ(a.last, b.last) << where;
        EXPECT_EQ(a.minStep, b.minStep) << where;
        EXPECT_EQ(a.min, b.min) << where;
        EXPECT_EQ(a.maxStep, b.maxStep) << where;
        EXPECT_EQ(a.max, b.max) << where;
        EXPECT_NEAR(a.sum, b.sum, 1e-9 * (1 + std::abs(b.sum)))
            << where;  // summed in another order
    }
    if (a.nonFinite > 0) {
        EXPECT_EQ(a.firstNonFiniteStep, b.firstNonFiniteStep) << where;
    }
}

// Brute force: the raw rows of the aligned window, grouped by the envelope's width.
void expectEnvelopeMatchesRaw(RunStore& store, RunId run, const std::string& key,
                              std::int64_t first, std::int64_t last, int columns) {
    auto env = readEnvelope(store.connection(), run, key, first, last, columns);
    ASSERT_TRUE(env) << env.error().message;
    const std::int64_t w = env->width;
    ASSERT_LE((last / w) - (first / w) + 1, columns) << "too many columns";
    auto raw = store.series(run, key).value();
    std::vector<MetricPoint> window;
    for (const auto& p : raw)
        if (p.step >= (first / w) * w && p.step < (last / w + 1) * w) window.push_back(p);
    const auto expected = bucketize(window, w);
    const std::string where = key + " [" + std::to_string(first) + ", " + std::to_string(last) +
                              "] in " + std::to_string(columns) + " columns, width " +
                              std::to_string(w);
    ASSERT_EQ(env->columns.size(), expected.size()) << where;
    for (std::size_t i = 0; i < expected.size(); ++i)
        expectSameBucket(env->columns[i], expected[i], where + " column " + std::to_string(i));
    EXPECT_EQ(env->rawPoints, static_cast<std::int64_t>(window.size())) << where;
}

}  // namespace

TEST(Bucket, MergeEqualsAddingEveryPoint) {
    std::mt19937 rng(3);
    std::normal_distribution<double> noise;
    std::vector<MetricPoint> points;
    for (int i = 0; i < 1000; ++i)
        points.push_back({i, 0, i == 500 ? std::nan("") : noise(rng)});
    const auto whole = bucketize(points, 1024);
    const auto parts = bucketize(points, 64);
    Bucket merged = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i)
        merged.merge(parts[i]);
    merged.width = 1024;
    ASSERT_EQ(whole.size(), 1u);
    expectSameBucket(merged, whole.front(), "merge");
}

TEST(Bucket, EnvelopeWidthFitsTheColumns) {
    for (std::int64_t first : {0, 7, 1000, 123457})
        for (std::int64_t span : {1, 10, 999, 1'000'000})
            for (int columns : {1, 3, 100, 640}) {
                const std::int64_t w = envelopeWidth(first, first + span, columns);
                EXPECT_LE((first + span) / w - first / w + 1, columns);
                if (w > 1) {  // and the next finer width would not fit
                    EXPECT_GT((first + span) / (w / 2) - first / (w / 2) + 1, columns);
                }
            }
}

class SummaryTest : public ::testing::Test {
protected:
    void SetUp() override {
        path = dir.file("s.db");
        auto s = RunStore::open(path);
        ASSERT_TRUE(s) << s.error().message;
        store.emplace(std::move(s.value()));
        run = std::move(
            store->createRun({"s", std::nullopt, "{}", 0, {}, RunStatus::Running}).value());
    }
    runboard::test::TempDir dir;
    std::string path;
    std::optional<RunStore> store;
    OwnedRun run;
};

TEST_F(SummaryTest, EnvelopeMatchesBruteForceOnSpikyDataWithNaN) {
    constexpr std::int64_t kSteps = 300'000;
    {
        auto writer = Writer::open(path, {.flushInterval = std::chrono::milliseconds(20)});
        const auto key = writer.value()->key("train/loss");
        std::mt19937_64 rng(11);
        std::normal_distribution<double> noise(0.0, 0.1);
        std::uniform_int_distribution<int> spike(0, 5000);
        for (std::int64_t s = 0; s < kSteps; ++s) {
            double v = 2.0 * std::exp(-static_cast<double>(s) / 50000.0) + noise(rng);
            const int r = spike(rng);
            v = std::round(v * 20.0) / 20.0;  // quantized: ties, so "the first extreme" matters
            if (r == 0) v += 40.0;            // a rare spike the chart must never hide
            if (r == 1) v = std::numeric_limits<double>::quiet_NaN();
            if (r == 2) v = -std::numeric_limits<double>::infinity();
            writer.value()->metric(run.id, key, s, v, 0);
            if (s % 70'001 == 0) {  // several transactions
                ASSERT_TRUE(writer.value()->flush());
            }
        }
        ASSERT_TRUE(writer.value()->flush());
    }
    std::mt19937 pick(5);
    std::uniform_int_distribution<std::int64_t> at(0, kSteps - 1);
    expectEnvelopeMatchesRaw(*store, run.id, "train/loss", 0, kSteps - 1, 800);
    expectEnvelopeMatchesRaw(*store, run.id, "train/loss", 0, kSteps - 1, 37);
    for (int i = 0; i < 25; ++i) {
        std::int64_t a = at(pick), b = at(pick);
        if (a > b) std::swap(a, b);
        expectEnvelopeMatchesRaw(*store, run.id, "train/loss", a, b,
                                 1 + static_cast<int>(pick() % 1000));
    }
    // The summary is what the wide views read.
    auto env = readEnvelope(store->connection(), run.id, "train/loss", 0, kSteps - 1, 800);
    EXPECT_TRUE(env->fromSummary);
    EXPECT_EQ(env->rawPoints, kSteps);
}

TEST_F(SummaryTest, RewritesOutOfOrderStepsAndASecondWriterStayExact) {
    {
        auto writer = Writer::open(path);
        const auto key = writer.value()->key("m");
        for (std::int64_t s = 0; s < 20'000; ++s)
            writer.value()->metric(run.id, key, s, std::sin(s * 0.01), 0);
        ASSERT_TRUE(writer.value()->flush());
        // Out of order within one writer: steps rewritten with new values.
        for (std::int64_t s = 5'000; s < 5'100; ++s)
            writer.value()->metric(run.id, key, s, 100.0 + s, 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    {
        // A second writer appends to the same series.
        auto writer = Writer::open(path);
        const auto key = writer.value()->key("m");
        for (std::int64_t s = 20'000; s < 40'000; ++s)
            writer.value()->metric(run.id, key, s, -std::cos(s * 0.02), 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    // The second writer's first buckets continue the first writer's partial ones.
    expectEnvelopeMatchesRaw(*store, run.id, "m", 0, 39'999, 640);
    {
        auto writer = Writer::open(path);
        writer.value()->metric(run.id, writer.value()->key("m"), 7, -500.0, 0);  // a rewrite
        ASSERT_TRUE(writer.value()->flush());
    }
    for (int columns : {640, 100, 9})
        expectEnvelopeMatchesRaw(*store, run.id, "m", 0, 39'999, columns);
    expectEnvelopeMatchesRaw(*store, run.id, "m", 4'000, 6'000, 100);
    auto env = readEnvelope(store->connection(), run.id, "m", 0, 39'999, 100);
    EXPECT_EQ(env->columns.front().min, -500.0);
}

TEST(SummaryMigration, AVersionOneDatabaseGetsItsSummariesBackfilled) {
    runboard::test::TempDir dir;
    const std::string path = dir.file("v1.db");
    {
        // A version-1 database as the first release wrote it: raw metrics, no summary table.
        auto db = openDatabase(path, {.schemaVersion = 1});
        ASSERT_TRUE(db);
        ASSERT_EQ(db->queryInt("PRAGMA user_version").value(), 1);
        ASSERT_TRUE(
            db->exec("INSERT INTO runs (name, status, config_json, seed) VALUES ('old', "
                     "'finished', '{}', 0);"
                     "INSERT INTO metric_keys (name) VALUES ('train/loss');"));
        auto insert = db->prepare(
            "INSERT INTO metrics (run_id, key_id, step, wall, value) VALUES (1, 1, ?, 0, ?)");
        for (std::int64_t s = 0; s < 5000; ++s) {
            insert->bind(1, s).bind(2, std::cos(0.01 * static_cast<double>(s)));
            ASSERT_TRUE(insert->run());
        }
    }
    auto store = RunStore::open(path);  // migrates 1 -> 2 -> ...
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_EQ(store->connection().queryInt("PRAGMA user_version").value(), latestSchemaVersion());
    EXPECT_GT(store->connection().queryInt("SELECT count(*) FROM metric_buckets").value(), 0);
    expectEnvelopeMatchesRaw(*store, 1, "train/loss", 0, 4999, 20);
}

// Hand-computed buckets, independent of Bucket::add: ties for min and max go to the earlier step
// (also when the tie is split between two stored buckets that are merged), and the first
// non-finite point by step is the one kept, whatever its kind.
TEST_F(SummaryTest, HandComputedBucketsWithTiesAndNonFiniteValues) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    // Steps 0, 16, ..., 192: [0, 64) and [64, 128) are the two 64-wide stored buckets of
    // column A = [0, 128); column B = [128, 256).
    const std::vector<double> values = {nan,  2.0, -1.0, inf, 5.0, -1.0, 5.0,
                                        -inf, inf, nan,  3.0, 3.0, -inf};
    std::vector<MetricPoint> points;
    {
        auto writer = Writer::open(path);
        const auto key = writer.value()->key("hand");
        for (std::size_t i = 0; i < values.size(); ++i) {
            const auto step = static_cast<std::int64_t>(16 * i);
            writer.value()->metric(run.id, key, step, values[i], 0);
            points.push_back({step, 0, values[i]});
        }
        ASSERT_TRUE(writer.value()->flush());
    }
    struct Expected {
        std::int64_t count, finite, nonFinite, firstNonFiniteStep;
        double firstNonFinite;
        std::int64_t firstStep;
        double first;
        std::int64_t lastStep;
        double last;
        std::int64_t minStep;
        double min;
        std::int64_t maxStep;
        double max, sum;
    };
    const Expected a{8, 5, 3, 0, nan, 16, 2.0, 96, 5.0, 32, -1.0, 64, 5.0, 10.0};
    const Expected b{5, 2, 3, 128, inf, 160, 3.0, 176, 3.0, 160, 3.0, 160, 3.0, 6.0};
    const Expected whole{13, 7, 6, 0, nan, 16, 2.0, 176, 3.0, 32, -1.0, 64, 5.0, 16.0};
    auto check = [](const Bucket& got, const Expected& e, const std::string& where) {
        EXPECT_EQ(got.count, e.count) << where;
        EXPECT_EQ(got.finite, e.finite) << where;
        EXPECT_EQ(got.nonFinite, e.nonFinite) << where;
        EXPECT_EQ(got.firstNonFiniteStep, e.firstNonFiniteStep) << where;
        if (std::isnan(e.firstNonFinite))
            EXPECT_TRUE(std::isnan(got.firstNonFinite)) << where << ": " << got.firstNonFinite;
        else
            EXPECT_EQ(got.firstNonFinite, e.firstNonFinite) << where;
        EXPECT_EQ(got.firstStep, e.firstStep) << where;
        EXPECT_EQ(got.first, e.first) << where;
        EXPECT_EQ(got.lastStep, e.lastStep) << where;
        EXPECT_EQ(got.last, e.last) << where;
        EXPECT_EQ(got.minStep, e.minStep) << where;
        EXPECT_EQ(got.min, e.min) << where;
        EXPECT_EQ(got.maxStep, e.maxStep) << where;
        EXPECT_EQ(got.max, e.max) << where;
        EXPECT_EQ(got.sum, e.sum) << where;
    };
    // bucketize(), the brute-force definition the other tests compare against.
    const auto two = bucketize(points, 128);
    ASSERT_EQ(two.size(), 2u);
    check(two[0], a, "bucketize A");
    check(two[1], b, "bucketize B");
    const auto one = bucketize(points, 256);
    ASSERT_EQ(one.size(), 1u);
    check(one[0], whole, "bucketize whole");
    // The stored summary: 128-wide columns merge two 64-wide buckets; 256 is a stored level.
    auto env = readEnvelope(store->connection(), run.id, "hand", 0, 255, 2);
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_TRUE(env->fromSummary);
    ASSERT_EQ(env->columns.size(), 2u);
    check(env->columns[0], a, "summary A");
    check(env->columns[1], b, "summary B");
    env = readEnvelope(store->connection(), run.id, "hand", 0, 255, 1);
    ASSERT_TRUE(env) << env.error().message;
    ASSERT_EQ(env->columns.size(), 1u);
    check(env->columns[0], whole, "summary whole");
}
