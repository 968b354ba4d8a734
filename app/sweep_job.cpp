#include "app/sweep_job.h"

#include <fmt/format.h>

#include <cmath>

#include "app/core/terminal_text.h"
#include "storage/run_store.h"

namespace runboard::app {

namespace {

nlohmann::json finiteOrNull(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string describeStop(const storage::SweepRecord& r) {
    const auto reason = sweep::kStopReasonNames.parse(r.stopReason);
    if (!reason) return r.stopReason;
    switch (*reason) {
        case sweep::StopReason::Exploded: {
            return fmt::format("the smoothed loss exceeded {:g} x its best", r.stopFactor);
        }
        case sweep::StopReason::NonFinite:
            return "the loss became NaN or infinite";
        case sweep::StopReason::Completed:
            return "reached the end LR without exploding (try a larger --end)";
        case sweep::StopReason::Stopped:
            return "stopped by request";
    }
    return r.stopReason;
}

}  // namespace

std::string defaultSweepName(const config::Config& c) {
    return c.text("model") + " " + c.text("optimizer") + " bs " +
           std::to_string(c.integer("batch_size"));
}

storage::NewSweep toNewSweep(const SweepRequest& request, const sweep::Result& result,
                             double seconds) {
    storage::NewSweep w;
    w.name = request.name.empty() ? defaultSweepName(request.config) : request.name;
    w.configJson = request.config.toJson();
    w.start = request.options.start;
    w.end = request.options.end;
    w.steps = request.options.steps;
    w.mode = std::string(sweep::toString(request.options.mode));
    w.beta = request.options.beta;
    w.stopFactor = request.options.stopFactor;
    w.stopStep = result.stop.step;
    w.stopLr = result.stop.lr;
    w.stopReason = std::string(sweep::toString(result.stop.reason));
    w.seconds = seconds;
    for (const sweep::Point& p : result.points)
        w.points.push_back({p.step, p.lr, p.loss, p.smoothed});
    for (const sweep::Suggestion& s : result.suggestions)
        w.suggestions.push_back({s.name, s.lr, s.step});
    return w;
}

storage::Result<storage::SweepId> storeSweep(const std::string& dbPath, const SweepRequest& request,
                                             const sweep::Result& result, double seconds) {
    auto store = storage::RunStore::open(dbPath);
    if (!store) return store.error();
    return storage::insertSweep(store->connection(), toNewSweep(request, result, seconds));
}

sweep::Options sweepOptions(const storage::SweepRecord& r) {
    sweep::Options o;
    o.start = r.start;
    o.end = r.end;
    o.steps = static_cast<int>(r.steps);
    o.mode = sweep::kModeNames.parse(r.mode).value_or(sweep::Mode::Exponential);
    o.beta = r.beta;
    o.stopFactor = r.stopFactor;
    return o;
}

nlohmann::json sweepToJson(const storage::SweepRecord& r,
                           const std::vector<storage::SweepPointRow>& points) {
    nlohmann::json j;
    j["id"] = r.id;
    j["name"] = r.name;
    j["created_at"] = r.createdAt;
    j["config"] = nlohmann::json::parse(r.configJson, nullptr, false);
    j["options"] = {{"start", r.start}, {"end", r.end},   {"steps", r.steps},
                    {"mode", r.mode},   {"beta", r.beta}, {"stop_factor", r.stopFactor}};
    j["stop"] = {{"lr", r.stopLr}, {"step", r.stopStep}, {"reason", r.stopReason}};
    nlohmann::json suggestions = nlohmann::json::object();
    for (const auto& s : r.suggestions)
        suggestions[s.rule] = s.lr;
    j["suggestions"] = suggestions;
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : points)
        pts.push_back(
            {{"lr", p.lr}, {"loss", finiteOrNull(p.loss)}, {"smoothed", finiteOrNull(p.smoothed)}});
    j["points"] = pts;
    j["seconds"] = r.seconds;
    return j;
}

std::string sweepToText(const storage::SweepRecord& r) {
    // The name is anyone's text: escaped and elided like every name that reaches a terminal.
    std::string out =
        fmt::format("LR sweep {} \"{}\": {} steps, {:g} to {:g} ({}), {:.1f} s\n", r.id,
                    terminalText(r.name, 60), r.pointCount, r.start, r.end, r.mode, r.seconds);
    out +=
        fmt::format("stopped at step {}, lr {:.3g}: {}\n\n", r.stopStep, r.stopLr, describeStop(r));
    out += "rule        lr         how\n";
    for (const sweep::Rule& rule : sweep::rules()) {
        const storage::SweepSuggestionRow* found = nullptr;
        for (const auto& s : r.suggestions)
            if (s.rule == rule.name) found = &s;
        const std::string name(rule.name), text(rule.explanation);
        out +=
            found ? fmt::format("{:<11} {:<10.3g} {}\n", name, found->lr, text)
                  : fmt::format("{:<11} {:<10} {}\n", name, "-", "too few finite points to decide");
    }
    return out;
}

}  // namespace runboard::app
