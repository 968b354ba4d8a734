// The gallery's logic against brute force on random predictions: every filter and sort order,
// flips between epochs, the confusion matrix, discordant pairs and a sample's story.

#include "widgets/gallery_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace runboard;
using storage::PredictionRecord;
using widgets::Predictions;

namespace {

// n samples out of 3n indices (so that runs and epochs overlap only partly), k classes.
Predictions randomPredictions(std::mt19937& rng, int n, int k, std::int64_t epoch) {
    std::uniform_int_distribution<int> cls(0, k - 1);
    std::uniform_real_distribution<float> unit(0, 1);
    std::bernoulli_distribution keep(1.0 / 3), right(0.7), nanLoss(0.01);
    Predictions rows;
    for (std::int64_t i = 0; static_cast<int>(rows.size()) < n; ++i) {
        if (!keep(rng)) continue;
        PredictionRecord r;
        r.epoch = epoch;
        r.sampleIndex = i;
        r.target = cls(rng);
        r.predicted = right(rng) ? r.target : cls(rng);
        // Coarse confidences, so that ties exist and are broken by index.
        r.confidence = std::round(unit(rng) * 20) / 20;
        r.loss = nanLoss(rng) ? std::nan("") : std::round(unit(rng) * 50) / 10;
        rows.push_back(r);
    }
    return rows;
}

const PredictionRecord* bruteFind(const Predictions& rows, std::int64_t index) {
    for (const auto& r : rows)
        if (r.sampleIndex == index) return &r;
    return nullptr;
}

}  // namespace

TEST(Gallery, EveryFilterAndSortAgainstBruteForce) {
    std::mt19937 rng(7);
    const int k = 5;
    for (int trial = 0; trial < 40; ++trial) {
        const Predictions now = randomPredictions(rng, 300, k, 2);
        const Predictions before = randomPredictions(rng, 300, k, 1);
        const Predictions other = randomPredictions(rng, 300, k, 2);
        std::set<std::int64_t> flagged;
        for (const auto& r : now)
            if (r.sampleIndex % 7 == 0) flagged.insert(r.sampleIndex);
        widgets::GalleryFilter f;
        f.mistakesOnly = trial % 2 == 1;
        if (trial % 3 == 1) f.trueClass = trial % k;
        if (trial % 4 == 2) f.predictedClass = (trial + 1) % k;
        if (trial % 5 == 3) f.minConfidence = 0.3f, f.maxConfidence = 0.8f;
        f.changedOnly = trial % 6 == 4;
        f.pair = static_cast<widgets::PairFilter>(trial % 3);
        f.flaggedOnly = trial % 7 == 5;
        const auto sort = static_cast<widgets::GallerySort>(trial % 4);
        const auto order = widgets::galleryOrder(now, &before, &other, flagged, f, sort);

        // Brute force: the set that passes, then a stable sort by the key and then the index.
        std::vector<std::size_t> expected;
        for (std::size_t i = 0; i < now.size(); ++i) {
            const auto& r = now[i];
            bool ok = !(f.mistakesOnly && r.target == r.predicted);
            ok = ok && (!f.trueClass || r.target == *f.trueClass);
            ok = ok && (!f.predictedClass || r.predicted == *f.predictedClass);
            ok = ok && r.confidence >= f.minConfidence && r.confidence <= f.maxConfidence;
            ok = ok && (!f.flaggedOnly || r.sampleIndex % 7 == 0);
            if (f.changedOnly) {
                const auto* b = bruteFind(before, r.sampleIndex);
                ok = ok && b && b->predicted != r.predicted;
            }
            if (f.pair != widgets::PairFilter::Any) {
                const auto* b = bruteFind(other, r.sampleIndex);
                const bool aRight = r.target == r.predicted;
                ok = ok && b &&
                     (f.pair == widgets::PairFilter::OnlyARight
                          ? aRight && b->target != b->predicted
                          : !aRight && b->target == b->predicted);
            }
            if (ok) expected.push_back(i);
        }
        ASSERT_EQ(order.size(), expected.size()) << "trial " << trial;
        std::vector<std::size_t> sortedOrder = order, sortedExpected = expected;
        std::sort(sortedOrder.begin(), sortedOrder.end());
        ASSERT_EQ(sortedOrder, sortedExpected) << "trial " << trial;
        for (std::size_t i = 1; i < order.size(); ++i) {
            const auto& a = now[order[i - 1]];
            const auto& b = now[order[i]];
            switch (sort) {
                case widgets::GallerySort::Index:
                    ASSERT_LT(a.sampleIndex, b.sampleIndex);
                    break;
                case widgets::GallerySort::LossDescending: {
                    const double la = std::isnan(a.loss) ? 1e300 : a.loss;
                    const double lb = std::isnan(b.loss) ? 1e300 : b.loss;
                    ASSERT_TRUE(la > lb || (la == lb && a.sampleIndex < b.sampleIndex));
                    break;
                }
                case widgets::GallerySort::ConfidenceAscending:
                    ASSERT_TRUE(a.confidence < b.confidence ||
                                (a.confidence == b.confidence && a.sampleIndex < b.sampleIndex));
                    break;
                case widgets::GallerySort::ConfidenceDescending:
                    ASSERT_TRUE(a.confidence > b.confidence ||
                                (a.confidence == b.confidence && a.sampleIndex < b.sampleIndex));
                    break;
            }
        }
    }
    // Filters that need a previous epoch or a second run pass nothing without one.
    const Predictions rows = randomPredictions(rng, 50, k, 1);
    widgets::GalleryFilter changed;
    changed.changedOnly = true;
    EXPECT_TRUE(
        widgets::galleryOrder(rows, nullptr, nullptr, {}, changed, widgets::GallerySort::Index)
            .empty());
}

TEST(Gallery, FlipsConfusionAndDiscordanceAgainstBruteForce) {
    std::mt19937 rng(8);
    const int k = 4;
    const Predictions now = randomPredictions(rng, 500, k, 3);
    const Predictions before = randomPredictions(rng, 500, k, 2);
    const auto flips = widgets::countFlips(now, before);
    widgets::Flips expected;
    for (const auto& r : now)
        for (const auto& b : before)
            if (b.sampleIndex == r.sampleIndex) {
                ++expected.compared;
                const bool was = b.target == b.predicted, is = r.target == r.predicted;
                expected.learned += !was && is;
                expected.forgotten += was && !is;
                expected.switched += !was && !is && b.predicted != r.predicted;
            }
    EXPECT_GT(expected.compared, 0);
    EXPECT_EQ(flips.compared, expected.compared);
    EXPECT_EQ(flips.learned, expected.learned);
    EXPECT_EQ(flips.forgotten, expected.forgotten);
    EXPECT_EQ(flips.switched, expected.switched);

    const auto m = widgets::confusionOf(now, k);
    std::map<std::pair<int, int>, std::int64_t> counts;
    for (const auto& r : now)
        ++counts[{r.target, r.predicted}];
    std::int64_t total = 0;
    for (int t = 0; t < k; ++t)
        for (int p = 0; p < k; ++p) {
            EXPECT_EQ(m.at(t, p), (counts[{t, p}]));
            total += m.at(t, p);
        }
    EXPECT_EQ(total, static_cast<std::int64_t>(now.size()));
    for (int c = 0; c < k; ++c) {
        std::int64_t tp = 0, truth = 0, predicted = 0;
        for (const auto& r : now) {
            tp += r.target == c && r.predicted == c;
            truth += r.target == c;
            predicted += r.predicted == c;
        }
        EXPECT_DOUBLE_EQ(m.recall(c), static_cast<double>(tp) / static_cast<double>(truth));
        EXPECT_DOUBLE_EQ(m.precision(c), static_cast<double>(tp) / static_cast<double>(predicted));
    }
    // A class nothing is predicted as has no precision.
    Predictions one = {PredictionRecord{1, 0, 0, 0, 1.0f, 0.1, {}}};
    EXPECT_TRUE(std::isnan(widgets::confusionOf(one, 2).precision(1)));

    const auto d = widgets::discordance(now, before);
    widgets::Discordance e;
    for (const auto& a : now)
        if (const auto* b = bruteFind(before, a.sampleIndex)) {
            const bool ra = a.target == a.predicted, rb = b->target == b->predicted;
            e.both += ra && rb;
            e.onlyA += ra && !rb;
            e.onlyB += !ra && rb;
            e.neither += !ra && !rb;
        }
    EXPECT_EQ(d.both, e.both);
    EXPECT_EQ(d.onlyA, e.onlyA);
    EXPECT_EQ(d.onlyB, e.onlyB);
    EXPECT_EQ(d.neither, e.neither);
    EXPECT_EQ(d.both + d.onlyA + d.onlyB + d.neither, flips.compared);
}

TEST(Gallery, StoryTellsWhenASampleWasLearnedAndForgotten) {
    auto history = [](std::initializer_list<int> predicted) {
        Predictions h;
        std::int64_t epoch = 1;
        for (int p : predicted)
            h.push_back(PredictionRecord{epoch++, 42, 3, p, 0.5f, 1.0, {}});
        return h;
    };
    auto s = widgets::storyOf(history({1, 3, 3, 2, 3, 3}));
    ASSERT_TRUE(s.learnedAt);
    EXPECT_EQ(*s.learnedAt, 5);
    EXPECT_EQ(s.forgottenAt, (std::vector<std::int64_t>{4}));
    s = widgets::storyOf(history({3, 3, 0}));
    EXPECT_FALSE(s.learnedAt);
    EXPECT_EQ(s.forgottenAt, (std::vector<std::int64_t>{3}));
    s = widgets::storyOf(history({3, 3}));
    EXPECT_EQ(s.learnedAt, 1);
    EXPECT_TRUE(s.forgottenAt.empty());
}
