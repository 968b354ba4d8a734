#include "storage/comparison.h"

#include <map>

#include "storage/leaderboard.h"
#include "storage/lineage.h"
#include "storage/predictions.h"

namespace runboard::storage {

namespace {

// A run's latest metrics as competition mode lets them be seen.
Result<std::map<std::string, double>> visibleMetrics(RunStore& store, const PrivateTestMask& mask,
                                                     RunId run) {
    if (auto r = store.run(run); !r) return r.error();
    auto m = store.latestMetrics(run);
    if (!m) return m.error();
    if (auto s = mask.apply(store.connection(), run, m.value()); !s) return s.error();
    return m;
}

Result<std::vector<PredictionRecord>> finalTest(Connection& db, RunId run) {
    auto epochs = predictionEpochs(db, run, "test");
    if (!epochs) return epochs.error();
    if (epochs->empty()) return std::vector<PredictionRecord>{};
    return readPredictions(db, run, "test", epochs->back(), false);
}

}  // namespace

Result<std::vector<MetricPair>> metricPairs(RunStore& store, RunId a, RunId b) {
    auto mask = PrivateTestMask::load(store.connection());
    if (!mask) return mask.error();
    auto ma = visibleMetrics(store, mask.value(), a);
    if (!ma) return ma.error();
    auto mb = visibleMetrics(store, mask.value(), b);
    if (!mb) return mb.error();
    std::map<std::string, MetricPair> byKey;
    for (const auto& [k, v] : ma.value())
        byKey[k] = {k, v, std::nullopt};
    for (const auto& [k, v] : mb.value()) {
        byKey[k].key = k;
        byKey[k].b = v;
    }
    std::vector<MetricPair> out;
    for (auto& [k, p] : byKey)
        out.push_back(std::move(p));
    return out;
}

Result<PairedSamples> pairedTestSamples(Connection& db, RunId a, RunId b) {
    auto mask = PrivateTestMask::load(db);
    if (!mask) return mask.error();
    auto pa = finalTest(db, a);
    if (!pa) return pa.error();
    auto pb = finalTest(db, b);
    if (!pb) return pb.error();
    PairedSamples out;
    out.publicOnly = mask->on();
    // Both sorted by sample index: a merge.
    auto i = pa->begin(), j = pb->begin();
    while (i != pa->end() && j != pb->end()) {
        if (i->sampleIndex < j->sampleIndex) {
            ++i;
        } else if (j->sampleIndex < i->sampleIndex) {
            ++j;
        } else {
            if (mask->shows(i->sampleIndex)) {
                out.sampleIndex.push_back(i->sampleIndex);
                out.aCorrect.push_back(i->correct());
                out.bCorrect.push_back(j->correct());
            }
            ++i, ++j;
        }
    }
    return out;
}

Result<std::vector<double>> groupMetricValues(RunStore& store, RunId group,
                                              const std::string& key) {
    auto members = groupMembers(store.connection(), group);
    if (!members) return members.error();
    auto mask = PrivateTestMask::load(store.connection());
    if (!mask) return mask.error();
    std::vector<double> out;
    for (RunId id : members.value()) {
        auto run = store.run(id);
        if (!run) return run.error();
        if (run->status != RunStatus::Finished) continue;
        auto m = visibleMetrics(store, mask.value(), id);
        if (!m) return m.error();
        if (auto it = m->find(key); it != m->end()) out.push_back(it->second);
    }
    return out;
}

Result<CompareReport> compareRuns(RunStore& store, RunId a, RunId b) {
    CompareReport r;
    auto ra = store.run(a);
    if (!ra) return ra.error();
    auto rb = store.run(b);
    if (!rb) return rb.error();
    r.a = std::move(ra.value());
    r.b = std::move(rb.value());
    auto pa = store.params(a);
    if (!pa) return pa.error();
    auto pb = store.params(b);
    if (!pb) return pb.error();
    r.changed = diffParams(pa.value(), pb.value());
    if (auto own = changeSet(store.connection(), b)) r.warning = changeWarning(own.value());
    auto metrics = metricPairs(store, a, b);
    if (!metrics) return metrics.error();
    r.metrics = std::move(metrics.value());
    auto samples = pairedTestSamples(store.connection(), a, b);
    if (!samples) return samples.error();
    r.sharedSamples = samples->sampleIndex.size();
    r.publicOnly = samples->publicOnly;
    r.verdict = stats::pairedVerdict(samples->aCorrect, samples->bCorrect);
    if (r.a.group && r.b.group && *r.a.group != *r.b.group) {
        auto ga = groupMetricValues(store, *r.a.group);
        if (!ga) return ga.error();
        auto gb = groupMetricValues(store, *r.b.group);
        if (!gb) return gb.error();
        r.groupSizeA = ga->size();
        r.groupSizeB = gb->size();
        r.groupVerdict = stats::groupVerdict(ga.value(), gb.value());
    }
    return r;
}

}  // namespace runboard::storage
