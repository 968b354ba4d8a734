// `runboard profile RUN`: where a run's time went (the step phases per epoch), how far its
// arithmetic is from the machine's limit, its layer table and its op profiler windows.

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/core/terminal_text.h"
#include "app/exit_codes.h"
#include "widgets/profile_data.h"

namespace runboard::app {

namespace {

using analysis::kPhaseNames;
using analysis::phaseShown;
using analysis::ProfileReport;

nlohmann::json jsonNumber(std::optional<double> v) {
    return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// allreduce only for a data-parallel run (phaseShown).
nlohmann::json phasesJson(const ProfileReport& r, const analysis::PhaseMs& ms) {
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t i = 0; i < kPhaseNames.size(); ++i)
        if (phaseShown(r, i)) j[std::string(kPhaseNames[i])] = ms[i];
    return j;
}

nlohmann::json reportJson(storage::RunId run, const ProfileReport& r) {
    nlohmann::json j{{"run", run}};
    j["epochs"] = nlohmann::json::array();
    for (const auto& e : r.epochs)
        j["epochs"].push_back({{"step", e.step},
                               {"phases_ms", phasesJson(r, e.ms)},
                               {"step_ms", e.stepMs},
                               {"eval_s", jsonNumber(e.evalSeconds)},
                               {"peak_rss_mb", jsonNumber(e.peakRssMb)}});
    j["mean"] = {{"phases_ms", phasesJson(r, r.meanMs)}, {"step_ms", r.stepMs}};
    j["data_share"] = r.dataShare;
    j["data_bound"] = r.dataBound;
    j["data_advice"] = r.dataAdvice;
    if (r.cost) {
        const auto& c = *r.cost;
        nlohmann::json layers = nlohmann::json::array();
        nlohmann::json uncounted = nlohmann::json::object();
        for (const auto& l : c.layers) {
            layers.push_back({{"name", l.name},
                              {"op", l.op},
                              {"output", l.outputShape},
                              {"params", l.params},
                              {"activation_bytes", l.activationBytes},
                              {"flops", jsonNumber(l.flops)}});
            if (!l.flops) uncounted[l.op] = uncounted.value(l.op, 0) + 1;
        }
        j["cost"] = {{"params", c.params},
                     {"forward_flops", c.forwardFlops},
                     {"activation_bytes", c.activationBytes},
                     {"batch_size", c.batchSize},
                     {"precision", c.precision},
                     {"threads", c.threads},
                     {"train_flops_per_step", jsonNumber(r.trainFlopsPerStep)},
                     {"train_flops_note", "estimate: 3 x forward (backward taken as 2 x forward)"},
                     {"peak_gflops", {{"fp32", c.peakFp32Gflops}, {"bf16", c.peakBf16Gflops}}},
                     {"achieved_gflops", jsonNumber(r.achievedGflops)},
                     {"share_of_peak", jsonNumber(r.shareOfPeak)},
                     {"layers", layers},
                     {"uncounted", uncounted}};
    } else {
        j["cost"] = nullptr;
    }
    j["windows"] = nlohmann::json::array();
    for (const auto& w : r.windows) {
        const double steps = static_cast<double>(std::max<std::int64_t>(w.steps, 1));
        nlohmann::json ops = nlohmann::json::array();
        double selfTotal = 0;
        for (const auto& o : w.ops)
            selfTotal += o.selfUs;
        for (const auto& o : w.ops)
            ops.push_back({{"name", o.name},
                           {"shapes", o.shapes},
                           {"calls", o.calls},
                           {"self_us", o.selfUs},
                           {"total_us", o.totalUs},
                           {"flops", o.flops},
                           {"self_share", selfTotal > 0 ? o.selfUs / selfTotal : 0.0}});
        nlohmann::json phases = nlohmann::json::array();
        for (const auto& p : w.phases)
            phases.push_back({{"name", p.name}, {"total_us", p.totalUs}, {"calls", p.calls}});
        j["windows"].push_back(
            {{"first_step", w.firstStep},
             {"steps", w.steps},
             {"seconds", w.seconds},
             {"step_ms", 1000 * w.seconds / steps},
             {"trace",
              {{"path",
                w.tracePath.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.tracePath)},
               {"exists", !w.tracePath.empty() && std::filesystem::exists(w.tracePath)},
               {"bytes", w.traceBytes},
               {"events", w.traceEvents},
               {"dropped", w.traceDropped},
               {"dropped_below_us", w.traceDroppedBelowUs}}},
             {"phases", phases},
             {"ops", ops}});
    }
    return j;
}

std::string flopsText(double flops) {
    if (flops >= 1e9) return fmt::format("{:.2f} G", flops / 1e9);
    if (flops >= 1e6) return fmt::format("{:.2f} M", flops / 1e6);
    if (flops >= 1e3) return fmt::format("{:.1f} k", flops / 1e3);
    return fmt::format("{:.0f}", flops);
}

std::string reportText(storage::RunId run, const ProfileReport& r, std::size_t top) {
    std::string out = fmt::format("Run {}\n\n", run);
    if (r.epochs.empty()) {
        out += "No step timing: the run has not finished an epoch (or predates the breakdown).\n";
    } else {
        out += "The mean step of each epoch, by phase (ms):\n";
        out += fmt::format("{:>8}", "step");
        for (std::size_t i = 0; i < kPhaseNames.size(); ++i)
            if (phaseShown(r, i)) out += fmt::format(" {:>9}", kPhaseNames[i]);
        out += fmt::format(" {:>9} {:>8} {:>9}\n", "total", "eval s", "peak MB");
        for (const auto& e : r.epochs) {
            out += fmt::format("{:>8}", e.step);
            for (std::size_t i = 0; i < e.ms.size(); ++i)
                if (phaseShown(r, i)) out += fmt::format(" {:>9.2f}", e.ms[i]);
            out +=
                fmt::format(" {:>9.2f} {:>8.2f} {:>9.0f}\n", e.stepMs, e.evalSeconds, e.peakRssMb);
        }
        out += fmt::format("{:>8}", "mean");
        for (std::size_t i = 0; i < r.meanMs.size(); ++i)
            if (phaseShown(r, i)) out += fmt::format(" {:>9.2f}", r.meanMs[i]);
        out += fmt::format(" {:>9.2f}\n", r.stepMs);
        out += r.dataBound ? "\n" + r.dataAdvice + ".\n"
                           : fmt::format("\n{:.0f}% of each step waits for data: not data-bound.\n",
                                         100 * r.dataShare);
    }
    if (r.cost) {
        const auto& c = *r.cost;
        out += fmt::format(
            "\nModel: {} parameters, {}FLOP forward per sample (1 multiply-add = 2 FLOPs); "
            "training ~{}FLOP per step of {} (estimate: backward taken as 2x forward)\n",
            c.params, flopsText(c.forwardFlops), flopsText(r.trainFlopsPerStep.value_or(0)),
            c.batchSize);
        if (r.achievedGflops && r.peakGflops)
            out += fmt::format(
                "Achieved {:.1f} GFLOP/s of this machine's {:.1f} GFLOP/s {} peak (its best "
                "matrix kernel) on {} thread{}: {:.0f}%{}\n",
                *r.achievedGflops, *r.peakGflops, c.precision, c.threads, c.threads == 1 ? "" : "s",
                100 * r.shareOfPeak.value_or(0),
                r.shareOfPeak.value_or(0) > 1
                    ? " (above the peak: a FLOPs formula counts more than the model does, or the "
                      "peak was measured on a busy machine)"
                    : "");
        out += fmt::format("\n{:<24} {:<22} {:<16} {:>9} {:>10} {:>11}\n", "layer", "op", "output",
                           "params", "act. KB", "fwd FLOPs");
        std::map<std::string, int> uncounted;
        for (const auto& l : c.layers) {
            out += fmt::format("{:<24} {:<22} {:<16} {:>9} {:>10.1f} {:>11}\n",
                               terminalText(l.name, 24), terminalText(l.op, 22),
                               terminalText(l.outputShape, 16), l.params,
                               static_cast<double>(l.activationBytes) / 1024,
                               l.flops ? flopsText(*l.flops) : "no formula");
            if (!l.flops) ++uncounted[l.op];
        }
        if (!uncounted.empty()) {
            out += "Not counted (no formula):";
            for (const auto& [op, n] : uncounted)
                out += fmt::format(" {} x{}", terminalText(op), n);
            out += "\n";
        }
    } else {
        out += "\nNo model cost: the run started before Runboard measured it.\n";
    }
    if (r.windows.empty()) {
        out +=
            "\nNo op profiler window: train with --set profile.steps=20, or use the GUI's "
            "\"Profile next 20 steps\".\n";
        return out;
    }
    const auto& w = r.windows.back();
    const double steps = static_cast<double>(std::max<std::int64_t>(w.steps, 1));
    out += fmt::format(
        "\nOp profiler, steps {}-{} ({:.1f} ms a step with the profiler on){}\n", w.firstStep,
        w.firstStep + w.steps - 1, 1000 * w.seconds / steps,
        r.windows.size() > 1 ? fmt::format(", the last of {} windows", r.windows.size()) : "");
    if (!w.tracePath.empty() && !std::filesystem::exists(w.tracePath))
        out += fmt::format("Trace: {} (missing: moved or deleted)\n", terminalText(w.tracePath));
    else if (!w.tracePath.empty())
        out += fmt::format("Trace: {} ({:.1f} MB, {} events{})\n", terminalText(w.tracePath),
                           static_cast<double>(w.traceBytes) / 1e6, w.traceEvents,
                           w.traceDropped > 0
                               ? fmt::format("; {} ops under {} us left out to stay under the cap",
                                             w.traceDropped, w.traceDroppedBelowUs)
                               : "");
    double selfTotal = 0;
    for (const auto& o : w.ops)
        selfTotal += o.selfUs;
    out += fmt::format("{:<34} {:>10} {:>13} {:>6} {:>14}  {}\n", "op", "calls/step",
                       "self ms/step", "%", "total ms/step", "input shapes");
    for (std::size_t i = 0; i < w.ops.size() && i < top; ++i) {
        const auto& o = w.ops[i];
        out += fmt::format("{:<34} {:>10.1f} {:>13.3f} {:>5.1f}% {:>14.3f}  {}\n",
                           terminalText(o.name, 34), static_cast<double>(o.calls) / steps,
                           o.selfUs / steps / 1000, selfTotal > 0 ? 100 * o.selfUs / selfTotal : 0,
                           o.totalUs / steps / 1000, terminalText(o.shapes, 60));
    }
    if (w.ops.size() > top)
        out += fmt::format("... {} more (--top N, or --json for all)\n", w.ops.size() - top);
    return out;
}

}  // namespace

int profileCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.addOption(kDbOption);
    parser.addOption(kJsonOption);
    const QCommandLineOption topOption("top", "Ops to list (default 15).", "N", "15");
    parser.addOption(topOption);
    parser.addPositionalArgument("RUN", "The run's id (an integer, as `runboard runs` lists).");
    if (auto code = parseSubcommand(
            parser, args, "runboard profile RUN [--db PATH] [--json] [--top N]",
            "Print where a run's time went: the step phases per epoch, the achieved GFLOP/s "
            "against this machine's peak, the layer table and the op profiler's last window."))
        return *code;
    const auto id = oneRunId(parser, "profile");
    if (!id) return kExitUsage;
    bool topOk = false;
    const int top = parser.value(topOption).toInt(&topOk);
    if (!topOk || top < 0)
        return fail(kExitUsage, "--top must be a number of ops (0 or more), got '" +
                                    parser.value(topOption).toStdString() + "'");
    auto store = openStore(databasePath(parser), Access::Read);
    if (!store) return failStorage(store.error());
    auto report = widgets::loadProfileReport(store.value(), *id);
    if (!report) return failStorage(report.error());
    if (parser.isSet(kJsonOption))
        std::printf("%s\n", jsonText(reportJson(*id, report.value())).c_str());
    else
        std::fputs(reportText(*id, report.value(), static_cast<std::size_t>(top)).c_str(), stdout);
    return kExitOk;
}

}  // namespace runboard::app
