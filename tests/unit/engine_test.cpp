// The engine on tiny generated data: it learns, it is deterministic, evaluation leaves BatchNorm
// alone, checkpoints round-trip, stop requests and divergence end the run as they should.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::engine;

namespace {

struct Recording : Observer {
    std::vector<StepEvent> steps;
    std::vector<EpochEvent> epochs;
    std::vector<Predictions> predictions;
    std::vector<CheckpointEvent> checkpoints;
    RunInfo info;
    void onStart(const RunInfo& i) override { info = i; }
    void onStep(const StepEvent& e) override { steps.push_back(e); }
    void onEpoch(const EpochEvent& e) override { epochs.push_back(e); }
    void onPredictions(const Predictions& p) override { predictions.push_back(p); }
    void onCheckpoint(const CheckpointEvent& c) override { checkpoints.push_back(c); }
};

class EngineTest : public ::testing::Test {
protected:
    void SetUp() override { test::writeFakeFashionMnist(dir.path() / "data", 600, 200); }
    config::Config tiny(const std::string& model = "cnn") const {
        config::Config c = test::tinyConfig(dir.path() / "data", model);
        c.set("epochs", std::int64_t{3});
        c.set("lr", 0.05);
        return c;
    }
    Dataset data(const config::Config& c) const {
        DataOptions o;
        o.dir = c.text("data.dir");
        o.valSize = c.integer("data.val_size");
        return loadFashionMnist(o);
    }
    test::TempDir dir;
};

}  // namespace

TEST_F(EngineTest, SplitIsDeterministicDisjointAndKeepsFileIndices) {
    std::vector<std::int64_t> t1, v1, t2, v2;
    splitIndices(1000, 100, 42, t1, v1);
    splitIndices(1000, 100, 42, t2, v2);
    EXPECT_EQ(t1, t2);
    EXPECT_EQ(v1, v2);
    EXPECT_EQ(t1.size(), 900u);
    std::vector<bool> seen(1000, false);
    for (auto i : t1)
        seen[static_cast<std::size_t>(i)] = true;
    for (auto i : v1) {
        EXPECT_FALSE(seen[static_cast<std::size_t>(i)]) << "sample in both parts";
        seen[static_cast<std::size_t>(i)] = true;
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 1000);
    splitIndices(1000, 100, 43, t2, v2);
    EXPECT_NE(v1, v2);

    const config::Config c = tiny();
    const Dataset d = data(c);
    EXPECT_EQ(d.train.size(), 500);
    EXPECT_EQ(d.val.size(), 100);
    EXPECT_EQ(d.test.size(), 200);
    // Indices point into the original file: the val part is exactly splitIndices' val.
    splitIndices(600, 100, 42, t1, v1);
    EXPECT_EQ(std::vector<std::int64_t>(d.val.indices.data_ptr<std::int64_t>(),
                                        d.val.indices.data_ptr<std::int64_t>() + 100),
              v1);
    DataOptions limited;
    limited.dir = c.text("data.dir");
    limited.valSize = 100;
    limited.limit = 40;
    EXPECT_EQ(loadFashionMnist(limited).train.size(), 40);
}

TEST_F(EngineTest, MissingDatasetDirectoryIsADataError) {
    config::Config c = tiny();
    c.set("data.dir", std::string("/nonexistent/fmnist"));
    Trainer t(c, {});
    try {
        t.loadData();
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("'/nonexistent/fmnist' does not exist"),
                  std::string::npos);
    }
}

TEST_F(EngineTest, EveryBuiltInModelLearnsAndReportsEverything) {
    for (const std::string model : {"mlp", "cnn", "resnet"}) {
        config::Config c = tiny(model);
        c.set("checkpoint.keep", std::int64_t{2});
        Trainer t(c, {(dir.path() / ("ck-" + model)).string(), nullptr});
        Recording rec;
        const RunResult r = t.run(rec);
        EXPECT_EQ(r.outcome, Outcome::Finished) << model;
        ASSERT_EQ(rec.epochs.size(), 3u);
        EXPECT_LT(rec.epochs.back().trainLoss, rec.epochs.front().trainLoss) << model;
        // 10 classes: chance is 0.1. The fake images' class is the row of a bar, which the
        // resnet's global average pooling can only find through the padding at the borders: it
        // learns it slower (0.3 after these 30 steps; 68% after 2 epochs on 3,000 real images).
        EXPECT_GT(r.testAccuracy, model == "resnet" ? 0.2 : 0.5) << model;
        EXPECT_EQ(rec.steps.size(), 3u * 10u);
        EXPECT_EQ(rec.steps.back().step, 30);
        for (const auto& s : rec.steps) {
            EXPECT_TRUE(std::isfinite(s.loss));
            EXPECT_GT(s.lr, 0);
            // log.grad_norm_every is 10 by default: steps 1, 10, 20 and 30, which also end the
            // three epochs of 10 steps.
            EXPECT_EQ(s.gradNorm.has_value(), s.step == 1 || s.step % 10 == 0) << s.step;
            if (s.gradNorm) {
                EXPECT_GT(*s.gradNorm, 0) << s.step;
            }
        }
        // Val predictions every epoch plus the test set, each with a probability vector.
        ASSERT_EQ(rec.predictions.size(), 4u);
        const Predictions& test = rec.predictions.back();
        EXPECT_EQ(test.split, Split::Test);
        ASSERT_EQ(test.size(), 200u);
        EXPECT_EQ(test.probs.size(), 200u * 10u);
        float sum = 0;
        for (int k = 0; k < 10; ++k)
            sum += test.probs[static_cast<std::size_t>(k)];
        EXPECT_NEAR(sum, 1.0f, 1e-4f);
        std::int64_t correct = 0;
        for (std::size_t i = 0; i < test.size(); ++i)
            correct += test.predicted[i] == test.target[i];
        EXPECT_NEAR(static_cast<double>(correct) / 200.0, r.testAccuracy, 1e-9);
        // Three checkpoints written, the oldest removed to keep two.
        ASSERT_EQ(rec.checkpoints.size(), 3u);
        EXPECT_EQ(rec.checkpoints.back().removed.size(), 1u);
        EXPECT_FALSE(std::filesystem::exists(rec.checkpoints.front().path));
        EXPECT_TRUE(std::filesystem::exists(rec.checkpoints.back().path));
    }
}

TEST_F(EngineTest, SameSeedSameRun) {
    auto losses = [&](std::int64_t seed) {
        config::Config c = tiny();
        c.set("seed", seed);
        c.set("epochs", std::int64_t{1});
        Trainer t(c, {});
        Recording rec;
        t.run(rec);
        std::vector<double> out;
        for (const auto& s : rec.steps)
            out.push_back(s.loss);
        return out;
    };
    const auto a = losses(5), b = losses(5), c = losses(6);
    EXPECT_EQ(a, b);  // bitwise
    EXPECT_NE(a, c);
}

TEST_F(EngineTest, EvaluationLeavesBatchNormStatisticsAlone) {
    const config::Config c = tiny();
    const Dataset d = data(c);
    Session s(TrainOptions::fromConfig(c), 10, 10);
    s.trainStep(d.train.inputs.narrow(0, 0, 50), d.train.labels.narrow(0, 0, 50));
    std::vector<torch::Tensor> before;
    for (const auto& b : s.model().buffers())
        before.push_back(b.clone());
    s.evaluate(d.val, Split::Val, true, 30);
    std::size_t i = 0;
    for (const auto& b : s.model().buffers())
        EXPECT_TRUE(torch::equal(b, before[i++]));
    EXPECT_TRUE(s.model().is_training()) << "evaluate() restores train mode";
    // And a training step does move them (the check above is not vacuous).
    s.trainStep(d.train.inputs.narrow(0, 50, 50), d.train.labels.narrow(0, 50, 50));
    bool changed = false;
    i = 0;
    for (const auto& b : s.model().buffers())
        changed |= !torch::equal(b, before[i++]);
    EXPECT_TRUE(changed);
}

TEST_F(EngineTest, CheckpointRestoresOutputsAndOptimizerState) {
    config::Config c = tiny();
    const Dataset d = data(c);
    torch::manual_seed(1);
    Session a(TrainOptions::fromConfig(c), 10, 10);
    for (int i = 0; i < 3; ++i)
        a.trainStep(d.train.inputs.narrow(0, i * 50, 50), d.train.labels.narrow(0, i * 50, 50));
    const std::string path = dir.file("ck.pt");
    a.save(path, {1, a.step(), "rng-state"});

    torch::manual_seed(99);  // different initial weights
    Session b(TrainOptions::fromConfig(c), 10, 10);
    const CheckpointState st = b.load(path);
    EXPECT_EQ(st.epoch, 1);
    EXPECT_EQ(st.step, 3);
    EXPECT_EQ(st.rngState, "rng-state");
    EXPECT_EQ(b.step(), a.step());
    a.model().eval();
    b.model().eval();
    const auto x = d.val.inputs.narrow(0, 0, 20);
    EXPECT_TRUE(torch::equal(a.forward(x), b.forward(x)));
    // Same momentum buffers: one more identical step gives identical weights.
    a.model().train();
    b.model().train();
    torch::manual_seed(5);
    a.trainStep(d.train.inputs.narrow(0, 200, 50), d.train.labels.narrow(0, 200, 50));
    torch::manual_seed(5);
    b.trainStep(d.train.inputs.narrow(0, 200, 50), d.train.labels.narrow(0, 200, 50));
    auto pa = a.model().parameters(), pb = b.model().parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        EXPECT_TRUE(torch::equal(pa[i], pb[i])) << i;
}

TEST_F(EngineTest, StopRequestIsHonouredWithinOneStep) {
    struct StopAfter : Observer {
        std::atomic<bool>* flag;
        int steps = 0;
        void onStep(const StepEvent&) override {
            if (++steps == 4) flag->store(true);
        }
    };
    std::atomic<bool> stop{false};
    Trainer t(tiny(), {{}, &stop});
    StopAfter obs;
    obs.flag = &stop;
    const RunResult r = t.run(obs);
    EXPECT_EQ(r.outcome, Outcome::Stopped);
    EXPECT_EQ(obs.steps, 4);
    EXPECT_EQ(r.steps, 4);
}

TEST_F(EngineTest, NonFiniteLossEndsTheRunAsDiverged) {
    config::Config c = tiny("mlp");
    c.set("schedule", std::string("constant"));
    c.set("lr", 100.0);
    c.set("momentum", 0.99);
    c.set("label_smoothing", 0.0);
    Trainer t(c, {});
    Recording rec;
    const RunResult r = t.run(rec);
    EXPECT_EQ(r.outcome, Outcome::Diverged);
    EXPECT_NE(r.message.find("try a lower learning rate"), std::string::npos);
    ASSERT_FALSE(rec.steps.empty());
    EXPECT_FALSE(std::isfinite(rec.steps.back().loss));
    for (std::size_t i = 0; i + 1 < rec.steps.size(); ++i)
        EXPECT_TRUE(std::isfinite(rec.steps[i].loss));
    EXPECT_TRUE(std::isnan(r.testAccuracy));
}

// bf16 autocast: the MLP learns through a whole run, and the CNN (convolutions and BatchNorm
// under autocast) takes finite steps that lower the loss on one batch. Only the MLP runs whole:
// without native bf16 (the 2-core CI machine) oneDNN emulates the CNN's bf16 convolutions at
// about 13 samples/s, 28x slower than fp32 (the whole CNN run took 79 s alone).
TEST_F(EngineTest, Bf16AutocastTrains) {
    config::Config c = tiny("mlp");
    c.set("precision", std::string("bf16"));
    c.set("epochs", std::int64_t{2});
    Trainer t(c, {});
    Recording rec;
    const RunResult r = t.run(rec);
    EXPECT_EQ(rec.info.precision, "bf16");
    EXPECT_EQ(r.outcome, Outcome::Finished);
    EXPECT_GT(r.testAccuracy, 0.3);

    // The CNN's first bf16 step sees the same loss as fp32 from the same weights, up to bf16's
    // rounding (2.6123 against 2.6111), and a few steps on one batch lower it.
    auto cnnLosses = [&](const std::string& precision) {
        config::Config cnn = tiny("cnn");
        cnn.set("precision", precision);
        const Dataset d = data(cnn);
        torch::manual_seed(7);  // the same initial weights in both precisions
        Session s(TrainOptions::fromConfig(cnn), 10, 10);
        const auto x = d.train.inputs.narrow(0, 0, 20), y = d.train.labels.narrow(0, 0, 20);
        std::vector<StepOutput> out;
        for (int k = 0; k < 5; ++k)
            out.push_back(s.trainStepAt(x, y, 0.01));
        return out;
    };
    const auto bf16 = cnnLosses("bf16"), fp32 = cnnLosses("fp32");
    for (const auto& o : bf16)
        EXPECT_TRUE(o.finite);
    ASSERT_TRUE(bf16[0].gradNorm && fp32[0].gradNorm);  // the first step always measures it
    EXPECT_NEAR(*bf16[0].gradNorm, *fp32[0].gradNorm, 0.05 * *fp32[0].gradNorm);
    EXPECT_NEAR(bf16[0].loss, fp32[0].loss, 0.02 * fp32[0].loss);
    // ...but not equal: from the same weights and batch, only autocast's bf16 matmuls and convs
    // can move the loss (a precision label without autocast would give the fp32 bits).
    EXPECT_NE(bf16[0].loss, fp32[0].loss);
    EXPECT_LT(bf16.back().loss, bf16.front().loss);
}

// log.grad_norm_every picks the steps that measure the gradient norm: the first and every N-th,
// none at 0. The value is the global L2 norm over every parameter's gradient.
TEST_F(EngineTest, GradNormIsMeasuredOnTheFirstAndEveryNthStep) {
    for (const std::int64_t every : {0, 1, 3}) {
        config::Config c = tiny("mlp");
        c.set("log.grad_norm_every", every);
        const Dataset d = data(c);
        Session s(TrainOptions::fromConfig(c), 10, 10);
        const auto x = d.train.inputs.narrow(0, 0, 16), y = d.train.labels.narrow(0, 0, 16);
        for (std::int64_t step = 1; step <= 7; ++step) {
            const StepOutput out = s.trainStepAt(x, y, 0.01);
            const bool expected = every > 0 && (step == 1 || step % every == 0);
            ASSERT_EQ(out.gradNorm.has_value(), expected) << "every " << every << " step " << step;
            if (!out.gradNorm) continue;
            double squares = 0;  // brute force: the gradients are kept until the next step
            for (const auto& p : s.model().parameters())
                squares += p.grad().pow(2).sum().item<double>();
            EXPECT_NEAR(*out.gradNorm, std::sqrt(squares), 1e-4 * std::sqrt(squares));
        }
    }
}

// The trainer also asks for each epoch's last step, so the latest norm is the run's last step
// whatever N is; 0 still means never.
TEST_F(EngineTest, GradNormIsAlsoMeasuredOnEachEpochsLastStep) {
    for (const std::int64_t every : {0, 7}) {
        config::Config c = tiny("mlp");
        c.set("log.grad_norm_every", every);
        Trainer t(c, {});
        Recording rec;
        ASSERT_EQ(t.run(rec).outcome, Outcome::Finished);
        std::vector<std::int64_t> measured;
        for (const auto& s : rec.steps)
            if (s.gradNorm) measured.push_back(s.step);
        const std::vector<std::int64_t> expected =
            every == 0 ? std::vector<std::int64_t>{}
                       : std::vector<std::int64_t>{1, 7, 10, 14, 20, 21, 28, 30};
        EXPECT_EQ(measured, expected) << "every " << every;
    }
}

// countCorrect reads CPU logits directly; it must agree with torch's argmax == target on ties,
// NaNs, a single class and non-contiguous logits.
TEST(Session, CountCorrectAgreesWithTorchArgmax) {
    torch::manual_seed(3);
    for (int trial = 0; trial < 300; ++trial) {
        const std::int64_t n = 1 + trial % 37, k = 1 + trial % 11;
        // Small integers make ties common; some entries become NaN.
        torch::Tensor logits = torch::randint(0, 3, {n, k}).to(torch::kFloat32);
        if (trial % 3 == 0) logits.masked_fill_(torch::rand({n, k}) < 0.1, NAN);
        if (trial % 5 == 0) logits = torch::randint(0, 3, {k, n}).to(torch::kFloat32).t();
        const torch::Tensor targets = torch::randint(0, k, {n}, torch::kInt64);
        const std::int64_t expected = logits.argmax(1).eq(targets).sum().item<std::int64_t>();
        ASSERT_EQ(countCorrect(logits, targets), expected) << "trial " << trial << "\n"
                                                           << logits << targets;
    }
}

// threads=0 follows OMP_NUM_THREADS as PyTorch does, so a scheduler's (or ctest's) limit holds;
// anything but a positive number there means every core.
TEST(Runtime, ZeroThreadsFollowsOmpNumThreads) {
    const char* saved = std::getenv("OMP_NUM_THREADS");
    const std::string keep = saved ? saved : "";
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::vector<std::pair<const char*, int>> cases = {
        {"3", 3}, {"3,2", 3}, {"1", 1}, {"0", cores}, {"-2", cores}, {"abc", cores}, {"", cores}};
    for (const auto& [value, expected] : cases) {
        setenv("OMP_NUM_THREADS", value, 1);
        EXPECT_EQ(defaultThreads(), expected) << "OMP_NUM_THREADS=" << value;
    }
    unsetenv("OMP_NUM_THREADS");
    EXPECT_EQ(defaultThreads(), cores);
    EXPECT_EQ(configureRuntime(0).threads, cores);
    EXPECT_EQ(configureRuntime(1).threads, 1);
    if (saved) setenv("OMP_NUM_THREADS", keep.c_str(), 1);
}

// model.layers: the model's weights by name and shape, stored with every run (loadChecks). By
// hand: 5 convs, 5 BatchNorms (weight, bias) and the head (weight, bias) make 17 tensors; the
// BatchNorms' running means and variances 2 x (32 + 32 + 64 + 64 + 128) plus 5 step counters.
TEST_F(EngineTest, TheModelsLayersAreListedWithTheRun) {
    Trainer t(tiny("cnn"), {});
    t.loadData();
    const auto checks = t.loadChecks();
    const auto it = std::find_if(checks.begin(), checks.end(),
                                 [](const CheckResult& r) { return r.name == "model.layers"; });
    ASSERT_NE(it, checks.end());
    EXPECT_EQ(it->value, 150698);  // the default cnn on 28x28 gray, as the README says
    EXPECT_NE(std::find(it->details.begin(), it->details.end(), "head.weight [10, 1152] 11520"),
              it->details.end());
    EXPECT_NE(
        std::find(it->details.begin(), it->details.end(), "features.0.weight [32, 1, 3, 3] 288"),
        it->details.end());
    EXPECT_EQ(it->message,
              "cnn: 150698 trainable weights in 17 tensors, 645 buffer values (BatchNorm)");
}

// The always-on step-time breakdown (issue 17): the parts are each real time, not a share of the
// whole. An observer that sleeps 20 ms a step shows up as observer time and nowhere else, and
// the epochs' mean steps account for the run's training time (measured independently, around
// run()) up to what lies between steps: validation, checkpoints' bookkeeping, the test pass.
TEST_F(EngineTest, StepPhasesMeasureWhereEachStepsTimeWent) {
    struct Sleepy : Recording {
        void onStep(const StepEvent& e) override {
            Recording::onStep(e);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    };
    config::Config c = tiny("mlp");
    Trainer t(c, {});
    t.loadData();
    Sleepy obs;
    const auto start = std::chrono::steady_clock::now();
    const RunResult r = t.run(obs);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(r.outcome, Outcome::Finished);
    ASSERT_EQ(obs.epochs.size(), 3u);
    double stepsTotal = 0;
    for (const auto& e : obs.epochs) {
        const StepPhases& p = e.stepPhases;
        EXPECT_GE(p.observer, 0.020);
        EXPECT_LT(p.observer, 0.020 + 0.05);
        for (double part : {p.data, p.forward, p.loss, p.backward, p.optimizer, p.other})
            EXPECT_GE(part, 0.0);
        EXPECT_GT(p.forward, 0.0);
        EXPECT_GT(p.backward, 0.0);
        // The MLP's step computes in well under the sleep.
        EXPECT_LT(p.forward + p.backward + p.optimizer, p.observer);
        EXPECT_GT(e.evalSeconds, 0.0);
        EXPECT_GT(e.peakRssMb, 10.0);
        stepsTotal += p.total() * static_cast<double>(obs.info.stepsPerEpoch);
    }
    EXPECT_LE(stepsTotal, wall);
    EXPECT_GE(stepsTotal, 0.5 * wall);  // the steps are most of the run
}

// The IDX data's normalisation does not depend on the thread count it was loaded with (torch's
// float mean() and std() split their sums by threads: a resumed run in a process that loaded
// on 2 threads refused its own checkpoint's data). Checked against a plain double computation.
TEST_F(EngineTest, NormalisationIsTheSameOnAnyThreadCount) {
    const int before = at::get_num_threads();
    at::set_num_threads(1);
    const Dataset one = data(tiny());
    at::set_num_threads(2);
    const Dataset two = data(tiny());
    at::set_num_threads(before);
    EXPECT_EQ(one.mean, two.mean);
    EXPECT_EQ(one.stdev, two.stdev);
    EXPECT_TRUE(torch::equal(one.train.inputs, two.train.inputs));
    EXPECT_TRUE(torch::equal(one.test.inputs, two.test.inputs));
    // The statistics are those of the raw training pixels (un-normalise them back).
    const torch::Tensor raw = (one.train.inputs * one.stdev + one.mean).to(torch::kFloat64);
    EXPECT_NEAR(one.mean, raw.mean().item<double>(), 1e-5);
    EXPECT_NEAR(one.stdev, raw.std().item<double>(), 1e-5);
}
