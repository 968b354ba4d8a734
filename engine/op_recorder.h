#pragma once
// The one place that touches LibTorch's autograd profiler, whose C++ API is marked "not public".
// Debian's LibTorch 1.13.1 has no libkineto (kineto_available() is false), yet
// enableProfiler(ProfilerConfig(KINETO, ...), {CPU}) and disableProfiler()->events() return every
// CPU op of the calling thread with its start, duration, input shapes and FLOPs, and the user
// ranges (the step phases, engine/phase_range.h). ProfilerResult::save() throws here, so the
// trace is written from the events (engine/profile/profile.h). Torch-free header.

#include <memory>
#include <vector>

#include "engine/profile/profile.h"

namespace runboard::engine {

class OpRecorder {
public:
    // Starts recording this thread's ops, with input shapes and FLOPs. Throws EngineError when
    // a profiler is already on (one at a time per process).
    OpRecorder();
    // Stops the profiler if finish() was not called (an exception left the window).
    ~OpRecorder();
    OpRecorder(const OpRecorder&) = delete;
    OpRecorder& operator=(const OpRecorder&) = delete;

    // Stops and returns what was recorded. Once only.
    std::vector<profile::Event> finish();

private:
    bool active_ = false;
};

}  // namespace runboard::engine
