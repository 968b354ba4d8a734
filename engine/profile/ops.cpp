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

std::vector<std::int64_t> parentsOf(const std::vector<Event>& events) {
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> byThread;
    for (std::size_t i = 0; i < events.size(); ++i)
        byThread[events[i].thread].push_back(i);
    std::vector<std::int64_t> parent(events.size(), -1);
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
                const std::int64_t topEnd = top.startUs + top.durationUs;
                // Inside: it starts within the open event (not where it ends, unless both start
                // there) and ends by its end, give or take the 1 us the profiler's whole
                // microseconds lose: 2% of events overhung their parent by exactly that.
                const bool startsInside =
                    e.startUs >= top.startUs && (e.startUs < topEnd || e.startUs == top.startUs);
                if (startsInside && end <= topEnd + 1) break;
                open.pop_back();
            }
            if (!open.empty()) parent[id] = static_cast<std::int64_t>(open.back());
            open.push_back(id);
        }
    }
    return parent;
}

std::vector<OpStat> aggregateOps(const std::vector<Event>& events) {
    const std::vector<std::int64_t> parent = parentsOf(events);
    std::vector<double> children(events.size(), 0.0);
    for (std::size_t i = 0; i < events.size(); ++i)
        if (parent[i] >= 0)
            children[static_cast<std::size_t>(parent[i])] +=
                static_cast<double>(events[i].durationUs);
    // An op that calls itself again (bf16 autocast's wrapper around the real addmm, a
    // redispatch) is one call: the inner one's self time joins the outer's, and its FLOPs count
    // only when the outer has none.
    const auto rootOf = [&](std::size_t i) {
        while (parent[i] >= 0 && events[static_cast<std::size_t>(parent[i])].name == events[i].name)
            i = static_cast<std::size_t>(parent[i]);
        return i;
    };
    std::map<std::pair<std::string, std::string>, OpStat> groups;
    std::vector<std::string> shapeText(events.size());
    for (std::size_t i = 0; i < events.size(); ++i)
        if (!events[i].user) shapeText[i] = formatShapes(events[i].shapes);
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        if (e.user) continue;
        const std::size_t root = rootOf(i);
        OpStat& s = groups[{e.name, shapeText[root]}];
        if (s.calls == 0 && root == i) {
            s.name = e.name;
            s.shapes = shapeText[root];
        }
        const auto duration = static_cast<double>(e.durationUs);
        s.selfUs += std::max(0.0, duration - children[i]);
        if (root == i) {
            ++s.calls;
            s.totalUs += duration;
            s.flops += e.flops;
        } else if (events[root].flops == 0) {
            s.flops += e.flops;
        }
    }
    std::vector<OpStat> out;
    out.reserve(groups.size());
    for (auto& [key, s] : groups) {
        if (s.name.empty()) s.name = key.first, s.shapes = key.second;
        out.push_back(std::move(s));
    }
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
