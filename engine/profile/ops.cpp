#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

#include "engine/profile/profile.h"

namespace runboard::engine::profile {

std::string formatShapes(const std::vector<Shape>& shapes) {
    std::string out;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        if (i > 0) out += ", ";
        out += '[';
        for (std::size_t d = 0; d < shapes[i].size(); ++d) {
            if (d > 0) out += ", ";
            out += std::to_string(shapes[i][d]);
        }
        out += ']';
    }
    return out;
}

namespace {

// Each event's direct children's total duration on its own thread, by containment: events sorted
// by start (the longer first on a tie) are nested inside the last open one that contains them.
std::vector<double> childTime(const std::vector<Event>& events) {
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> byThread;
    for (std::size_t i = 0; i < events.size(); ++i)
        byThread[events[i].thread].push_back(i);
    std::vector<double> children(events.size(), 0.0);
    for (auto& [thread, ids] : byThread) {
        std::stable_sort(ids.begin(), ids.end(), [&](std::size_t a, std::size_t b) {
            const Event &x = events[a], &y = events[b];
            return x.startUs != y.startUs ? x.startUs < y.startUs : x.durationUs > y.durationUs;
        });
        std::vector<std::size_t> open;
        for (std::size_t id : ids) {
            const Event& e = events[id];
            const std::int64_t end = e.startUs + e.durationUs;
            while (!open.empty()) {
                const Event& top = events[open.back()];
                if (e.startUs >= top.startUs && end <= top.startUs + top.durationUs) break;
                open.pop_back();
            }
            if (!open.empty()) children[open.back()] += static_cast<double>(e.durationUs);
            open.push_back(id);
        }
    }
    return children;
}

}  // namespace

std::vector<OpStat> aggregateOps(const std::vector<Event>& events) {
    const std::vector<double> children = childTime(events);
    std::map<std::pair<std::string, std::string>, OpStat> groups;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        if (e.user) continue;
        std::string shapes = formatShapes(e.shapes);
        OpStat& s = groups[{e.name, shapes}];
        if (s.calls == 0) {
            s.name = e.name;
            s.shapes = std::move(shapes);
        }
        ++s.calls;
        const auto duration = static_cast<double>(e.durationUs);
        s.totalUs += duration;
        s.selfUs += std::max(0.0, duration - children[i]);
        s.flops += e.flops;
    }
    std::vector<OpStat> out;
    out.reserve(groups.size());
    for (auto& [key, s] : groups)
        out.push_back(std::move(s));
    std::stable_sort(out.begin(), out.end(),
                     [](const OpStat& a, const OpStat& b) { return a.selfUs > b.selfUs; });
    return out;
}

std::string dataBoundAdvice(double share) {
    return fmt::format(
        "{:.0f}% of each step waits for data: training is data-bound; raise "
        "data.workers, give data.cache_mb room for the whole dataset, or augment "
        "more cheaply",
        100 * share);
}

std::vector<PhaseTime> phaseTimes(const std::vector<Event>& events) {
    std::vector<PhaseTime> out;
    for (const Event& e : events) {
        if (!e.user) continue;
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const PhaseTime& p) { return p.name == e.name; });
        if (it == out.end()) it = out.insert(out.end(), PhaseTime{e.name, 0, 0});
        it->totalUs += static_cast<double>(e.durationUs);
        ++it->calls;
    }
    return out;
}

}  // namespace runboard::engine::profile
