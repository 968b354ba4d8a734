// The LR finder's arithmetic: the LR grid, the debiased EMA, the stop rule against plain gradient
// descent on a quadratic (a known answer: it diverges above 2/L), and the suggestion rules on
// curves whose answers are known, with NaN and early spikes.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/sweep/lr_sweep.h"

using namespace runboard;

TEST(Sweep, ValidatesOptionsWithMessagesThatNameTheProblem) {
    EXPECT_EQ(sweep::validate({}), "");
    auto message = [](auto change) {
        sweep::Options o;
        change(o);
        return sweep::validate(o);
    };
    EXPECT_EQ(message([](auto& o) { o.start = 0; }), "the start learning rate must be > 0, got 0");
    EXPECT_EQ(message([](auto& o) { o.end = 1e-8; }),
              "the end learning rate must be greater than the start (1e-07), got 1e-08");
    EXPECT_EQ(message([](auto& o) { o.steps = 1; }),
              "the number of steps must be between 2 and 10000, got 1");
    EXPECT_EQ(message([](auto& o) { o.beta = 1; }),
              "beta (the smoothing) must be in [0, 1), got 1");
    EXPECT_EQ(message([](auto& o) { o.stopFactor = 1; }), "the stop factor must be > 1, got 1");
    EXPECT_NE(message([](auto& o) { o.start = std::nan(""); }), "");
}

TEST(Sweep, LrGridIsGeometricOrLinearFromStartToEnd) {
    sweep::Options o{1e-6, 1.0, 7};
    EXPECT_DOUBLE_EQ(sweep::lrAt(o, 0), 1e-6);
    EXPECT_NEAR(sweep::lrAt(o, 6), 1.0, 1e-12);
    for (int i = 1; i < 7; ++i)  // one decade a step
        EXPECT_NEAR(sweep::lrAt(o, i) / sweep::lrAt(o, i - 1), 10.0, 1e-9);
    o.mode = sweep::Mode::Linear;
    o.start = 0.1;
    o.end = 0.7;
    for (int i = 0; i < 7; ++i)
        EXPECT_NEAR(sweep::lrAt(o, i), 0.1 + 0.1 * i, 1e-12);
    EXPECT_EQ(sweep::kModeNames.parse("exp"), sweep::Mode::Exponential);
    EXPECT_EQ(sweep::kModeNames.parse("linear"), sweep::Mode::Linear);
    EXPECT_FALSE(sweep::kModeNames.parse("log"));
}

TEST(Sweep, SmoothedLossIsTheDebiasedEma) {
    sweep::Options o;
    o.beta = 0.9;
    sweep::Tracker t(o);
    const double losses[] = {2.0, 1.0, 3.0, 0.5};
    double avg = 0;
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(t.record(losses[i]) || i == 2);
        avg = 0.9 * avg + 0.1 * losses[i];
        EXPECT_NEAR(t.points()[i].smoothed, avg / (1 - std::pow(0.9, i + 1)), 1e-12);
        if (t.done()) break;
    }
    EXPECT_DOUBLE_EQ(t.points()[0].smoothed, 2.0);  // debiased: the first value is the loss
}

TEST(Sweep, StopsOnExplosionNonFiniteCompletionOrRequest) {
    sweep::Options o;
    o.beta = 0;
    o.steps = 10;
    {
        sweep::Tracker t(o);
        EXPECT_TRUE(t.record(1.0));
        EXPECT_TRUE(t.record(0.5));
        EXPECT_TRUE(t.record(2.0));   // 4 x 0.5 is not above
        EXPECT_FALSE(t.record(2.1));  // above 4 x best
        ASSERT_TRUE(t.stop());
        EXPECT_EQ(t.stop()->reason, sweep::StopReason::Exploded);
        EXPECT_EQ(t.stop()->step, 3);
        EXPECT_DOUBLE_EQ(t.stop()->lr, sweep::lrAt(o, 3));
        EXPECT_FALSE(t.record(0.1)) << "nothing is recorded after the stop";
        EXPECT_EQ(t.points().size(), 4u);
    }
    {
        sweep::Tracker t(o);
        t.record(1.0);
        EXPECT_FALSE(t.record(std::numeric_limits<double>::infinity()));
        EXPECT_EQ(t.stop()->reason, sweep::StopReason::NonFinite);
        EXPECT_TRUE(std::isnan(t.points().back().smoothed));
    }
    {
        sweep::Tracker t(o);
        for (int i = 0; i < 10; ++i)
            t.record(1.0 - 0.01 * i);
        EXPECT_EQ(t.stop()->reason, sweep::StopReason::Completed);
        EXPECT_EQ(t.stop()->step, 9);
    }
    {
        std::atomic<bool> stop = false;
        int calls = 0;
        auto r = sweep::run(
            o,
            [&](double) {
                if (++calls == 3) stop = true;
                return 1.0;
            },
            {}, &stop);
        EXPECT_EQ(r.stop.reason, sweep::StopReason::Stopped);
        EXPECT_EQ(r.points.size(), 3u);
        EXPECT_EQ(r.stop.step, 2);
    }
}

namespace {

// Plain gradient descent on f(w) = L/2 w^2 from w = 1: the loss is reported before each step,
// as a training step reports the loss of the batch it then descends on.
sweep::Result quadraticSweep(double curvature, double beta) {
    sweep::Options o;
    o.beta = beta;
    double w = 1.0;
    return sweep::run(o, [&](double lr) {
        const double loss = curvature / 2 * w * w;
        w -= lr * curvature * w;
        return loss;
    });
}

}  // namespace

TEST(Sweep, OnAQuadraticStopsBetweenTwoAndFourOverLWithoutSmoothing) {
    for (double curvature : {10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0}) {
        const auto r = quadraticSweep(curvature, 0.0);
        EXPECT_EQ(r.stop.reason, sweep::StopReason::Exploded) << "L = " << curvature;
        EXPECT_GT(r.stop.lr, 2 / curvature) << "L = " << curvature;
        EXPECT_LT(r.stop.lr, 4 / curvature) << "L = " << curvature;
    }
}

TEST(Sweep, TheSmoothedLossLagsAboutTwelveSteps) {
    // With beta = 0.98 the EMA needs ~12 more steps of x1.2 to reach 4 x best: the stop lands
    // 8-10 x above the divergence point 2/L. The README quotes this.
    for (double curvature : {10.0, 100.0, 1000.0}) {
        const auto plain = quadraticSweep(curvature, 0.0);
        const auto smooth = quadraticSweep(curvature, 0.98);
        EXPECT_EQ(smooth.stop.reason, sweep::StopReason::Exploded);
        const double ratio = smooth.stop.lr / (2 / curvature);
        EXPECT_GT(ratio, 8.0) << "L = " << curvature;
        EXPECT_LT(ratio, 10.0) << "L = " << curvature;
        EXPECT_GE(smooth.stop.step - plain.stop.step, 8);
        EXPECT_LE(smooth.stop.step - plain.stop.step, 14);
    }
}

namespace {

// A loss curve against log10(lr) falling fastest at log10(lr) = -3, bottoming out around -1.5
// and rising after.
std::vector<sweep::Point> knownCurve() {
    std::vector<sweep::Point> points;
    sweep::Options o{1e-6, 1.0, 121};
    for (int i = 0; i < o.steps; ++i) {
        const double lr = sweep::lrAt(o, i), x = std::log10(lr);
        const double loss = 2.3 - std::tanh(2 * (x + 3)) + 2 * std::exp(3 * (x + 1));
        points.push_back({i, lr, loss, loss});
    }
    return points;
}

const sweep::Suggestion* find(const std::vector<sweep::Suggestion>& s, const std::string& name) {
    for (const auto& x : s)
        if (x.name == name) return &x;
    return nullptr;
}

}  // namespace

TEST(Sweep, SuggestionsOnACurveWithKnownAnswers) {
    const auto points = knownCurve();
    const auto s = sweep::suggest(points);
    ASSERT_EQ(s.size(), 3u);
    ASSERT_NE(find(s, "steepest"), nullptr);
    EXPECT_NEAR(std::log10(find(s, "steepest")->lr), -3.0, 0.06);
    // The minimum of the curve, brute force.
    std::size_t argmin = 0;
    for (std::size_t i = 0; i < points.size(); ++i)
        if (points[i].smoothed < points[argmin].smoothed) argmin = i;
    EXPECT_DOUBLE_EQ(find(s, "minimum/10")->lr, points[argmin].lr / 10);
    EXPECT_EQ(find(s, "minimum/10")->step, static_cast<int>(argmin));
    // The valley lies inside the falling stretch [start, argmin].
    const auto* valley = find(s, "valley");
    ASSERT_NE(valley, nullptr);
    EXPECT_LT(valley->step, static_cast<int>(argmin));
    EXPECT_GT(valley->lr, points.front().lr);
    // Halfway along the fall that fastai looks at: from the tenth of the planned steps on.
    const int from = static_cast<int>(points.size()) / 10;
    EXPECT_NEAR(valley->step, (from + static_cast<int>(argmin)) / 2, 2);
}

TEST(Sweep, SuggestionsIgnoreNaNAndEarlySpikes) {
    auto points = knownCurve();
    const auto clean = sweep::suggest(points);
    // A spike at the second point (as a first batch of another distribution gives) and NaNs.
    points[1].smoothed = points[1].loss = 50.0;
    points[40].smoothed = points[40].loss = std::nan("");
    points[70].smoothed = std::numeric_limits<double>::infinity();
    const auto noisy = sweep::suggest(points);
    ASSERT_EQ(noisy.size(), 3u);
    EXPECT_DOUBLE_EQ(find(noisy, "steepest")->lr, find(clean, "steepest")->lr);
    EXPECT_DOUBLE_EQ(find(noisy, "minimum/10")->lr, find(clean, "minimum/10")->lr);
    EXPECT_NEAR(std::log10(find(noisy, "valley")->lr), std::log10(find(clean, "valley")->lr), 0.2);
    // Too few finite points: no suggestions rather than nonsense.
    std::vector<sweep::Point> few = {{0, 1e-3, 1.0, 1.0}, {1, 1e-2, NAN, NAN}};
    EXPECT_TRUE(sweep::suggest(few).empty());
}

TEST(Sweep, StopReasonsRoundTrip) {
    for (auto r : {sweep::StopReason::Exploded, sweep::StopReason::NonFinite,
                   sweep::StopReason::Completed, sweep::StopReason::Stopped})
        EXPECT_EQ(sweep::kStopReasonNames.parse(sweep::toString(r)), r);
    EXPECT_FALSE(sweep::kStopReasonNames.parse("boom"));
}

TEST(Sweep, ValleyIsNotDraggedIntoAFlatNoisyStart) {
    // Flat with noise for 60 points (tiny LRs do nothing), then a fall, then the explosion: the
    // longest decreasing sequence picks a few noisy points from the flat part, but the valley must
    // land in the fall.
    std::vector<sweep::Point> points;
    sweep::Options o;
    for (int i = 0; i < 95; ++i) {
        const double noise = 0.002 * std::sin(1.7 * i) * std::cos(0.3 * i * i);
        double loss = 2.30 + noise;
        if (i >= 60) loss = 2.30 - 0.05 * (i - 60);  // the fall
        if (i >= 85) loss = 0.80 + 0.3 * (i - 85);   // the rise
        points.push_back({i, sweep::lrAt(o, i), loss, loss});
    }
    const auto s = sweep::suggest(points);
    const auto* valley = find(s, "valley");
    ASSERT_NE(valley, nullptr);
    EXPECT_GE(valley->step, 60);
    EXPECT_LE(valley->step, 85);
}

TEST(Sweep, SteepestLooksOnlyOnTheWayDownToTheMinimum) {
    // A fall (steepest at log10 lr = -3), the minimum, a hump, then a steeper second fall as
    // an unstable BatchNorm net can show, and the explosion.
    std::vector<sweep::Point> points;
    sweep::Options o{1e-6, 10.0, 141};
    for (int i = 0; i < o.steps; ++i) {
        const double lr = sweep::lrAt(o, i), x = std::log10(lr);
        double loss = 2.3 - std::tanh(2 * (x + 3));  // ~0.3 from -2 on
        if (x > -1.5) loss += 1.5 * std::sin(std::min(x + 1.5, 1.0) * 3.14159 / 2);  // the hump
        if (x > -0.5) loss -= 6 * std::min(x + 0.5, 0.2);  // a steep second fall
        if (x > -0.3) loss += 10 * (x + 0.3);              // the explosion
        points.push_back({i, lr, loss, loss});
    }
    const auto s = sweep::suggest(points);
    ASSERT_NE(find(s, "steepest"), nullptr);
    EXPECT_NEAR(std::log10(find(s, "steepest")->lr), -3.0, 0.06);
}

namespace {

// fastai's lr_find (fastai/callback/schedule.py) on the same points: the expected steps below come
// from a plain-Python transcription of its code (the [num_it//10:-5] trim, the cut at the first
// NaN, valley's longest decreasing subsequence and idx = max_start + int(s) + int(s / 2) with
// s = (max_end - max_start) / 3), run on these exact curves.
std::vector<sweep::Point> pointsOf(const std::vector<double>& losses) {
    std::vector<sweep::Point> points;
    sweep::Options o;
    for (std::size_t i = 0; i < losses.size(); ++i) {
        const int step = static_cast<int>(i);
        points.push_back({step, sweep::lrAt(o, step), losses[i], losses[i]});
    }
    return points;
}

}  // namespace

TEST(Sweep, ValleyIsFastaisRuleOnFastaisTrimmedPoints) {
    // A: falls from the first point, then explodes; 70 points of 100 planned. The sequence holds
    // every point of the trimmed range up to its end, so fastai's start is one before it.
    std::vector<double> a;
    for (int i = 0; i < 60; ++i)
        a.push_back(2.3 - 0.02 * i);
    for (int i = 60; i < 70; ++i)
        a.push_back(1.1 + 0.4 * (i - 59));
    const auto sa = sweep::suggest(pointsOf(a), 100);  // (kept: find() points into it)
    const auto* va = find(sa, "valley");
    ASSERT_NE(va, nullptr);
    EXPECT_EQ(va->step, 33);
    // B: flat with noise, a fall from step 40, the rise from 75; 90 of 90 planned.
    std::vector<double> b;
    for (int i = 0; i < 90; ++i) {
        double v = 2.3 + 0.001 * ((i * 37) % 11);
        if (i >= 40) v = 2.3 - 0.03 * (i - 40);
        if (i >= 75) v = 1.25 + 0.2 * (i - 75);
        b.push_back(v);
    }
    const auto sb = sweep::suggest(pointsOf(b), 90);  // (kept: find() points into it)
    const auto* vb = find(sb, "valley");
    ASSERT_NE(vb, nullptr);
    EXPECT_EQ(vb->step, 53);
    // Without plannedSteps the sweep is taken as complete: B is, so the same answer.
    EXPECT_EQ(find(sweep::suggest(pointsOf(b)), "valley")->step, 53);
    // C: stopped by a NaN at step 30 of 100 planned.
    std::vector<double> c;
    for (int i = 0; i < 30; ++i)
        c.push_back(2.3 - 0.01 * i - 0.002 * ((i * 7) % 5));
    c.push_back(std::nan(""));
    const auto sc = sweep::suggest(pointsOf(c), 100);  // (kept: find() points into it)
    const auto* vc = find(sc, "valley");
    ASSERT_NE(vc, nullptr);
    EXPECT_EQ(vc->step, 16);
    // Too few points once trimmed: no valley, the other rules still answer.
    const auto few = sweep::suggest(pointsOf({2.0, 1.9, 1.8, 1.7, 1.6, 1.5, 1.4}), 100);
    EXPECT_EQ(find(few, "valley"), nullptr);
    EXPECT_NE(find(few, "minimum/10"), nullptr);
}
