#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "engine/data/atomic_file.h"
#include "engine/profile/profile.h"

namespace runboard::engine::profile {

namespace {

// One complete ("X") event, as Chrome's trace format has it; threads numbered from 1.
std::string eventJson(const Event& e, std::int64_t origin, int thread) {
    nlohmann::json j{{"name", e.name},
                     {"ph", "X"},
                     {"cat", e.user ? "user_annotation" : "cpu_op"},
                     {"ts", e.startUs - origin},
                     {"dur", e.durationUs},
                     {"pid", 1},
                     {"tid", thread}};
    if (!e.shapes.empty()) j["args"]["Input Dims"] = e.shapes;
    if (e.flops > 0) j["args"]["FLOPs"] = e.flops;
    return j.dump();
}

}  // namespace

TraceFile writeChromeTrace(const std::string& path, const std::vector<Event>& events,
                           std::int64_t maxBytes) {
    std::int64_t origin = 0;
    if (!events.empty())
        origin = std::min_element(events.begin(), events.end(), [](const Event& a, const Event& b) {
                     return a.startUs < b.startUs;
                 })->startUs;
    std::map<std::uint64_t, int> threads;
    for (const Event& e : events)
        threads.emplace(e.thread, static_cast<int>(threads.size()) + 1);

    // A child that overhangs its parent by the 1 us of rounding is cut to the parent's end:
    // viewers drop events that are not properly nested.
    const std::vector<std::int64_t> parent = parentsOf(events);
    std::vector<std::string> lines(events.size());
    std::int64_t total = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        Event e = events[i];
        if (parent[i] >= 0) {
            const Event& p = events[static_cast<std::size_t>(parent[i])];
            e.durationUs = std::max<std::int64_t>(
                0, std::min(e.durationUs, p.startUs + p.durationUs - e.startUs));
        }
        lines[i] = eventJson(e, origin, threads[events[i].thread]);
        total += static_cast<std::int64_t>(lines[i].size()) + 2;
    }
    // Over the cap: the shortest ops go first (phase ranges stay), all of one duration at once,
    // so that the file says "every op under N us was left out" and nothing arbitrary.
    constexpr std::int64_t kFrame = 512;  // the header and the metadata
    std::vector<bool> keep(events.size(), true);
    TraceFile out;
    out.path = path;
    if (total + kFrame > maxBytes) {
        std::vector<std::size_t> order(events.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return events[a].durationUs < events[b].durationUs;
        });
        std::size_t i = 0;
        while (i < order.size() && total + kFrame > maxBytes) {
            const std::int64_t d = events[order[i]].durationUs;
            for (; i < order.size() && events[order[i]].durationUs == d; ++i) {
                if (events[order[i]].user) continue;
                keep[order[i]] = false;
                total -= static_cast<std::int64_t>(lines[order[i]].size()) + 2;
                ++out.dropped;
            }
            out.droppedBelowUs = d + 1;
        }
    }
    std::string text = "{\"traceEvents\":[\n";
    text.reserve(static_cast<std::size_t>(std::max<std::int64_t>(total, 0)) + kFrame);
    bool first = true;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!keep[i]) continue;
        if (!first) text += ",\n";
        text += lines[i];
        first = false;
        ++out.events;
    }
    const nlohmann::json meta{{"producer", "runboard"},
                              {"events", out.events},
                              {"dropped_ops", out.dropped},
                              {"dropped_below_us", out.droppedBelowUs},
                              {"cap_bytes", maxBytes}};
    text += "\n],\"displayTimeUnit\":\"ms\",\"otherData\":" + meta.dump() + "}\n";
    writeFileAtomically(path, text, "profiler trace");
    out.bytes = static_cast<std::int64_t>(text.size());
    return out;
}

}  // namespace runboard::engine::profile
