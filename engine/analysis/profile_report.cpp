#include "engine/analysis/profile_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/profile/profile.h"

namespace runboard::analysis {

std::vector<std::string> profileMetricKeys() {
    std::vector<std::string> keys{"time/step"};
    for (std::string_view p : kPhaseNames)
        keys.push_back("time/" + std::string(p));
    keys.insert(keys.end(), {"time/eval", "memory/peak_rss_mb"});
    return keys;
}

ProfileReport buildProfileReport(
    const std::vector<std::pair<std::string, std::vector<storage::MetricPoint>>>& series,
    std::optional<storage::RunCost> cost, std::vector<storage::ProfileWindowRow> windows) {
    ProfileReport r;
    // Epochs by the step they ended at: every epoch logs its phases at that step.
    std::map<std::int64_t, EpochPhases> byStep;
    const auto at = [&](std::int64_t step) -> EpochPhases& {
        auto [it, added] = byStep.try_emplace(step);
        if (added) {
            it->second.step = step;
            it->second.evalSeconds = it->second.peakRssMb = std::nan("");
        }
        return it->second;
    };
    for (const auto& [key, points] : series) {
        for (const auto& p : points) {
            if (!std::isfinite(p.value)) continue;
            if (key == "time/step") {
                at(p.step).stepMs = p.value;
            } else if (key == "time/eval") {
                at(p.step).evalSeconds = p.value;
            } else if (key == "memory/peak_rss_mb") {
                at(p.step).peakRssMb = p.value;
            } else {
                for (std::size_t i = 0; i < kPhaseNames.size(); ++i)
                    if (key == "time/" + std::string(kPhaseNames[i])) at(p.step).ms[i] = p.value;
            }
        }
    }
    for (auto& [step, e] : byStep)
        if (e.stepMs > 0) r.epochs.push_back(e);
    if (!r.epochs.empty()) {
        for (const auto& e : r.epochs) {
            for (std::size_t i = 0; i < e.ms.size(); ++i)
                r.meanMs[i] += e.ms[i];
            r.stepMs += e.stepMs;
        }
        const auto n = static_cast<double>(r.epochs.size());
        for (double& m : r.meanMs)
            m /= n;
        r.stepMs /= n;
        r.dataShare = r.stepMs > 0 ? r.meanMs[0] / r.stepMs : 0;
        r.dataBound = r.dataShare > engine::profile::kDataBoundShare;
        if (r.dataBound) r.dataAdvice = engine::profile::dataBoundAdvice(r.dataShare);
    }
    if (cost && cost->batchSize > 0) {
        r.trainFlopsPerStep = 3 * cost->forwardFlops * static_cast<double>(cost->batchSize);
        r.peakGflops = cost->precision == "bf16" ? cost->peakBf16Gflops : cost->peakFp32Gflops;
        if (r.stepMs > 0) {
            r.achievedGflops = *r.trainFlopsPerStep / (r.stepMs / 1000) / 1e9;
            if (*r.peakGflops > 0) r.shareOfPeak = *r.achievedGflops / *r.peakGflops;
        }
    }
    r.cost = std::move(cost);
    r.windows = std::move(windows);
    return r;
}

std::vector<OpDiff> diffOps(const storage::ProfileWindowRow& a,
                            const storage::ProfileWindowRow& b) {
    std::map<std::string, OpDiff> byName;
    const auto add = [&](const storage::ProfileWindowRow& w, bool first) {
        const double steps = static_cast<double>(std::max<std::int64_t>(w.steps, 1));
        for (const auto& op : w.ops) {
            OpDiff& d = byName[op.name];
            d.name = op.name;
            (first ? d.aUs : d.bUs) += op.selfUs / steps;
            (first ? d.aCalls : d.bCalls) += op.calls;
        }
    };
    add(a, true);
    add(b, false);
    std::vector<OpDiff> out;
    for (auto& [name, d] : byName) {
        d.aCalls = std::llround(static_cast<double>(d.aCalls) /
                                static_cast<double>(std::max<std::int64_t>(a.steps, 1)));
        d.bCalls = std::llround(static_cast<double>(d.bCalls) /
                                static_cast<double>(std::max<std::int64_t>(b.steps, 1)));
        out.push_back(d);
    }
    std::stable_sort(out.begin(), out.end(), [](const OpDiff& x, const OpDiff& y) {
        return std::abs(x.deltaUs()) > std::abs(y.deltaUs());
    });
    return out;
}

bool phaseShown(const ProfileReport& report, std::size_t i) {
    if (kPhaseNames[i] != "allreduce") return true;
    return std::any_of(report.epochs.begin(), report.epochs.end(),
                       [&](const EpochPhases& e) { return e.ms[i] != 0; });
}

}  // namespace runboard::analysis
