#include "engine/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace runboard::engine {
namespace {

double cosineAnneal(double start, double end, double pct) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}

}  // namespace

namespace {

ScheduledValues pytorchSchedule(const ScheduleOptions& o, std::int64_t step) {
    using config::ScheduleKind;
    switch (o.kind) {
        case ScheduleKind::Constant:
            return {o.lr, std::nullopt};
        case ScheduleKind::Step: {
            const std::int64_t epoch = step / std::max<std::int64_t>(o.stepsPerEpoch, 1);
            return {o.lr * std::pow(o.gamma, static_cast<double>(epoch / o.stepSize)),
                    std::nullopt};
        }
        case ScheduleKind::Cosine: {  // CosineAnnealingLR(T_max = totalSteps, eta_min = 0)
            const double pct =
                std::min(1.0, static_cast<double>(step) / static_cast<double>(o.totalSteps));
            return {cosineAnneal(o.lr, 0.0, pct), std::nullopt};
        }
        case ScheduleKind::OneCycle:
            break;
    }
    const double initial = o.lr / o.divFactor;
    const double minLr = initial / o.finalDivFactor;
    const double phase1End = o.pctStart * static_cast<double>(o.totalSteps) - 1.0;
    const double phase2End = static_cast<double>(o.totalSteps) - 1.0;
    const double s = static_cast<double>(std::min(step, o.totalSteps - 1));
    ScheduledValues v;
    if (s <= phase1End) {
        const double pct = phase1End > 0 ? s / phase1End : 1.0;
        v.lr = cosineAnneal(initial, o.lr, pct);
        if (o.cycleMomentum) v.momentum = cosineAnneal(o.maxMomentum, o.baseMomentum, pct);
    } else {
        const double pct = (s - phase1End) / (phase2End - phase1End);
        v.lr = cosineAnneal(o.lr, minLr, pct);
        if (o.cycleMomentum) v.momentum = cosineAnneal(o.baseMomentum, o.maxMomentum, pct);
    }
    return v;
}

}  // namespace

ScheduledValues scheduleAt(const ScheduleOptions& o, std::int64_t step) {
    ScheduledValues v = pytorchSchedule(o, step);
    if (o.minWarmupSteps > 0 && step < o.minWarmupSteps)
        v.lr *= static_cast<double>(step + 1) / static_cast<double>(o.minWarmupSteps);
    return v;
}

}  // namespace runboard::engine
