#include "engine/op_recorder.h"

#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/torch.h>

#include "engine/errors.h"
#include "engine/torch_errors.h"

namespace runboard::engine {

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

OpRecorder::OpRecorder() {
    if (prof::profilerEnabled())
        throw EngineError("the op profiler is already recording in this process");
    try {
        const impl::ProfilerConfig config(impl::ProfilerState::KINETO, /*report_input_shapes=*/true,
                                          /*profile_memory=*/false, /*with_stack=*/false,
                                          /*with_flops=*/true);
        prof::prepareProfiler(config, {impl::ActivityType::CPU});
        prof::enableProfiler(config, {impl::ActivityType::CPU});
    } catch (const c10::Error& e) {
        throw EngineError(torchErrorMessage("starting the op profiler", e));
    }
    active_ = true;
}

OpRecorder::~OpRecorder() {
    if (!active_) return;
    try {
        prof::disableProfiler();
    } catch (...) {  // a destructor must not throw; the profiler state is gone either way
    }
}

std::vector<profile::Event> OpRecorder::finish() {
    if (!active_) return {};
    active_ = false;
    std::unique_ptr<prof::ProfilerResult> result;
    try {
        result = prof::disableProfiler();
    } catch (const c10::Error& e) {
        throw EngineError(torchErrorMessage("reading the op profiler's events", e));
    }
    std::vector<profile::Event> events;
    if (!result) return events;
    events.reserve(result->events().size());
    for (const auto& k : result->events()) {
        profile::Event e;
        e.name = k.name();
        e.thread = k.startThreadId();
        e.startUs = static_cast<std::int64_t>(k.startUs());
        e.durationUs = static_cast<std::int64_t>(k.durationUs());
        if (k.hasShapes())
            for (const auto& s : k.shapes())
                e.shapes.emplace_back(s.begin(), s.end());
        e.flops = static_cast<double>(k.flops());
        e.user = k.scope() == static_cast<std::uint8_t>(at::RecordScope::USER_SCOPE);
        events.push_back(std::move(e));
    }
    return events;
}

}  // namespace runboard::engine
