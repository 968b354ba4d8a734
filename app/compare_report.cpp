#include "app/compare_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "app/core/terminal_text.h"
#include "storage/lineage.h"

namespace runboard::app {

namespace {

nlohmann::json valueOrNull(const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json numberOrNull(std::optional<double> v) {
    return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json verdictJson(const stats::Verdict& v) {
    return {{"text", v.text},
            {"delta", v.method == "none" ? nlohmann::json(nullptr) : nlohmann::json(v.delta)},
            {"ci_low", v.method == "none" ? nlohmann::json(nullptr) : nlohmann::json(v.ciLow)},
            {"ci_high", v.method == "none" ? nlohmann::json(nullptr) : nlohmann::json(v.ciHigh)},
            {"p_value", numberOrNull(v.pValue)},
            {"method", v.method},
            {"above_noise", v.aboveNoise}};
}

std::string number(std::optional<double> v) {
    if (!v) return "-";
    return fmt::format("{:.6g}", *v);
}

}  // namespace

nlohmann::json compareToJson(const analysis::CompareReport& r) {
    nlohmann::json changed = nlohmann::json::object(), metrics = nlohmann::json::object();
    for (const auto& c : r.changed)
        changed[c.key] = nlohmann::json::array({valueOrNull(c.from), valueOrNull(c.to)});
    for (const auto& m : r.metrics) {
        std::optional<double> delta;
        if (m.a && m.b) delta = *m.b - *m.a;
        metrics[m.key] = {
            {"a", numberOrNull(m.a)}, {"b", numberOrNull(m.b)}, {"delta", numberOrNull(delta)}};
    }
    nlohmann::json out = {
        {"a", r.a.id},
        {"b", r.b.id},
        {"changed", changed},
        {"metrics", metrics},
        {"verdict", verdictJson(r.verdict)},
        {"shared_test_samples", r.sharedSamples},
        {"public_only", r.publicOnly},
        {"warning", r.warning.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.warning)}};
    if (r.groupVerdict) {
        out["group_verdict"] = verdictJson(*r.groupVerdict);
        out["group_verdict"]["runs"] = {r.groupSizeA, r.groupSizeB};
    }
    return out;
}

std::string compareToText(const analysis::CompareReport& r) {
    // Names, config keys and values and metric keys are anyone's bytes (a run renamed to ESC
    // sequences or a right-to-left override): every stored string goes through terminalText.
    const auto show = [](std::string_view s) { return terminalText(s); };
    std::string out = "A: #" + std::to_string(r.a.id) + " " + show(r.a.name) + "\nB: #" +
                      std::to_string(r.b.id) + " " + show(r.b.name) + "\n\n";
    std::vector<std::string> changedKeys, metricKeys;
    std::size_t width = 6;
    for (const auto& c : r.changed)
        width = std::max(width, codePoints(changedKeys.emplace_back(show(c.key))));
    for (const auto& m : r.metrics)
        width = std::max(width, codePoints(metricKeys.emplace_back(show(m.key))));
    const auto pad = [&](const std::string& s) { return padRight(s, width + 2); };
    out += r.changed.empty() ? "Config: identical\n" : "Config (only what differs, A -> B):\n";
    for (std::size_t i = 0; i < r.changed.size(); ++i) {
        const auto& c = r.changed[i];
        out += "  " + pad(changedKeys[i]) + (c.from ? show(*c.from) : "(absent)") + " -> " +
               (c.to ? show(*c.to) : "(absent)") + "\n";
    }
    if (r.changed.size() > 1)
        out += "  warning: " + std::to_string(r.changed.size()) +
               " keys differ; this comparison can't tell which one helped\n";
    if (!r.warning.empty()) out += "  B against its parent: " + show(r.warning) + "\n";
    out +=
        "\nMetrics (latest)" + std::string(r.publicOnly ? ", test on the public part" : "") + ":\n";
    out += "  " + pad("key") + "A            B            B - A\n";
    for (std::size_t i = 0; i < r.metrics.size(); ++i) {
        const auto& m = r.metrics[i];
        std::optional<double> delta;
        if (m.a && m.b) delta = *m.b - *m.a;
        const std::string a = number(m.a), b = number(m.b);
        out += "  " + pad(metricKeys[i]) + a +
               std::string(13 - std::min<std::size_t>(12, a.size()), ' ') + b +
               std::string(13 - std::min<std::size_t>(12, b.size()), ' ') + number(delta) + "\n";
    }
    out += "\nVerdict (test accuracy, B - A, " + std::to_string(r.sharedSamples) +
           " shared test samples): " + r.verdict.text + "\n";
    if (r.groupVerdict)
        out += "Seed repeats (" + std::to_string(r.groupSizeA) + " vs " +
               std::to_string(r.groupSizeB) + " runs): " + r.groupVerdict->text + "\n";
    return out;
}

}  // namespace runboard::app
