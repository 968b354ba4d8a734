// Schedules. OneCycle's reference values were printed by PyTorch 1.13.1's OneCycleLR
// (Debian python3-torch; script: tests/golden/onecycle_reference.py).

#include "engine/schedule.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace runboard::engine;

TEST(Schedule, OneCycleMatchesPyTorch) {
    std::ifstream in(std::string(GOLDEN_DIR) + "/onecycle_reference.txt");
    ASSERT_TRUE(in) << "missing golden file";
    ScheduleOptions o;
    o.kind = "onecycle";
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
    o.kind = "constant";
    EXPECT_EQ(scheduleAt(o, 57).lr, 0.1);
    o.kind = "step";
    o.stepSize = 3;
    o.gamma = 0.5;
    EXPECT_DOUBLE_EQ(scheduleAt(o, 29).lr, 0.1);   // epoch 2
    EXPECT_DOUBLE_EQ(scheduleAt(o, 30).lr, 0.05);  // epoch 3
    EXPECT_DOUBLE_EQ(scheduleAt(o, 65).lr, 0.025);
    o.kind = "cosine";
    EXPECT_DOUBLE_EQ(scheduleAt(o, 0).lr, 0.1);
    EXPECT_NEAR(scheduleAt(o, 50).lr, 0.05, 1e-12);
    EXPECT_NEAR(scheduleAt(o, 100).lr, 0.0, 1e-12);
    EXPECT_FALSE(scheduleAt(o, 5).momentum);
}
