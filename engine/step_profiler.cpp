#include "engine/step_profiler.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "engine/errors.h"

namespace runboard::engine {

StepProfiler::StepProfiler(StepProfilerOptions options) : o_(std::move(options)) {}

StepProfiler::~StepProfiler() = default;

void StepProfiler::beforeStep(std::int64_t nextStep) {
    if (recorder_) return;
    std::int64_t steps = 0;
    if (o_.steps > 0 && !scheduledDone_ && taken_ >= o_.warmup) {
        steps = o_.steps;
        scheduledDone_ = true;
    } else if (o_.request != nullptr) {
        steps = o_.request->exchange(0);
    }
    if (steps <= 0) return;
    try {
        recorder_ = std::make_unique<OpRecorder>();
    } catch (const std::exception& e) {  // a window is a diagnosis: training goes on without it
        spdlog::warn("cannot profile steps from {}: {}", nextStep, e.what());
        return;
    }
    first_ = nextStep;
    left_ = steps;
    recorded_ = 0;
    start_ = std::chrono::steady_clock::now();
    spdlog::info("profiling steps {}-{} with the op profiler", first_, first_ + steps - 1);
}

std::optional<profile::Window> StepProfiler::afterStep() {
    ++taken_;
    if (!recorder_) return std::nullopt;
    ++recorded_;
    if (--left_ > 0) return std::nullopt;
    return finish();
}

std::optional<profile::Window> StepProfiler::close() {
    if (!recorder_) return std::nullopt;
    return finish();
}

std::optional<profile::Window> StepProfiler::finish() {
    profile::Window w;
    w.firstStep = first_;
    w.steps = recorded_;
    w.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::vector<profile::Event> events = recorder_->finish();
    recorder_.reset();
    if (recorded_ == 0) return std::nullopt;
    w.ops = profile::aggregateOps(events);
    w.phases = profile::phaseTimes(events);
    if (!o_.traceDir.empty()) {
        // A resumed run may profile from the same step again: the earlier window keeps its file.
        const std::string stem = "profile-step" + std::to_string(first_);
        auto path = std::filesystem::path(o_.traceDir) / (stem + ".trace.json");
        for (int n = 2; std::filesystem::exists(path); ++n)
            path = std::filesystem::path(o_.traceDir) /
                   (stem + "-" + std::to_string(n) + ".trace.json");
        try {
            std::filesystem::create_directories(o_.traceDir);
            w.trace = profile::writeChromeTrace(path.string(), events, o_.traceBytes);
        } catch (const std::exception& e) {  // the window's table is kept without its trace
            spdlog::warn("{}; the window is stored without its trace", e.what());
        }
    }
    spdlog::info("profiled steps {}-{}: {} ops, {:.0f} ms a step{}{}", w.firstStep,
                 w.firstStep + w.steps - 1, w.ops.size(),
                 1000 * w.seconds / static_cast<double>(w.steps),
                 w.trace.path.empty() ? "" : ", trace " + w.trace.path,
                 left_ > 0 ? " (cut " + std::to_string(left_) +
                                 " steps short: the epoch ended, and validation is not training)"
                           : "");
    return w;
}

}  // namespace runboard::engine
