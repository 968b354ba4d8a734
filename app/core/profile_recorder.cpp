#include "app/core/profile_recorder.h"

#include <spdlog/spdlog.h>

namespace runboard::app {

storage::RunCost costRow(const engine::CostEvent& e) {
    storage::RunCost c;
    c.params = e.cost.params;
    c.forwardFlops = e.cost.forwardFlops;
    c.activationBytes = e.cost.activationBytes;
    c.batchSize = e.batchSize;
    c.precision = e.precision;
    c.threads = e.peak.threads;
    c.peakFp32Gflops = e.peak.fp32Gflops;
    c.peakBf16Gflops = e.peak.bf16Gflops;
    for (const auto& l : e.cost.layers)
        c.layers.push_back({l.name, l.op, engine::profile::formatShapes({l.output}), l.params,
                            l.activationBytes, l.flops});
    return c;
}

storage::ProfileWindowRow windowRow(const engine::profile::Window& w) {
    storage::ProfileWindowRow r;
    r.firstStep = w.firstStep;
    r.steps = w.steps;
    r.seconds = w.seconds;
    r.tracePath = w.trace.path;
    r.traceBytes = w.trace.bytes;
    r.traceEvents = w.trace.events;
    r.traceDropped = w.trace.dropped;
    r.traceDroppedBelowUs = w.trace.droppedBelowUs;
    for (const auto& p : w.phases)
        r.phases.push_back({p.name, p.totalUs, p.calls});
    for (const auto& o : w.ops)
        r.ops.push_back({o.name, o.shapes, o.calls, o.selfUs, o.totalUs, o.flops});
    return r;
}

void ProfileRecorder::onCost(const engine::CostEvent& e) {
    if (auto s = storage::storeRunCost(db_, run_, costRow(e)); !s)
        spdlog::error("run {}: cannot store the model's cost: {}", run_, s.error().message);
}

void ProfileRecorder::onProfile(const engine::profile::Window& w) {
    if (auto id = storage::storeProfileWindow(db_, run_, windowRow(w)); !id)
        spdlog::error("run {}: cannot store the profiler window: {}", run_, id.error().message);
}

}  // namespace runboard::app
