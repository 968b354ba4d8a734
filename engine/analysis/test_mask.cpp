#include "engine/analysis/test_mask.h"

namespace runboard::analysis {

bool isTestMetric(std::string_view key) {
    return key.starts_with("test/");
}

PublicTest publicTestMetrics(const std::vector<storage::PredictionRecord>& finalTest,
                             const SplitOptions& split) {
    double n = 0, right = 0, loss = 0;
    for (const storage::PredictionRecord& p : finalTest) {
        if (!isPublic(p.sampleIndex, split)) continue;
        n += 1;
        right += p.correct() ? 1 : 0;
        loss += p.loss;
    }
    PublicTest out;
    if (n > 0) {
        out.accuracy = right / n;
        out.loss = loss / n;
    }
    return out;
}

bool PrivateTestMask::masks(const std::map<std::string, double>& metrics) const {
    if (!on_) return false;
    for (const auto& [key, value] : metrics)
        if (isTestMetric(key)) return true;
    return false;
}

void PrivateTestMask::apply(std::map<std::string, double>& metrics,
                            const std::vector<storage::PredictionRecord>& finalTest) const {
    if (!masks(metrics)) return;
    std::erase_if(metrics, [](const auto& kv) { return isTestMetric(kv.first); });
    const PublicTest pub = publicTestMetrics(finalTest, split_);
    if (pub.accuracy) metrics["test/accuracy"] = *pub.accuracy;
    if (pub.loss) metrics["test/loss"] = *pub.loss;
}

}  // namespace runboard::analysis
