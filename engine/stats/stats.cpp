#include "engine/stats/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace runboard::stats {

namespace {

// Fewer discordant pairs than this, or fewer samples, and a paired comparison can't tell.
constexpr std::int64_t kMinDiscordant = 10;
constexpr std::size_t kMinSamples = 30;

Interval percentiles(std::vector<double>& values, double level) {
    std::sort(values.begin(), values.end());
    const double tail = (1 - level) / 2;
    const auto at = [&](double q) {
        const double pos = q * static_cast<double>(values.size() - 1);
        const auto i = static_cast<std::size_t>(std::floor(pos));
        const auto j = std::min(i + 1, values.size() - 1);
        return values[i] + (pos - static_cast<double>(i)) * (values[j] - values[i]);
    };
    return {at(tail), at(1 - tail)};
}

std::string signedPoints(double v) {
    return fmt::format("{:+.2f}", v);
}

std::string pText(double p) {
    return p < 0.001 ? "p < 0.001" : fmt::format("p = {:.3f}", p);
}

std::string describe(const Verdict& v) {
    std::string text = signedPoints(v.delta) + " pt (95% CI " + signedPoints(v.ciLow) + "…" +
                       signedPoints(v.ciHigh) + ")";
    if (v.pValue) text += ", " + pText(*v.pValue);
    return text + (v.aboveNoise ? ": above noise" : ": within noise");
}

}  // namespace

double mcnemarExactP(std::int64_t b, std::int64_t c) {
    if (b < 0 || c < 0) throw std::invalid_argument("McNemar: negative counts");
    const std::int64_t n = b + c;
    if (n == 0) return 1.0;
    const boost::math::binomial_distribution<double> dist(static_cast<double>(n), 0.5);
    const double tail = boost::math::cdf(dist, static_cast<double>(std::min(b, c)));
    return std::min(1.0, 2 * tail);
}

double mean(const std::vector<double>& v) {
    return v.empty() ? 0.0
                     : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sampleStd(const std::vector<double>& v) {
    if (v.size() < 2) return 0;
    const double m = mean(v);
    double ss = 0;
    for (double x : v)
        ss += (x - m) * (x - m);
    return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

Interval pairedBootstrap(const std::vector<double>& a, const std::vector<double>& b, double level,
                         int resamples, std::uint64_t seed) {
    if (a.size() != b.size() || a.empty())
        throw std::invalid_argument("paired bootstrap: the two runs need the same samples");
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, a.size() - 1);
    std::vector<double> diffs(static_cast<std::size_t>(resamples));
    for (double& d : diffs) {
        double sum = 0;
        for (std::size_t k = 0; k < a.size(); ++k) {
            const std::size_t i = pick(rng);
            sum += b[i] - a[i];
        }
        d = sum / static_cast<double>(a.size());
    }
    return percentiles(diffs, level);
}

Interval pairedBootstrapCounts(std::int64_t onlyA, std::int64_t onlyB, std::int64_t n, double level,
                               int resamples, std::uint64_t seed) {
    if (n <= 0 || onlyA < 0 || onlyB < 0 || onlyA + onlyB > n)
        throw std::invalid_argument("paired bootstrap: inconsistent counts");
    std::mt19937_64 rng(seed);
    const double pA = static_cast<double>(onlyA) / static_cast<double>(n);
    const double rest = static_cast<double>(n - onlyA);
    const double pB = rest > 0 ? static_cast<double>(onlyB) / rest : 0.0;
    std::vector<double> diffs(static_cast<std::size_t>(resamples));
    for (double& d : diffs) {
        const std::int64_t a = std::binomial_distribution<std::int64_t>(n, pA)(rng);
        const std::int64_t b = std::binomial_distribution<std::int64_t>(n - a, pB)(rng);
        d = 100.0 * static_cast<double>(b - a) / static_cast<double>(n);
    }
    return percentiles(diffs, level);
}

std::optional<WelchResult> welch(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() < 2 || b.size() < 2) return std::nullopt;
    const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    const double va = sampleStd(a) * sampleStd(a) / na, vb = sampleStd(b) * sampleStd(b) / nb;
    if (va + vb <= 0) return std::nullopt;
    WelchResult r;
    r.t = (mean(b) - mean(a)) / std::sqrt(va + vb);
    r.df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
    const boost::math::students_t_distribution<double> dist(r.df);
    r.p = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(dist, std::abs(r.t))));
    return r;
}

Interval bootstrapMeanDifference(const std::vector<double>& a, const std::vector<double>& b,
                                 double level, int resamples, std::uint64_t seed) {
    if (a.empty() || b.empty())
        throw std::invalid_argument("bootstrap: both groups need at least one value");
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pickA(0, a.size() - 1), pickB(0, b.size() - 1);
    std::vector<double> diffs(static_cast<std::size_t>(resamples));
    for (double& d : diffs) {
        double sa = 0, sb = 0;
        for (std::size_t k = 0; k < a.size(); ++k)
            sa += a[pickA(rng)];
        for (std::size_t k = 0; k < b.size(); ++k)
            sb += b[pickB(rng)];
        d = sb / static_cast<double>(b.size()) - sa / static_cast<double>(a.size());
    }
    return percentiles(diffs, level);
}

Verdict pairedVerdict(const std::vector<bool>& aCorrect, const std::vector<bool>& bCorrect,
                      double alpha) {
    if (aCorrect.size() != bCorrect.size())
        throw std::invalid_argument("paired verdict: the two runs need the same samples");
    Verdict v;
    v.method = "mcnemar-exact+paired-bootstrap";
    std::int64_t onlyA = 0, onlyB = 0, rightA = 0, rightB = 0;
    for (std::size_t i = 0; i < aCorrect.size(); ++i) {
        onlyA += aCorrect[i] && !bCorrect[i];
        onlyB += !aCorrect[i] && bCorrect[i];
        rightA += aCorrect[i];
        rightB += bCorrect[i];
    }
    const auto n = static_cast<std::int64_t>(aCorrect.size());
    if (aCorrect.size() < kMinSamples) {
        v.method = "none";
        v.text = "too little data to tell: " + std::to_string(n) +
                 " shared test samples (need at least " + std::to_string(kMinSamples) + ")";
        return v;
    }
    v.delta = 100.0 * static_cast<double>(rightB - rightA) / static_cast<double>(n);
    const Interval ci = pairedBootstrapCounts(onlyA, onlyB, n);
    v.ciLow = ci.low;
    v.ciHigh = ci.high;
    v.pValue = mcnemarExactP(onlyA, onlyB);
    v.enoughData = onlyA + onlyB >= kMinDiscordant;
    v.aboveNoise = v.enoughData && *v.pValue < alpha && (ci.low > 0 || ci.high < 0);
    v.text = describe(v);
    if (!v.enoughData)
        v.text += " (only " + std::to_string(onlyA + onlyB) +
                  " discordant samples: too little data to tell)";
    return v;
}

Verdict groupVerdict(const std::vector<double>& aAccuracy, const std::vector<double>& bAccuracy,
                     double alpha) {
    Verdict v;
    v.method = "welch+bootstrap";
    std::vector<double> a, b;
    for (double x : aAccuracy)
        a.push_back(100 * x);
    for (double x : bAccuracy)
        b.push_back(100 * x);
    const auto w = welch(a, b);
    if (!w) {
        v.method = "none";
        v.text =
            "too little data to tell: each group needs at least 2 runs with different results "
            "(have " +
            std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")";
        if (!a.empty() && !b.empty()) v.delta = mean(b) - mean(a);
        return v;
    }
    v.delta = mean(b) - mean(a);
    const Interval ci = bootstrapMeanDifference(a, b);
    v.ciLow = ci.low;
    v.ciHigh = ci.high;
    v.pValue = w->p;
    v.enoughData = true;
    v.aboveNoise = w->p < alpha;
    v.text = describe(v);
    return v;
}

}  // namespace runboard::stats
