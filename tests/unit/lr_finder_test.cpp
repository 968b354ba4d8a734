// The LR finder on the engine: torch's own SGD on a quadratic stops where the theory says, a sweep
// on a run config leaves nothing behind (the session's state is restored, a run started after a
// sweep is the run started without one), and a sweep on real batches reports what it did.

#include "engine/lr_finder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "engine/errors.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::engine;

namespace {

class LrFinderTest : public ::testing::Test {
protected:
    void SetUp() override { test::writeFakeFashionMnist(dir.path() / "data", 600, 200); }
    config::Config tiny(const std::string& model = "cnn") const {
        return test::tinyConfig(dir.path() / "data", model);
    }
    test::TempDir dir;
};

struct FirstLosses : Observer {
    std::vector<double> losses;
    void onStep(const StepEvent& e) override { losses.push_back(e.loss); }
};

}  // namespace

TEST(LrFinderQuadratic, TorchSgdDivergesBetweenTwoAndFourOverL) {
    // f(w) = L/2 |w|^2 with torch's SGD (no momentum): gradient descent diverges above 2/L.
    for (double curvature : {10.0, 100.0, 1000.0}) {
        torch::Tensor w = torch::ones({4}, torch::kFloat64).requires_grad_(true);
        torch::optim::SGD sgd({w}, torch::optim::SGDOptions(1e-7));
        sweep::Options o;
        o.beta = 0;
        const auto r = sweep::run(o, [&](double lr) {
            sgd.param_groups().front().options().set_lr(lr);
            sgd.zero_grad();
            const torch::Tensor loss = 0.5 * curvature * (w * w).sum();
            loss.backward();
            sgd.step();
            return loss.item<double>();
        });
        EXPECT_EQ(r.stop.reason, sweep::StopReason::Exploded);
        EXPECT_GT(r.stop.lr, 2 / curvature) << "L = " << curvature;
        EXPECT_LT(r.stop.lr, 4 / curvature) << "L = " << curvature;
    }
}

TEST_F(LrFinderTest, SessionRestoreLeavesNothingOfTheTrial) {
    const config::Config c = tiny();
    const Dataset d = loadFashionMnist(TrainOptions::fromConfig(c).data);
    auto batch = [&](int i) {
        return std::pair(d.train.inputs.narrow(0, i * 50, 50),
                         d.train.labels.narrow(0, i * 50, 50));
    };
    // Before any step (no momentum buffers yet: the trial's must not stay) and after one.
    for (int prior : {0, 1}) {
        SCOPED_TRACE("steps before the trial: " + std::to_string(prior));
        torch::manual_seed(3);
        Session trial(TrainOptions::fromConfig(c), 10, 10);
        torch::manual_seed(3);
        Session untouched(TrainOptions::fromConfig(c), 10, 10);
        for (int i = 0; i < prior; ++i) {
            torch::manual_seed(4);  // the same dropout masks
            trial.trainStep(batch(0).first, batch(0).second);
            torch::manual_seed(4);
            untouched.trainStep(batch(0).first, batch(0).second);
        }
        const std::string before = trial.snapshot();
        for (int i = 1; i < 6; ++i)  // a sweep-like trial at growing learning rates
            trial.trainStepAt(batch(i).first, batch(i).second, 0.1 * i);
        trial.restore(before);

        EXPECT_EQ(trial.step(), untouched.step());
        auto pa = trial.model().parameters(), pb = untouched.model().parameters();
        for (std::size_t i = 0; i < pa.size(); ++i)
            EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i;
        auto ba = trial.model().buffers(), bb = untouched.model().buffers();
        for (std::size_t i = 0; i < ba.size(); ++i)
            EXPECT_TRUE(torch::equal(ba[i], bb[i])) << "buffer " << i;  // BatchNorm statistics
        // Same optimizer state and RNG: the next steps give bitwise the same weights.
        for (int i = 7; i < 9; ++i) {
            torch::manual_seed(8);
            const double la = trial.trainStep(batch(i).first, batch(i).second).loss;
            torch::manual_seed(8);
            const double lb = untouched.trainStep(batch(i).first, batch(i).second).loss;
            EXPECT_EQ(la, lb);
        }
        pa = trial.model().parameters();
        pb = untouched.model().parameters();
        for (std::size_t i = 0; i < pa.size(); ++i)
            EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i << " after two steps";
    }
}

TEST_F(LrFinderTest, ARunAfterASweepIsTheRunWithoutOne) {
    const config::Config c = tiny("mlp");
    auto run = [&] {
        Trainer t(c, {});
        FirstLosses rec;
        t.run(rec);
        return rec.losses;
    };
    const auto without = run();
    sweep::Options o;
    o.steps = 20;
    const auto sweep = LrFinder(c, o).run();
    ASSERT_FALSE(sweep.points.empty());
    const auto after = run();
    ASSERT_EQ(after.size(), without.size());
    EXPECT_EQ(after, without);  // bitwise, every step
}

TEST_F(LrFinderTest, SweepsRealBatchesUntilTheLossExplodes) {
    config::Config c = tiny("mlp");
    c.set("optimizer", std::string("sgd"));
    sweep::Options o;
    o.start = 1e-4;
    o.end = 1e3;
    o.steps = 60;  // more than the 10 batches of an epoch: the order wraps around
    LrFinderInfo info;
    std::vector<sweep::Point> seen;
    const auto r = LrFinder(c, o).run({[&](const LrFinderInfo& i) { info = i; },
                                       [&](const sweep::Point& p) { seen.push_back(p); }});
    EXPECT_EQ(info.batchSize, 50);
    EXPECT_EQ(info.trainSize, 500);
    EXPECT_GT(info.parameters, 0);
    ASSERT_EQ(seen.size(), r.points.size());
    ASSERT_GE(r.points.size(), 12u);
    for (std::size_t i = 1; i < r.points.size(); ++i)
        EXPECT_GT(r.points[i].lr, r.points[i - 1].lr);
    // The first loss of an untrained 10-class classifier is about ln 10.
    EXPECT_NEAR(r.points.front().loss, std::log(10.0), 0.5);
    // An LR of 1000 on SGD explodes long before the end.
    EXPECT_NE(r.stop.reason, sweep::StopReason::Completed);
    EXPECT_LT(r.stop.lr, 1e3);
    EXPECT_EQ(r.stop.step, r.points.back().step);
    EXPECT_FALSE(r.suggestions.empty());
    for (const auto& s : r.suggestions) {
        EXPECT_GE(s.lr, o.start / 10);
        EXPECT_LE(s.lr, r.stop.lr);
    }
}

TEST_F(LrFinderTest, StopRequestAndBadOptionsAndBadData) {
    const config::Config c = tiny("mlp");
    std::atomic<bool> stop = false;
    int points = 0;
    const auto r =
        LrFinder(c, {}).run({nullptr, [&](const sweep::Point&) { stop = ++points == 5; }}, &stop);
    EXPECT_EQ(r.stop.reason, sweep::StopReason::Stopped);
    EXPECT_EQ(r.points.size(), 5u);
    sweep::Options bad;
    bad.end = bad.start;
    EXPECT_THROW(LrFinder(c, bad), EngineError);
    config::Config wrong = c;
    wrong.set("lr", -1.0);
    EXPECT_THROW(LrFinder(wrong, {}), config::ConfigError);
    config::Config missing = c;
    missing.set("data.dir", dir.file("nowhere"));
    LrFinder finder(missing, {});
    EXPECT_THROW(finder.loadData(), DataError);
}
