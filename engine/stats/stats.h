#pragma once
// Noise-aware comparison of experiments. Two runs are compared on the same test samples (paired):
// McNemar's exact test on the discordant pairs and a paired bootstrap confidence interval of the
// accuracy difference. Two groups of seed repeats are compared by Welch's t-test and a bootstrap
// interval of the difference of their means. Differences are B − A, in accuracy points
// (percentage points) for accuracies. Deterministic: the bootstrap takes a seed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace runboard::stats {

// Two-sided exact McNemar p-value for b and c discordant pairs (A right & B wrong, and the
// reverse): the binomial test of min(b, c) against n = b + c at p = 1/2. 1 when n = 0.
double mcnemarExactP(std::int64_t b, std::int64_t c);

struct Interval {
    double low = 0, high = 0;
};

// Percentile bootstrap over samples: resamples the pairs (a[i], b[i]) with replacement and returns
// the interval of mean(b) − mean(a). a and b must have the same size > 0.
Interval pairedBootstrap(const std::vector<double>& a, const std::vector<double>& b,
                         double level = 0.95, int resamples = 10'000, std::uint64_t seed = 2026);

// The same bootstrap for right/wrong outcomes, from the counts alone: resampling n pairs is a
// multinomial draw over (only A right, only B right, the rest), so each resample costs two
// binomial draws instead of n. Returns the interval of the accuracy difference B − A in points.
Interval pairedBootstrapCounts(std::int64_t onlyA, std::int64_t onlyB, std::int64_t n,
                               double level = 0.95, int resamples = 10'000,
                               std::uint64_t seed = 2026);

struct WelchResult {
    double t = 0, df = 0, p = 1;  // two-sided
};
// Welch's unequal-variance t-test of mean(b) − mean(a). Each group needs at least 2 values and not
// both variances zero; nullopt otherwise.
std::optional<WelchResult> welch(const std::vector<double>& a, const std::vector<double>& b);

// Percentile bootstrap of mean(b) − mean(a), each group resampled on its own.
Interval bootstrapMeanDifference(const std::vector<double>& a, const std::vector<double>& b,
                                 double level = 0.95, int resamples = 10'000,
                                 std::uint64_t seed = 2026);

double mean(const std::vector<double>& v);
double sampleStd(const std::vector<double>& v);  // n − 1; 0 for fewer than 2 values

struct Verdict {
    std::string text;  // e.g. "+0.42 pt (95% CI +0.11…+0.73), p = 0.008: above noise"
    double delta = 0;  // B − A, points
    double ciLow = 0, ciHigh = 0;
    std::optional<double> pValue;
    std::string method;  // "mcnemar-exact+paired-bootstrap" | "welch+bootstrap" | "none"
    bool aboveNoise = false;
    bool enoughData = false;
};

// Two runs on the same samples: correct[i] per sample for A and for B (same order).
Verdict pairedVerdict(const std::vector<bool>& aCorrect, const std::vector<bool>& bCorrect,
                      double alpha = 0.05);
// Two groups of seed repeats: one final accuracy (a share in [0, 1]) per run.
Verdict groupVerdict(const std::vector<double>& aAccuracy, const std::vector<double>& bAccuracy,
                     double alpha = 0.05);

}  // namespace runboard::stats
