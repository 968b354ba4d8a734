#include "storage/comparison.h"

#include "storage/lineage.h"

namespace runboard::storage {

Result<RunEvidence> runEvidence(RunStore& store, RunId id) {
    RunEvidence out;
    return store.run(id)
        .and_then([&](RunRecord run) {
            out.run = std::move(run);
            return store.latestMetrics(id);
        })
        .and_then([&](std::map<std::string, double> metrics) {
            out.metrics = std::move(metrics);
            return finalTestPredictions(store.connection(), id);
        })
        .transform([&](std::vector<PredictionRecord> finalTest) {
            out.finalTest = std::move(finalTest);
            return std::move(out);
        });
}

Result<std::vector<RunEvidence>> groupEvidence(RunStore& store, RunId group) {
    auto members = groupMembers(store.connection(), group);
    if (!members) return members.error();
    std::vector<RunEvidence> out;
    for (RunId id : members.value()) {
        auto e = runEvidence(store, id);
        if (!e) return e.error();
        out.push_back(std::move(e.value()));
    }
    return out;
}

Result<ComparisonData> comparisonData(RunStore& store, RunId a, RunId b) {
    ComparisonData d;
    auto ea = runEvidence(store, a);
    if (!ea) return ea.error();
    auto eb = runEvidence(store, b);
    if (!eb) return eb.error();
    d.a = std::move(ea.value());
    d.b = std::move(eb.value());
    auto pa = store.params(a);
    if (!pa) return pa.error();
    auto pb = store.params(b);
    if (!pb) return pb.error();
    d.changed = diffParams(pa.value(), pb.value());
    if (auto own = changeSet(store.connection(), b)) d.warning = changeWarning(own.value());
    auto settings = leaderboardSettings(store.connection());
    if (!settings) return settings.error();
    d.settings = std::move(settings.value());
    if (d.a.run.group && d.b.run.group && *d.a.run.group != *d.b.run.group) {
        auto ga = groupEvidence(store, *d.a.run.group);
        if (!ga) return ga.error();
        auto gb = groupEvidence(store, *d.b.run.group);
        if (!gb) return gb.error();
        d.groupA = std::move(ga.value());
        d.groupB = std::move(gb.value());
    }
    return d;
}

}  // namespace runboard::storage
