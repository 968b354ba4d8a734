#pragma once
// When the op profiler records: a window of profile.steps steps after profile.warmup steps of
// this process, and a window of N steps whenever someone asks (the GUI's "Profile next 20 steps"
// stores N in the request). One window at a time; a window still open at an epoch's end closes
// there, so that validation never counts as training. Torch-free header.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/op_recorder.h"
#include "engine/profile/profile.h"

namespace runboard::engine {

struct StepProfilerOptions {
    std::int64_t steps = 0, warmup = 5;  // the scheduled window (0 steps: none)
    std::int64_t traceBytes = 100 << 20;
    std::string traceDir;  // empty: no trace file
    std::atomic<std::int64_t>* request = nullptr;
};

class StepProfiler {
public:
    explicit StepProfiler(StepProfilerOptions options);
    ~StepProfiler();

    // Before step `nextStep` (global, 1-based): opens a window when one is due.
    void beforeStep(std::int64_t nextStep);
    // After each step: the window once its last step is done.
    std::optional<profile::Window> afterStep();
    // At an epoch's end, a stop or a divergence: the open window, cut short.
    std::optional<profile::Window> close();
    bool recording() const { return recorder_ != nullptr; }
    // profile.steps asked for a window that never opened (the run ended within the warm-up).
    bool scheduledPending() const { return o_.steps > 0 && !scheduledDone_; }
    std::int64_t warmup() const { return o_.warmup; }

private:
    std::optional<profile::Window> finish();

    StepProfilerOptions o_;
    std::unique_ptr<OpRecorder> recorder_;
    std::int64_t taken_ = 0;  // steps this process has taken
    bool scheduledDone_ = false;
    std::int64_t first_ = 0, left_ = 0, recorded_ = 0;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace runboard::engine
