// What the profiler costs and what it finds, on the real Fashion-MNIST (the default recipe's CNN
// and the MLP):
// - the always-on step timing: 5 clock reads and 7 phase ranges a step with no profiler on,
//   timed over a million repeats, as a share of each model's measured step;
// - an op profiler window: the median step inside the window against the median step outside
//   it, in the same run (warm-up steps excluded);
// - the share of the machine's peak: the training FLOPs of a step (3 x forward x batch, an
//   estimate) over the median step time outside the window, against the measured matrix-multiply
//   peak of the run's precision.
// Rounds alternate fp32 and bf16 and the models; medians of the rounds are printed.
//   profile_bench [--threads N] [--rounds R] [--steps S] [--window W]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/peak.h"
#include "engine/phase_range.h"
#include "engine/runtime.h"
#include "engine/trainer.h"

using namespace runboard;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The instrumentation of one step without its work, in ns.
double instrumentationNs() {
    constexpr int kRepeats = 1'000'000;
    Clock::time_point sink{};
    const auto t0 = Clock::now();
    for (int i = 0; i < kRepeats; ++i) {
        engine::PhaseRange step("step");
        engine::PhaseRange data("data");
        sink = std::max(sink, Clock::now());
        data.end();
        sink = std::max(sink, Clock::now());
        { engine::PhaseRange forward("forward"); }
        sink = std::max(sink, Clock::now());
        { engine::PhaseRange loss("loss"); }
        sink = std::max(sink, Clock::now());
        { engine::PhaseRange backward("backward"); }
        { engine::PhaseRange optimizer("optimizer"); }
        sink = std::max(sink, Clock::now());
        engine::PhaseRange observer("observer");
    }
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (sink == Clock::time_point{}) std::puts("");  // keep the reads
    return ns / kRepeats;
}

struct StepTimes : engine::Observer {
    std::int64_t batch = 0;
    std::vector<std::pair<std::int64_t, double>> steps;  // step, seconds
    engine::CostEvent cost;
    std::vector<engine::profile::Window> windows;
    void onStep(const engine::StepEvent& e) override {
        steps.emplace_back(e.step, static_cast<double>(batch) / e.samplesPerSecond);
    }
    void onCost(const engine::CostEvent& e) override { cost = e; }
    void onProfile(const engine::profile::Window& w) override { windows.push_back(w); }
};

struct Result {
    double outsideMs = 0, insideMs = 0, gflops = 0, peak = 0;
};

Result runOnce(const std::string& model, const std::string& precision, int threads, int steps,
               int window) {
    config::Config c = config::Config::defaults();
    c.set("model", model);
    c.set("precision", precision);
    c.set("threads", std::int64_t{threads});
    c.set("epochs", std::int64_t{1});
    c.set("data.val_size", std::int64_t{0});
    c.set("data.limit", std::int64_t{128} * steps);
    c.set("log.predictions", false);
    c.set("profile.steps", std::int64_t{window});
    c.set("profile.warmup", std::int64_t{steps / 3});
    engine::Trainer t(c, {.checkpointDir = "/tmp/runboard-profile-bench"});
    StepTimes obs;
    obs.batch = 128;
    t.run(obs);
    Result r;
    if (obs.windows.empty()) return r;
    const auto& w = obs.windows.front();
    std::vector<double> inside, outside;
    for (const auto& [step, s] : obs.steps) {
        if (step <= steps / 6) continue;  // warm-up
        (step >= w.firstStep && step < w.firstStep + w.steps ? inside : outside).push_back(s);
    }
    r.outsideMs = 1000 * median(outside);
    r.insideMs = 1000 * median(inside);
    r.gflops = 3 * obs.cost.cost.forwardFlops * 128 / (r.outsideMs / 1000) / 1e9;
    r.peak = obs.cost.peak.gflops(obs.cost.precision == "bf16");
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 2, rounds = 3, steps = 90, window = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const int v = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--threads") == 0) threads = v;
        if (std::strcmp(argv[i], "--rounds") == 0) rounds = v;
        if (std::strcmp(argv[i], "--steps") == 0) steps = v;
        if (std::strcmp(argv[i], "--window") == 0) window = v;
    }
    std::filesystem::remove_all("/tmp/runboard-profile-bench");  // the last run's traces
    const auto rt = engine::configureRuntime(threads);
    const double ns = instrumentationNs();
    const auto peak = engine::machinePeak(rt.threads);
    std::printf("threads %d; matrix-multiply peak %.1f GFLOP/s fp32, %.1f GFLOP/s bf16\n",
                rt.threads, peak.fp32Gflops, peak.bf16Gflops);
    std::printf("always-on step timing: %.0f ns a step (5 clock reads, 7 phase ranges)\n", ns);
    std::map<std::string, std::vector<Result>> results;
    const std::vector<std::pair<std::string, std::string>> cases{
        {"cnn", "fp32"}, {"cnn", "bf16"}, {"mlp", "fp32"}, {"mlp", "bf16"}};
    for (int round = 0; round < rounds; ++round)
        for (const auto& [model, precision] : cases)
            results[model + " " + precision].push_back(
                runOnce(model, precision, threads, steps, window));
    std::printf("%-10s %10s %10s %9s %9s %9s %10s %8s\n", "case", "step ms", "window ms", "window+",
                "timing", "GFLOP/s", "peak", "share");
    for (const auto& [name, rs] : results) {
        std::vector<double> out, in, gf;
        for (const auto& r : rs) {
            out.push_back(r.outsideMs);
            in.push_back(r.insideMs);
            gf.push_back(r.gflops);
        }
        const double o = median(out), w = median(in), g = median(gf), p = rs.front().peak;
        std::printf("%-10s %10.2f %10.2f %8.1f%% %8.4f%% %9.1f %10.1f %7.1f%%\n", name.c_str(), o,
                    w, 100 * (w / o - 1), 100 * ns / 1e6 / o, g, p, p > 0 ? 100 * g / p : 0);
    }
    return 0;
}
