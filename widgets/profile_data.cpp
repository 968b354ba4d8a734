#include "widgets/profile_data.h"

namespace runboard::widgets {

storage::Result<analysis::ProfileReport> loadProfileReport(storage::RunStore& store,
                                                           storage::RunId run) {
    if (auto r = store.run(run); !r) return r.error();
    std::vector<std::pair<std::string, std::vector<storage::MetricPoint>>> series;
    for (const std::string& key : analysis::profileMetricKeys()) {
        auto points = store.series(run, key);
        if (!points) return points.error();
        series.emplace_back(key, std::move(points.value()));
    }
    auto cost = storage::runCost(store.connection(), run);
    if (!cost) return cost.error();
    auto windows = storage::profileWindows(store.connection(), run);
    if (!windows) return windows.error();
    return analysis::buildProfileReport(series, std::move(cost.value()),
                                        std::move(windows.value()));
}

}  // namespace runboard::widgets
