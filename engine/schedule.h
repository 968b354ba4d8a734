#pragma once
// Learning-rate schedules as pure functions of the step, so that their whole state is the step
// count (saved in checkpoints). Torch-free. LibTorch 1.13 ships only StepLR.

#include <cstdint>
#include <optional>

#include "engine/config/choices.h"

namespace runboard::engine {

struct ScheduleOptions {
    config::ScheduleKind kind = config::ScheduleKind::Constant;
    double lr = 0.1;  // base lr; the peak for onecycle
    std::int64_t totalSteps = 1;
    std::int64_t stepsPerEpoch = 1;
    std::int64_t stepSize = 10;  // step: epochs between decays
    double gamma = 0.1;          // step: decay factor
    double pctStart = 0.3;       // onecycle, as PyTorch's OneCycleLR (anneal_strategy='cos')
    double divFactor = 25;
    double finalDivFactor = 1e4;
    bool cycleMomentum = true;  // onecycle: momentum (or Adam's beta1) cycles inversely to lr
    double baseMomentum = 0.85, maxMomentum = 0.95;
    // A floor under every schedule's warm-up: lr x min(1, (step + 1) / minWarmupSteps). onecycle
    // warms up for pct_start of the run, which is 3 steps in a 15-step run: the full lr 0.1 with
    // Nesterov momentum then blew the fresh network up (loss 2.5 -> 12.8, 8-17% test accuracy
    // at data.limit=2000, epochs=1). 50 steps: 67% there; on the full default run it removes
    // 0.03% of the lr integral (its onecycle lr is 0.004 over those steps). 0 = off (PyTorch's
    // schedules exactly).
    std::int64_t minWarmupSteps = 0;
};

struct ScheduledValues {
    double lr = 0;
    std::optional<double> momentum;  // set when the schedule drives momentum
};

// The values for the optimizer step number `step` (0-based: the first step uses step 0), as
// PyTorch's schedulers give them after `step` calls of scheduler.step(), times the warm-up floor.
ScheduledValues scheduleAt(const ScheduleOptions& options, std::int64_t step);

}  // namespace runboard::engine
