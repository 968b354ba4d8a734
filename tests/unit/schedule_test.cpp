// Schedules. OneCycle's reference values were printed by PyTorch 1.13.1's OneCycleLR
// (Debian python3-torch; script: tests/golden/onecycle_reference.py).

#include "engine/schedule.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace runboard::engine;
namespace config = runboard::config;

TEST(Schedule, OneCycleMatchesPyTorch) {
    std::ifstream in(std::string(GOLDEN_DIR) + "/onecycle_reference.txt");
    ASSERT_TRUE(in) << "missing golden file";
    ScheduleOptions o;
    o.kind = config::ScheduleKind::OneCycle;
    std::string header;
    std::getline(in, header);
    std::istringstream h(header);
    std::string tag;
    h >> tag >> o.lr >> o.totalSteps >> o.pctStart >> o.divFactor >> o.finalDivFactor;
    ASSERT_EQ(tag, "#");
    std::int64_t step = 0;
    double lr = 0, momentum = 0;
    int rows = 0;
    while (in >> step >> lr >> momentum) {
        const ScheduledValues v = scheduleAt(o, step);
        EXPECT_NEAR(v.lr, lr, 1e-12 + 1e-9 * lr) << "step " << step;
        ASSERT_TRUE(v.momentum);
        EXPECT_NEAR(*v.momentum, momentum, 1e-9) << "step " << step;
        ++rows;
    }
    EXPECT_EQ(rows, o.totalSteps);
}

TEST(Schedule, StepCosineConstant) {
    ScheduleOptions o;
    o.lr = 0.1;
    o.totalSteps = 100;
    o.stepsPerEpoch = 10;
    o.kind = config::ScheduleKind::Constant;
    EXPECT_EQ(scheduleAt(o, 57).lr, 0.1);
    o.kind = config::ScheduleKind::Step;
    o.stepSize = 3;
    o.gamma = 0.5;
    EXPECT_DOUBLE_EQ(scheduleAt(o, 29).lr, 0.1);   // epoch 2
    EXPECT_DOUBLE_EQ(scheduleAt(o, 30).lr, 0.05);  // epoch 3
    EXPECT_DOUBLE_EQ(scheduleAt(o, 65).lr, 0.025);
    o.kind = config::ScheduleKind::Cosine;
    EXPECT_DOUBLE_EQ(scheduleAt(o, 0).lr, 0.1);
    EXPECT_NEAR(scheduleAt(o, 50).lr, 0.05, 1e-12);
    EXPECT_NEAR(scheduleAt(o, 100).lr, 0.0, 1e-12);
    EXPECT_FALSE(scheduleAt(o, 5).momentum);
}

TEST(Schedule, WarmupFloorScalesOnlyTheFirstStepsOfEverySchedule) {
    for (const auto& [kind, name] : config::kScheduleNames.entries) {
        ScheduleOptions plain;
        plain.kind = kind;
        plain.lr = 0.1;
        plain.totalSteps = 15;  // a 15-step run: onecycle's own warm-up is 3 steps
        ScheduleOptions floored = plain;
        floored.minWarmupSteps = 10;
        for (std::int64_t s = 0; s < 15; ++s) {
            const double expected =
                scheduleAt(plain, s).lr * (s < 10 ? static_cast<double>(s + 1) / 10.0 : 1.0);
            EXPECT_DOUBLE_EQ(scheduleAt(floored, s).lr, expected) << name << " step " << s;
            EXPECT_EQ(scheduleAt(floored, s).momentum, scheduleAt(plain, s).momentum);
        }
    }
    ScheduleOptions onecycle;
    onecycle.kind = config::ScheduleKind::OneCycle;
    onecycle.totalSteps = 15;
    onecycle.minWarmupSteps = 50;
    double peak = 0;
    for (std::int64_t s = 0; s < 15; ++s)
        peak = std::max(peak, scheduleAt(onecycle, s).lr);
    EXPECT_LT(peak, 0.1 * 0.3) << "a 15-step run still reaches the full lr";
}
