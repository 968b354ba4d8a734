// The checklist's data checks against brute force: per-split class counts and pixel statistics,
// exact duplicates planted between the training part and another split (found, with the right
// pair, and nothing else), and the pass/warn/fail thresholds.

#include "engine/data/data_checks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace runboard::engine;

namespace {

// n random 4x4 images with labels in [0, classes).
void randomData(IdxArray& images, IdxArray& labels, std::uint32_t n, int classes,
                std::uint32_t seed) {
    std::mt19937 rng(seed);
    images.dims = {n, 4, 4};
    images.data.resize(n * 16);
    for (auto& p : images.data)
        p = static_cast<std::uint8_t>(rng() % 256);
    labels.dims = {n};
    labels.data.resize(n);
    for (std::uint32_t i = 0; i < n; ++i)
        labels.data[i] = static_cast<std::uint8_t>(i % static_cast<std::uint32_t>(classes));
}

std::vector<std::int64_t> range(std::int64_t a, std::int64_t b) {
    std::vector<std::int64_t> v;
    for (auto i = a; i < b; ++i)
        v.push_back(i);
    return v;
}

}  // namespace

TEST(DataChecks, SplitStatsMatchBruteForce) {
    IdxArray images, labels;
    randomData(images, labels, 300, 3, 1);
    const SampleArray all = SampleArray::idx(images, labels);
    const SplitView split{"val", &all, {5, 17, 100, 101, 299}};
    const auto s = splitStats(split, 3);
    EXPECT_EQ(s.count, 5);
    std::vector<std::int64_t> counts(3, 0);
    double sum = 0, sumSq = 0;
    for (auto i : split.indices) {
        ++counts[labels.data[static_cast<std::size_t>(i)]];
        for (int k = 0; k < 16; ++k) {
            const double v =
                images.data[static_cast<std::size_t>(i) * 16 + static_cast<std::size_t>(k)] / 255.0;
            sum += v;
            sumSq += v * v;
        }
    }
    EXPECT_EQ(s.classCounts, counts);
    EXPECT_NEAR(s.mean, sum / 80, 1e-12);
    EXPECT_NEAR(s.stdev, std::sqrt(sumSq / 80 - (sum / 80) * (sum / 80)), 1e-12);
}

TEST(DataChecks, PlantedDuplicatesAreFoundWithTheirPairAndJudged) {
    IdxArray images, labels;
    randomData(images, labels, 1000, 10, 2);
    // The file: 0..799 train, 800..999 val. Plant copies of train samples into val.
    const std::vector<std::pair<std::int64_t, std::int64_t>> planted = {
        {3, 850}, {400, 901}, {799, 999}};
    for (auto [from, to] : planted)
        std::copy_n(images.data.begin() + from * 16, 16, images.data.begin() + to * 16);
    const SampleArray all = SampleArray::idx(images, labels);
    const SplitView train{"train", &all, range(0, 800)};
    const SplitView val{"val", &all, range(800, 1000)};
    const auto dups = exactDuplicates(train, val);
    ASSERT_EQ(dups.size(), planted.size());
    for (std::size_t k = 0; k < planted.size(); ++k) {
        EXPECT_EQ(dups[k].trainIndex, planted[k].first);
        EXPECT_EQ(dups[k].otherIndex, planted[k].second);
    }
    // 3 of 200 is 1.5%: more than 1% fails, and the details name the pairs.
    auto r = leakageCheck(train, val);
    EXPECT_EQ(r.status, CheckStatus::Fail);
    EXPECT_EQ(r.value, 3);
    ASSERT_EQ(r.details.size(), 3u);
    EXPECT_EQ(r.details[0], "val #850 = train #3");
    EXPECT_NE(r.message.find("deduplicate"), std::string::npos) << r.message;
    // Under a 2% threshold the same 1.5% only warns; a clean split passes.
    r = leakageCheck(train, val, 0.02);
    EXPECT_EQ(r.status, CheckStatus::Warn);
    const SplitView clean{"test", &all, range(800, 850)};
    r = leakageCheck(train, clean);
    EXPECT_EQ(r.status, CheckStatus::Pass);
    EXPECT_EQ(r.value, 0);
    EXPECT_EQ(r.name, "data.duplicates.test");
}

TEST(DataChecks, BalanceAndStatsThresholds) {
    SplitStats balanced{"train", 40, {10, 10, 10, 10}, 0.3, 0.2};
    SplitStats skewed{"val", 30, {10, 5, 10, 5}, 0.31, 0.2};
    auto r = balanceCheck({balanced});
    EXPECT_EQ(r.status, CheckStatus::Pass);
    EXPECT_DOUBLE_EQ(r.value, 1.0);
    r = balanceCheck({balanced, skewed});
    EXPECT_EQ(r.status, CheckStatus::Warn);
    EXPECT_DOUBLE_EQ(r.value, 2.0);
    EXPECT_NE(r.message.find("val"), std::string::npos) << r.message;
    SplitStats missing{"test", 20, {10, 0, 5, 5}, 0.3, 0.2};
    r = balanceCheck({balanced, missing});
    EXPECT_EQ(r.status, CheckStatus::Warn);
    EXPECT_TRUE(std::isinf(r.value));
    EXPECT_NE(r.message.find("no samples in test"), std::string::npos) << r.message;

    EXPECT_EQ(statsCheck({balanced, skewed}).status, CheckStatus::Pass);
    SplitStats shifted{"test", 40, {10, 10, 10, 10}, 0.7, 0.2};
    r = statsCheck({balanced, shifted});
    EXPECT_EQ(r.status, CheckStatus::Warn);
    EXPECT_NEAR(r.value, 2.0, 1e-12);
    EXPECT_EQ(checkStatusName(CheckStatus::Warn), "warn");
}

TEST(DataChecks, TablesGoThroughTheSameChecksWithTheirIds) {
    // 6 rows of 2 float features; row 4 copies row 1 exactly, row 5 differs from row 2 by one ulp.
    std::vector<float> values = {0.5f, 1.f, 2.f, 3.f, 4.f, 5.f, 0.5f, 1.f, 2.f, 3.f, -1.f, 0.f};
    values[9] = std::nextafter(3.f, 4.f);
    const std::vector<std::int64_t> rowIds = {11, 12, 13, 14, 15, 16};
    const SampleArray all = SampleArray::features(values.data(), 6, 2, {0, 1, 0, 0, 1, 1});
    const SplitView train{"train", &all, {0, 1, 2}, &rowIds};
    const SplitView test{"test", &all, {3, 4, 5}, &rowIds};
    const auto r = leakageCheck(train, test, 0.5);
    EXPECT_EQ(r.value, 1);
    ASSERT_EQ(r.details.size(), 1u);
    EXPECT_EQ(r.details[0], "test #14 = train #11");
    const auto s = splitStats(train, 2);
    EXPECT_EQ(s.classCounts, (std::vector<std::int64_t>{2, 1}));
    EXPECT_NEAR(s.mean, (0.5 + 1 + 2 + 3 + 4 + 5) / 6.0, 1e-12);  // features are not scaled
}
