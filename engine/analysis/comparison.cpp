#include "engine/analysis/comparison.h"

#include <map>

namespace runboard::analysis {

namespace {

std::map<std::string, double> visibleMetrics(const storage::RunEvidence& run,
                                             const PrivateTestMask& mask) {
    std::map<std::string, double> m = run.metrics;
    mask.apply(m, run.finalTest);
    return m;
}

}  // namespace

std::vector<MetricPair> metricPairs(const std::map<std::string, double>& a,
                                    const std::map<std::string, double>& b) {
    std::map<std::string, MetricPair> byKey;
    for (const auto& [k, v] : a)
        byKey[k] = {k, v, std::nullopt};
    for (const auto& [k, v] : b) {
        byKey[k].key = k;
        byKey[k].b = v;
    }
    std::vector<MetricPair> out;
    for (auto& [k, p] : byKey)
        out.push_back(std::move(p));
    return out;
}

PairedSamples pairedTestSamples(const std::vector<storage::PredictionRecord>& a,
                                const std::vector<storage::PredictionRecord>& b,
                                const PrivateTestMask& mask) {
    PairedSamples out;
    out.publicOnly = mask.on();
    // Both sorted by sample index: a merge.
    auto i = a.begin(), j = b.begin();
    while (i != a.end() && j != b.end()) {
        if (i->sampleIndex < j->sampleIndex) {
            ++i;
        } else if (j->sampleIndex < i->sampleIndex) {
            ++j;
        } else {
            if (mask.shows(i->sampleIndex)) {
                out.sampleIndex.push_back(i->sampleIndex);
                out.aCorrect.push_back(i->correct());
                out.bCorrect.push_back(j->correct());
            }
            ++i, ++j;
        }
    }
    return out;
}

std::vector<double> groupMetricValues(const std::vector<storage::RunEvidence>& group,
                                      const PrivateTestMask& mask, const std::string& key) {
    std::vector<double> out;
    for (const storage::RunEvidence& run : group) {
        if (run.run.status != storage::RunStatus::Finished) continue;
        const auto m = visibleMetrics(run, mask);
        if (auto it = m.find(key); it != m.end()) out.push_back(it->second);
    }
    return out;
}

CompareReport compareRuns(const storage::ComparisonData& data) {
    const PrivateTestMask mask(data.settings);
    CompareReport r;
    r.a = data.a.run;
    r.b = data.b.run;
    r.changed = data.changed;
    r.warning = data.warning;
    r.metrics = metricPairs(visibleMetrics(data.a, mask), visibleMetrics(data.b, mask));
    const PairedSamples samples = pairedTestSamples(data.a.finalTest, data.b.finalTest, mask);
    r.sharedSamples = samples.sampleIndex.size();
    r.publicOnly = samples.publicOnly;
    r.verdict = stats::pairedVerdict(samples.aCorrect, samples.bCorrect);
    if (data.groupA && data.groupB) {
        const auto ga = groupMetricValues(*data.groupA, mask);
        const auto gb = groupMetricValues(*data.groupB, mask);
        r.groupSizeA = ga.size();
        r.groupSizeB = gb.size();
        r.groupVerdict = stats::groupVerdict(ga, gb);
    }
    return r;
}

}  // namespace runboard::analysis
