// The statistics against values computed independently here: McNemar's exact p by summing binomial
// coefficients in integers, Welch's t and degrees of freedom by the textbook formulas and its p by
// integrating Student's density numerically (not Boost); bootstrap intervals cover a known
// difference about 95% of the time on synthetic data; the verdict's words.

#include "engine/stats/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace runboard::stats;

namespace {

// 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1, by summing the coefficients
// C(n, i) (long double: exact up to n = 64, within 1e-18 relative above).
double mcnemarByCounting(int b, int c) {
    const int n = b + c, k = std::min(b, c);
    long double sum = 0, coef = 1;  // C(n, 0)
    for (int i = 0; i <= k; ++i) {
        sum += coef;
        coef = coef * (n - i) / (i + 1);
    }
    return std::min(1.0, static_cast<double>(2 * sum / std::pow(2.0L, n)));
}

// Two-sided p of Student's t with df degrees of freedom, by Simpson's rule on x = |t| + u/(1-u).
double studentTwoSided(double t, double df) {
    const double c =
        std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * std::acos(-1.0));
    const auto density = [&](double x) { return c * std::pow(1 + x * x / df, -(df + 1) / 2); };
    const int n = 200'000;
    const double h = 1.0 / n;
    double sum = 0;
    for (int i = 0; i <= n; ++i) {
        const double u = std::min(i * h, 1 - 1e-12);
        const double x = std::abs(t) + u / (1 - u);
        const double f = density(x) / ((1 - u) * (1 - u));
        sum += f * (i == 0 || i == n ? 1 : i % 2 ? 4 : 2);
    }
    return 2 * sum * h / 3;
}

}  // namespace

TEST(Stats, McNemarExactMatchesCountedBinomialTails) {
    for (auto [b, c] : {std::pair{10, 2}, {25, 12}, {3, 0}, {40, 40}, {2, 9}, {29, 31}, {0, 7}}) {
        EXPECT_NEAR(mcnemarExactP(b, c), mcnemarByCounting(b, c), 1e-12) << b << " " << c;
    }
    EXPECT_NEAR(mcnemarExactP(10, 2), 158.0 / 4096.0, 1e-15);  // 2 (1 + 12 + 66) / 2^12
    EXPECT_EQ(mcnemarExactP(0, 0), 1.0);
    EXPECT_EQ(mcnemarExactP(5, 5), 1.0);
    EXPECT_LT(mcnemarExactP(400, 300), 1e-3);
}

TEST(Stats, WelchMatchesTheFormulasAndTheDensity) {
    // Welch's first example on Wikipedia: t = 2.46, df = 25.0, p = 0.021 (B − A).
    const std::vector<double> a = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                                   21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
    const std::vector<double> b = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                                   24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
    const auto w = welch(a, b);
    ASSERT_TRUE(w);
    const auto var = [](const std::vector<double>& v) {
        double m = 0, ss = 0;
        for (double x : v)
            m += x / static_cast<double>(v.size());
        for (double x : v)
            ss += (x - m) * (x - m);
        return std::pair(m, ss / static_cast<double>(v.size() - 1));
    };
    const auto [ma, sa] = var(a);
    const auto [mb, sb] = var(b);
    const double se2 = sa / 15 + sb / 15;
    EXPECT_NEAR(w->t, (mb - ma) / std::sqrt(se2), 1e-12);
    EXPECT_NEAR(w->df, se2 * se2 / ((sa / 15) * (sa / 15) / 14 + (sb / 15) * (sb / 15) / 14), 1e-9);
    EXPECT_NEAR(w->t, 2.46, 0.005);
    EXPECT_NEAR(w->df, 25.0, 0.05);
    EXPECT_NEAR(w->p, studentTwoSided(w->t, w->df), 1e-6);
    EXPECT_NEAR(w->p, 0.021, 0.0005);
    // Unequal sizes and variances.
    const std::vector<double> c = {91.2, 91.5, 90.9}, d = {92.1, 91.8, 92.5, 91.9};
    const auto w2 = welch(c, d);
    ASSERT_TRUE(w2);
    EXPECT_NEAR(w2->p, studentTwoSided(w2->t, w2->df), 1e-6);
    // Too few values, or no variance at all: no test.
    EXPECT_FALSE(welch({1.0}, {2.0, 3.0}));
    EXPECT_FALSE(welch({1.0, 1.0}, {2.0, 2.0}));
}

namespace {

// The width of the 95% normal-approximation interval 2 * 1.96 * s / sqrt(n) for the mean of
// values, s with the plug-in (1/n) variance, which is the variance the bootstrap resamples.
double normalWidth95(const std::vector<double>& v) {
    const double n = static_cast<double>(v.size());
    double m = 0, ss = 0;
    for (double x : v)
        m += x / n;
    for (double x : v)
        ss += (x - m) * (x - m);
    return 2 * 1.959964 * std::sqrt(ss / n / n);
}

struct PairedCoverage {
    int covered = 0;
    double meanWidthRatio = 0, minWidthRatio = 1e9, maxWidthRatio = 0;
};

// 300 samples; A right with p = 0.80, B right with p = 0.85 and correlated with A (as two models
// are); the bootstrap interval of each trial against the true difference and against its normal
// approximation at 95%.
PairedCoverage pairedCoverage(int trials, double level) {
    PairedCoverage out;
    for (int trial = 0; trial < trials; ++trial) {
        std::mt19937_64 rng(1000 + static_cast<std::uint64_t>(trial));
        std::uniform_real_distribution<double> u(0, 1);
        std::vector<double> a, b, d;
        for (int i = 0; i < 300; ++i) {
            const double easy = u(rng);
            a.push_back(easy < 0.80 ? 100 : 0);
            b.push_back(easy < 0.85 ? 100 : 0);
            if (u(rng) < 0.1) {  // some disagreement either way
                std::swap(a.back(), b.back());
            }
            d.push_back(b.back() - a.back());
        }
        // E[b - a] = 5 * (1 - 2 * 0.1) = 4 points after the swaps.
        const Interval ci =
            pairedBootstrap(a, b, level, 2000, 7 + static_cast<std::uint64_t>(trial));
        out.covered += ci.low <= 4.0 && 4.0 <= ci.high;
        const double ratio = (ci.high - ci.low) / normalWidth95(d);
        out.meanWidthRatio += ratio / trials;
        out.minWidthRatio = std::min(out.minWidthRatio, ratio);
        out.maxWidthRatio = std::max(out.maxWidthRatio, ratio);
    }
    return out;
}

}  // namespace

TEST(Stats, PairedBootstrapCoversAKnownDifference) {
    const int trials = 200;
    const PairedCoverage c = pairedCoverage(trials, 0.95);
    EXPECT_GE(c.covered, static_cast<int>(0.89 * trials)) << c.covered;
    EXPECT_LE(c.covered, static_cast<int>(0.99 * trials)) << c.covered;
    // Coverage alone would accept a 90% interval (about 180 of 200): the width must also match
    // the normal approximation's 2 * 1.96 * s / sqrt(n), on average and in every trial (the
    // percentile's Monte Carlo error with 2,000 resamples and the lattice of 300 values of
    // -100, 0 and 100 give single trials up to about 12% off).
    EXPECT_NEAR(c.meanWidthRatio, 1.0, 0.03);
    EXPECT_GT(c.minWidthRatio, 0.8) << c.minWidthRatio;
    EXPECT_LT(c.maxWidthRatio, 1.2) << c.maxWidthRatio;
    // ...which a 90% interval fails: its width is 1.645 / 1.96 = 0.84 of that.
    const PairedCoverage narrow = pairedCoverage(50, 0.90);
    EXPECT_NEAR(narrow.meanWidthRatio, 0.84, 0.04);
    EXPECT_GT(std::abs(narrow.meanWidthRatio - 1.0), 0.05);
}

TEST(Stats, CountsBootstrapIsThePairedBootstrapOfBinaryOutcomes) {
    // 2,000 samples: 1,500 both right, 120 only A, 200 only B, 180 neither.
    std::vector<double> a, b;
    const auto add = [&](int n, double x, double y) {
        for (int i = 0; i < n; ++i) {
            a.push_back(x);
            b.push_back(y);
        }
    };
    add(1500, 100, 100);
    add(120, 100, 0);
    add(200, 0, 100);
    add(180, 0, 0);
    const Interval slow = pairedBootstrap(a, b, 0.95, 4000, 1);
    const Interval fast = pairedBootstrapCounts(120, 200, 2000, 0.95, 4000, 2);
    EXPECT_NEAR(fast.low, slow.low, 0.2);
    EXPECT_NEAR(fast.high, slow.high, 0.2);
    EXPECT_NEAR((fast.low + fast.high) / 2, 4.0, 0.2);
    EXPECT_THROW(pairedBootstrapCounts(5, 6, 10), std::invalid_argument);
}

TEST(Stats, GroupBootstrapCoversAKnownDifference) {
    int covered = 0;
    double meanRatio = 0, minRatio = 1e9, maxRatio = 0;
    const int trials = 300;
    for (int trial = 0; trial < trials; ++trial) {
        std::mt19937_64 rng(50 + static_cast<std::uint64_t>(trial));
        std::normal_distribution<double> na(91.0, 0.3), nb(91.5, 0.3);
        std::vector<double> a, b;
        for (int i = 0; i < 12; ++i) {
            a.push_back(na(rng));
            b.push_back(nb(rng));
        }
        const Interval ci =
            bootstrapMeanDifference(a, b, 0.95, 2000, 9 + static_cast<std::uint64_t>(trial));
        covered += ci.low <= 0.5 && 0.5 <= ci.high;
        // Against the normal approximation 2 * 1.96 * sqrt(va / na + vb / nb), plug-in variances
        // (the ones the bootstrap resamples): ratio 1 in expectation.
        const double wa = normalWidth95(a), wb = normalWidth95(b);
        const double ratio = (ci.high - ci.low) / std::sqrt(wa * wa + wb * wb);
        meanRatio += ratio / trials;
        minRatio = std::min(minRatio, ratio);
        maxRatio = std::max(maxRatio, ratio);
    }
    EXPECT_NEAR(meanRatio, 1.0, 0.03);
    EXPECT_GT(minRatio, 0.88);
    EXPECT_LT(maxRatio, 1.12);
    // The percentile bootstrap is a little narrow on 12 values a group.
    EXPECT_GE(covered, static_cast<int>(0.86 * trials)) << covered;
    EXPECT_LE(covered, static_cast<int>(0.99 * trials)) << covered;
}

TEST(Stats, VerdictsSayAboveNoiseWithinNoiseOrTooLittleData) {
    // 1000 samples, B fixes 60 that A gets wrong and breaks 20 that A gets right.
    std::vector<bool> a(1000, true), b(1000, true);
    for (int i = 0; i < 60; ++i)
        a[static_cast<std::size_t>(i)] = false;
    for (int i = 100; i < 120; ++i)
        b[static_cast<std::size_t>(i)] = false;
    auto v = pairedVerdict(a, b);
    EXPECT_NEAR(v.delta, 4.0, 1e-9);
    ASSERT_TRUE(v.pValue);
    EXPECT_NEAR(*v.pValue, mcnemarExactP(20, 60), 1e-15);
    EXPECT_TRUE(v.aboveNoise);
    EXPECT_LT(v.ciLow, 4.0);
    EXPECT_GT(v.ciLow, 0.0);
    EXPECT_EQ(v.method, "mcnemar-exact+paired-bootstrap");
    EXPECT_NE(v.text.find("+4.00 pt (95% CI +"), std::string::npos) << v.text;
    EXPECT_NE(v.text.find(": above noise"), std::string::npos) << v.text;

    // 3 fixed, 2 broken: within noise, and too few discordant pairs to tell.
    std::vector<bool> c(1000, true), d(1000, true);
    c[0] = c[1] = c[2] = false;
    d[10] = d[11] = false;
    v = pairedVerdict(c, d);
    EXPECT_FALSE(v.aboveNoise);
    EXPECT_FALSE(v.enoughData);
    EXPECT_NE(v.text.find("within noise"), std::string::npos) << v.text;
    EXPECT_NE(v.text.find("too little data"), std::string::npos) << v.text;

    // Groups: clearly apart, and a single run each.
    v = groupVerdict({0.910, 0.912, 0.908, 0.911}, {0.921, 0.924, 0.919, 0.922});
    EXPECT_TRUE(v.aboveNoise);
    EXPECT_EQ(v.method, "welch+bootstrap");
    EXPECT_NEAR(v.delta, 1.125, 1e-9);
    v = groupVerdict({0.91}, {0.92});
    EXPECT_EQ(v.method, "none");
    EXPECT_NE(v.text.find("too little data"), std::string::npos) << v.text;
}
