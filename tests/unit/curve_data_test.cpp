// The curve data against brute force: every extreme of the raw series is a vertex of the M4
// polyline, at most four points a column; smoothing over one-point columns is TensorBoard's EMA.

#include "widgets/curve_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

#include "widgets/plot/plot_scale.h"

using namespace runboard;

TEST(CurveData, M4KeepsEveryColumnsExtremesAndEnds) {
    std::mt19937 rng(2);
    std::normal_distribution<double> noise;
    std::vector<storage::MetricPoint> points;
    for (std::int64_t s = 0; s < 50'000; ++s) {
        double v = noise(rng);
        if (s % 9973 == 0) v = 1000.0;  // spikes
        if (s % 7919 == 0) v = -1000.0;
        points.push_back({s, 0, v});
    }
    for (std::int64_t width : {1, 7, 64, 1000}) {
        const auto columns = storage::bucketize(points, width);
        const auto poly = widgets::m4Points(columns);
        EXPECT_LE(poly.size(), 4 * columns.size());
        for (std::size_t i = 1; i < poly.size(); ++i)
            ASSERT_LT(poly[i - 1].x, poly[i].x) << "x order";
        // Brute force per column: min and max of the raw values appear at their steps.
        std::size_t p = 0;
        for (const auto& c : columns) {
            double lo = INFINITY, hi = -INFINITY;
            for (std::int64_t s = c.index * width; s < (c.index + 1) * width && s < 50'000; ++s) {
                lo = std::min(lo, points[static_cast<std::size_t>(s)].value);
                hi = std::max(hi, points[static_cast<std::size_t>(s)].value);
            }
            bool seenLo = false, seenHi = false;
            while (p < poly.size() && poly[p].x < static_cast<double>((c.index + 1) * width)) {
                seenLo |= poly[p].y == lo;
                seenHi |= poly[p].y == hi;
                ++p;
            }
            ASSERT_TRUE(seenLo && seenHi) << "column " << c.index << " width " << width;
        }
    }
}

TEST(CurveData, SmoothingOverSinglePointColumnsIsTensorBoardsEma) {
    std::vector<storage::MetricPoint> points;
    for (std::int64_t s = 0; s < 200; ++s)
        points.push_back({s, 0, std::sin(0.1 * static_cast<double>(s)) + 0.01 * s});
    const double w = 0.9;
    const auto smoothed = widgets::smoothColumns(storage::bucketize(points, 1), w);
    ASSERT_EQ(smoothed.size(), points.size());
    double last = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        last = last * w + (1 - w) * points[i].value;
        const double debiased = last / (1 - std::pow(w, static_cast<double>(i + 1)));
        EXPECT_NEAR(smoothed[i].y, debiased, 1e-12) << i;
        EXPECT_EQ(smoothed[i].x, static_cast<double>(points[i].step));
    }
    // Weight 0 draws the values themselves.
    const auto none = widgets::smoothColumns(storage::bucketize(points, 1), 0.0);
    EXPECT_EQ(none[17].y, points[17].value);
}

TEST(CurveData, NonFiniteColumnsAreMarkedAndLogClipsNonPositive) {
    std::vector<storage::MetricPoint> points = {
        {0, 0, 1.0}, {1, 0, NAN}, {2, 0, -3.0}, {70, 0, INFINITY}, {71, 0, 2.0}};
    const auto columns = storage::bucketize(points, 64);
    EXPECT_EQ(widgets::nonFiniteSteps(columns), (std::vector<double>{1.0, 70.0}));
    const auto clip = widgets::clipForLog(widgets::m4Points(columns), 1e-3);
    ASSERT_EQ(clip.clipped.size(), 1u);
    EXPECT_EQ(clip.clipped[0].x, 2.0);
    for (const auto& p : clip.points)
        EXPECT_GT(p.y, 0.0);
}

TEST(CurveData, StepsMapToEpochsAndWallTimeThroughAnchors) {
    // Epoch anchors: epoch e ends at step 100 e.
    const std::vector<widgets::Anchor> epochs = {{0, 0}, {100, 1}, {200, 2}, {300, 3}};
    EXPECT_DOUBLE_EQ(widgets::mapStep(epochs, 50), 0.5);
    EXPECT_DOUBLE_EQ(widgets::mapStep(epochs, 250), 2.5);
    EXPECT_DOUBLE_EQ(widgets::mapStep(epochs, 350), 3.5);    // beyond: the last segment's slope
    EXPECT_DOUBLE_EQ(widgets::mapStep({{10, 4}}, 15), 9.0);  // one anchor: a shift
    // Wall-clock anchors with a pause: the map follows the clock, not the steps.
    const std::vector<widgets::Anchor> wall = {{0, 0}, {10, 1}, {20, 61}};
    std::vector<widgets::CurvePoint> pts = {{5, 1.0}, {15, 2.0}};
    widgets::remapX(pts, wall);
    EXPECT_DOUBLE_EQ(pts[0].x, 0.5);
    EXPECT_DOUBLE_EQ(pts[1].x, 31.0);
    EXPECT_EQ(pts[1].y, 2.0);
}

TEST(PlotMapping, MapsCornersAndInvertsX) {
    widgets::PlotMapping m;
    m.area = QRectF(40, 10, 600, 300);
    m.x0 = 100, m.x1 = 700, m.y0 = -1, m.y1 = 2;
    EXPECT_EQ(m.toPixel(100, -1), QPointF(40, 310));  // bottom left
    EXPECT_EQ(m.toPixel(700, 2), QPointF(640, 10));   // top right
    EXPECT_DOUBLE_EQ(m.toPixel(400, 0.5).y(), 160);
    for (double x : {100.0, 123.5, 650.0})
        EXPECT_NEAR(m.xAt(m.toPixel(x, 0).x()), x, 1e-9);
    // Log y: decades are equally spaced.
    m.logY = true;
    m.y0 = 1e-3, m.y1 = 10;
    EXPECT_NEAR(m.toPixel(100, 1e-3).y(), 310, 1e-9);
    EXPECT_NEAR(m.toPixel(100, 1e-2).y(), 235, 1e-9);
    EXPECT_NEAR(m.toPixel(100, 10).y(), 10, 1e-9);
    // A degenerate range maps to the middle instead of dividing by zero.
    m.logY = false;
    m.y0 = m.y1 = 3;
    EXPECT_DOUBLE_EQ(m.toPixel(100, 3).y(), 160);
}

TEST(CurveData, StableRangeKeepsTheAxisWhileLiveDataStaysInside) {
    // No current range: the data with 5% padding.
    auto r = widgets::stableRange(std::nullopt, 1.0, 3.0, false);
    EXPECT_DOUBLE_EQ(r.first, 0.9);
    EXPECT_DOUBLE_EQ(r.second, 3.1);
    // New points inside, still filling most of it: unchanged.
    EXPECT_EQ(widgets::stableRange(r, 1.1, 2.9, false), r);
    // A point outside: recomputed around the data.
    auto grown = widgets::stableRange(r, 1.0, 3.5, false);
    EXPECT_DOUBLE_EQ(grown.second, 3.5 + 0.125);
    // The data shrank to a sliver of the axis (a loss that came down): recomputed, tight.
    auto shrunk = widgets::stableRange(r, 1.0, 1.5, false);
    EXPECT_DOUBLE_EQ(shrunk.first, 0.975);
    EXPECT_DOUBLE_EQ(shrunk.second, 1.525);
    // Log axes compare decades.
    auto lr = widgets::stableRange(std::nullopt, 1e-3, 1.0, true);
    EXPECT_DOUBLE_EQ(lr.first, 1e-3 / 1.5);
    EXPECT_EQ(widgets::stableRange(lr, 2e-3, 0.9, true), lr);
    EXPECT_NE(widgets::stableRange(lr, 0.1, 0.9, true), lr);
}

TEST(CurveData, RangesOfOnePointHoldItWithRoom) {
    // One value: 5% of it either side, not a range two units wide around an accuracy.
    const auto y = widgets::stableRange(std::nullopt, 0.8, 0.8, false);
    EXPECT_DOUBLE_EQ(y.first, 0.8 - 0.04);
    EXPECT_DOUBLE_EQ(y.second, 0.8 + 0.04);
    const auto zero = widgets::stableRange(std::nullopt, 0.0, 0.0, false);
    EXPECT_LT(zero.first, 0.0);
    EXPECT_GT(zero.second, 0.0);
    // One x: in the middle of a range of 2; a real extent is kept as it is.
    EXPECT_EQ(widgets::xRangeFor(15, 15), std::pair(14.0, 16.0));
    EXPECT_EQ(widgets::xRangeFor(0, 0), std::pair(-1.0, 1.0));
    EXPECT_EQ(widgets::xRangeFor(3, 45), std::pair(3.0, 45.0));
    const auto wall = widgets::xRangeFor(12345.5, 12345.5);
    EXPECT_LT(wall.first, 12345.5);
    EXPECT_GT(wall.second, 12345.5);
}

// The spacing of linear ticks, as (mantissa, exponent) when it is 1, 2 or 5 x 10^k.
static std::optional<std::pair<int, int>> oneTwoFive(double spacing) {
    const int k = static_cast<int>(std::floor(std::log10(spacing) + 1e-9));
    const double m = spacing / std::pow(10.0, k);
    for (int mantissa : {1, 2, 5})
        if (std::abs(m - mantissa) < 1e-6) return std::pair(mantissa, k);
    return std::nullopt;
}

TEST(AxisTicks, LinearTicksAreTheFinestOneTwoFiveSpacingThatFits) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> exponent(-6, 7), unit(0, 1);
    for (int trial = 0; trial < 2000; ++trial) {
        const double scale = std::pow(10.0, exponent(rng));
        const double lo = (unit(rng) - 0.5) * scale, hi = lo + unit(rng) * scale + 1e-12;
        const int maxCount = 2 + trial % 11;
        const auto ticks = widgets::linearTicks(lo, hi, maxCount);
        ASSERT_LE(ticks.size(), static_cast<std::size_t>(maxCount)) << lo << " " << hi;
        ASSERT_GE(ticks.size(), 1u) << lo << " " << hi << " max " << maxCount;
        for (double t : ticks) {
            ASSERT_GE(t, lo - 1e-9 * scale);
            ASSERT_LE(t, hi + 1e-9 * scale);
        }
        if (ticks.size() < 2) continue;
        const double d = ticks[1] - ticks[0];
        const auto mk = oneTwoFive(d);
        ASSERT_TRUE(mk) << "spacing " << d;
        for (std::size_t i = 1; i < ticks.size(); ++i)
            ASSERT_NEAR(ticks[i] - ticks[i - 1], d, d * 1e-6);
        // Every tick is a multiple of the spacing, and no multiple inside is left out.
        for (double t : ticks)
            ASSERT_NEAR(t / d, std::round(t / d), 1e-6 + 1e-9 * std::abs(t / d));
        EXPECT_LT(ticks.front() - d, lo + 1e-9 * d);
        EXPECT_GT(ticks.back() + d, hi - 1e-9 * d);
        // The next finer 1-2-5 spacing would give too many ticks (counted by brute force).
        const auto [mantissa, k] = *mk;
        const double finer = mantissa == 1   ? 5 * std::pow(10.0, k - 1)
                             : mantissa == 2 ? std::pow(10.0, k)
                                             : 2 * std::pow(10.0, k);
        int count = 0;
        for (double m = std::ceil(lo / finer - 1e-9); m * finer <= hi + finer * 1e-9; m += 1)
            ++count;
        EXPECT_GT(count, maxCount)
            << "spacing " << d << " is not the finest for " << lo << ".." << hi;
    }
    EXPECT_EQ(widgets::linearTicks(0, 1, 6), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0}));
    EXPECT_EQ(widgets::linearTicks(1, 6400, 13).front(), 500);
    EXPECT_TRUE(widgets::linearTicks(2, 1, 5).empty());
    EXPECT_TRUE(widgets::linearTicks(0, std::nan(""), 5).empty());
}

TEST(AxisTicks, LogTicksAreDecadesOrTheirOneTwoFiveMultiples) {
    EXPECT_EQ(widgets::logTicks(1e-4, 10, 8), (std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1, 1, 10}));
    // Too many decades: every other one.
    EXPECT_EQ(widgets::logTicks(1e-4, 10, 3), (std::vector<double>{1e-4, 1e-2, 1}));
    // One decade inside: its 1-2-5 multiples.
    EXPECT_EQ(widgets::logTicks(2, 30, 6), (std::vector<double>{2, 5, 10, 20}));
    // Less than that: linear ticks, half as many (evenly spaced values crowd at the top of a log
    // axis).
    EXPECT_EQ(widgets::logTicks(0.3, 0.45, 4), widgets::linearTicks(0.3, 0.45, 2));
    EXPECT_TRUE(widgets::logTicks(0, 1, 4).empty());
}

TEST(AxisTicks, LabelsShowTheDecimalsTheSpacingNeeds) {
    EXPECT_EQ(widgets::tickLabel(0.1 + 0.2, 0.1), "0.3");
    EXPECT_EQ(widgets::tickLabel(-1e-17, 0.1), "0");
    EXPECT_EQ(widgets::tickLabel(1500, 500), "1500");
    EXPECT_EQ(widgets::tickLabel(0.85, 0.05), "0.85");
    EXPECT_EQ(widgets::tickLabel(2.5e-5, 5e-6), "2.5e-05");
    EXPECT_EQ(widgets::tickLabel(3e7, 1e7), "3e+07");
}

TEST(CurveData, GroupCurveIsTheMeanAndSpreadOfInterpolatedRuns) {
    // Three runs on different x grids: y = x + k for k = 0, 1, 5 (linear, so interpolation is
    // exact), the first on x = 0..10, the others on a shorter, coarser range.
    std::vector<widgets::CurvePoint> a, b, c;
    for (int x = 0; x <= 10; ++x)
        a.push_back({double(x), double(x)});
    for (int x = 1; x <= 9; x += 2)
        b.push_back({double(x), double(x) + 1});
    for (int x = 2; x <= 8; x += 3)
        c.push_back({double(x), double(x) + 5});
    const auto g = widgets::groupCurve({&a, &b, &c}, true);
    // The common range is [2, 8]: a's points 2..8.
    ASSERT_EQ(g.mean.size(), 7u);
    EXPECT_EQ(g.mean.front().x, 2);
    EXPECT_EQ(g.mean.back().x, 8);
    for (std::size_t i = 0; i < g.mean.size(); ++i) {
        const double x = g.mean[i].x;
        EXPECT_NEAR(g.mean[i].y, x + 2, 1e-12);
        EXPECT_NEAR(g.low[i].y, x, 1e-12);
        EXPECT_NEAR(g.high[i].y, x + 5, 1e-12);
    }
    const auto s = widgets::groupCurve({&a, &b, &c}, false);
    const double sd =
        std::sqrt(((0 - 2.0) * (0 - 2.0) + (1 - 2.0) * (1 - 2.0) + (5 - 2.0) * (5 - 2.0)) / 2);
    EXPECT_NEAR(s.high[3].y - s.mean[3].y, sd, 1e-12);
    EXPECT_NEAR(s.mean[3].y - s.low[3].y, sd, 1e-12);
    // One run, or runs that do not overlap: nothing.
    EXPECT_TRUE(widgets::groupCurve({&a}, true).mean.empty());
    std::vector<widgets::CurvePoint> late = {{20, 1}, {30, 2}};
    EXPECT_TRUE(widgets::groupCurve({&a, &late}, true).mean.empty());
}

TEST(AxisTicks, ARangeAFewUlpsWideHasOneTickAndEnds) {
    // Zoomed in past a double's precision: the tick loop used to step k by 1 forever.
    const double lo = 0.3, hi = std::nextafter(std::nextafter(0.3, 1.0), 1.0);
    const auto ticks = widgets::linearTicks(lo, hi, 12);
    ASSERT_EQ(ticks.size(), 1u);
    EXPECT_EQ(ticks.front(), lo);
    EXPECT_LE(widgets::linearTicks(1e15, 1e15 + 2, 20).size(), 20u);
}

TEST(AxisTicks, UsableRangesAreFiniteWiderThanRoundingAndPositiveOnLogAxes) {
    EXPECT_TRUE(widgets::usableRange(0, 1, false));
    EXPECT_TRUE(widgets::usableRange(-5, -1, false));
    EXPECT_FALSE(widgets::usableRange(1, 1, false));
    EXPECT_FALSE(widgets::usableRange(0.3, std::nextafter(0.3, 1.0), false));
    EXPECT_FALSE(widgets::usableRange(0, INFINITY, false));
    EXPECT_FALSE(widgets::usableRange(NAN, 1, false));
    EXPECT_TRUE(widgets::usableRange(1e-7, 10, true));
    EXPECT_FALSE(widgets::usableRange(0, 10, true));
    EXPECT_FALSE(widgets::usableRange(-1, 10, true));
}
