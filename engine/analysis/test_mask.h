#pragma once
// Competition mode's policy: while it is on, the private part of the test set is hidden
// everywhere. Test metrics are shown on the public part only (test/accuracy and test/loss are
// recomputed from the run's last test evaluation; other test/ keys are dropped), and test samples
// of the private part are not looked at. The mode and the split are storage's settings rows; the
// predictions are read by the caller, only when a run has a test metric to mask.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/analysis/leaderboard.h"
#include "engine/analysis/result.h"
#include "storage/predictions.h"

namespace runboard::analysis {

bool isTestMetric(std::string_view key);

// Test accuracy and loss (mean cross-entropy) of an evaluation on the public part; both nullopt
// when it has no public sample.
struct PublicTest {
    std::optional<double> accuracy, loss;
};
PublicTest publicTestMetrics(const std::vector<storage::PredictionRecord>& finalTest,
                             const SplitOptions& split);

class PrivateTestMask {
public:
    PrivateTestMask() = default;
    PrivateTestMask(bool on, const SplitOptions& split) : on_(on), split_(split) {}
    explicit PrivateTestMask(const storage::LeaderboardSettings& settings)
        : PrivateTestMask(settings.competitionMode, splitOptions(settings)) {}

    bool on() const { return on_; }
    // Whether a test sample may be looked at: all when off, the public part when on.
    bool shows(std::int64_t sampleIndex) const { return !on_ || isPublic(sampleIndex, split_); }
    // Whether apply() changes these metrics (the mode is on and one of them is a test metric).
    bool masks(const std::map<std::string, double>& metrics) const;
    // Replaces the test metrics by their values on the public part of the run's last test
    // evaluation (none when it has no predictions). Does nothing when the mode is off.
    void apply(std::map<std::string, double>& metrics,
               const std::vector<storage::PredictionRecord>& finalTest) const;
    // The same, reading the final test evaluation with load() (a Result of the predictions) only
    // when something is masked: `mask.applyReading(m, [&] { return finalTestPredictions(db, id);
    // })`.
    template <class Load>
    Status applyReading(std::map<std::string, double>& metrics, Load&& load) const {
        if (!masks(metrics)) return {};
        return load().transform(
            [&](const std::vector<storage::PredictionRecord>& p) { apply(metrics, p); });
    }

private:
    bool on_ = false;
    SplitOptions split_;
};

}  // namespace runboard::analysis
