// Engine hardening (issue 13): checkpoints that fail on a full disk without std::terminate and
// without leaving their temporary file, never through a symlink planted at the temporary name,
// old checkpoints deleted only once the new one is written and recorded, and evaluations that
// honour a stop request.

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <stdexcept>

#include "engine/checks.h"
#include "engine/data/atomic_file.h"
#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "support/fixtures.h"
#include "support/small_disk.h"

using namespace runboard;
using namespace runboard::engine;
namespace fs = std::filesystem;

using test::SmallDisk;

TEST(AtomicFile, AFullDiskThrowsInWordsAndLeavesNothingBehind) {
    test::TempDir dir;
    SmallDisk disk(dir, "1m");
    if (!disk.mounted) GTEST_SKIP() << "needs root to mount a small tmpfs";
    const std::string path = disk.path + "/epoch-1.pt";
    try {
        writeFileAtomically(path, std::string(2 << 20, 'x'), "checkpoint");  // 2 MB on 1 MB
        ADD_FAILURE() << "no error on a full disk";
    } catch (const OutputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("the disk is full"), std::string::npos) << what;
        EXPECT_NE(what.find(path), std::string::npos) << what;
        EXPECT_NE(what.find("checkpoint"), std::string::npos) << what;
    }
    EXPECT_FALSE(fs::exists(fs::symlink_status(path + ".tmp"))) << "the temporary was left";
    EXPECT_FALSE(fs::exists(path));
    // The space is given back: a file that fits is written.
    writeFileAtomically(path, std::string(1 << 16, 'y'), "checkpoint");
    EXPECT_EQ(fs::file_size(path), 1u << 16);
}

TEST(AtomicFile, ASymlinkPlantedAtTheTemporaryNameIsNotFollowed) {
    test::TempDir dir;
    const std::string path = dir.file("epoch-1.pt");
    const std::string victim = dir.file("victim.txt");
    test::writeFile(victim, "precious");
    fs::create_symlink(victim, path + ".tmp");
    writeFileAtomically(path, "checkpoint bytes", "checkpoint");
    EXPECT_EQ(test::readFile(victim), "precious") << "the write went through the symlink";
    EXPECT_EQ(test::readFile(path), "checkpoint bytes");
    EXPECT_FALSE(fs::is_symlink(path)) << "the symlink was renamed into place";
    EXPECT_FALSE(fs::exists(fs::symlink_status(path + ".tmp")));
    // A dangling symlink (to where the attacker wants a file created) is not followed either.
    const std::string created = dir.file("created-by-us");
    fs::create_symlink(created, path + ".tmp");
    writeFileAtomically(path, "second", "checkpoint");
    EXPECT_FALSE(fs::exists(fs::symlink_status(created))) << "a file was created through it";
    EXPECT_EQ(test::readFile(path), "second");
    // A stale temporary from a crash (a regular file) is replaced, not appended to.
    test::writeFile(path + ".tmp", std::string(1000, 'z'));
    writeFileAtomically(path, "third", "checkpoint");
    EXPECT_EQ(test::readFile(path), "third");
    EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(AtomicFile, WritesTheWholeFileAndReplacesAnOldOne) {
    test::TempDir dir;
    const std::string path = dir.file("f.bin");
    test::writeFile(path, "old");
    std::string bytes(300'000, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(i * 7);
    writeFileAtomically(path, bytes, "file");
    EXPECT_EQ(test::readFile(path), bytes);
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    EXPECT_THROW(writeFileAtomically(dir.file("no/such/folder/f"), "x", "file"), OutputError);
}

namespace {

// Checks, at every checkpoint event, that the new file and every file about to be removed are on
// disk; `onEpoch` lets a test break things before a given epoch's checkpoint.
struct CheckpointWatcher : Observer {
    std::vector<CheckpointEvent> events;
    std::function<void(const CheckpointEvent&)> onEvent;
    std::function<void(int)> beforeCheckpoint;
    void onEpoch(const EpochEvent& e) override {
        if (beforeCheckpoint) beforeCheckpoint(e.epoch);
    }
    void onCheckpoint(const CheckpointEvent& e) override {
        EXPECT_TRUE(fs::exists(e.path)) << e.path;
        for (const auto& old : e.removed)
            EXPECT_TRUE(fs::exists(old)) << old << " was deleted before the new one was recorded";
        events.push_back(e);
        if (onEvent) onEvent(e);
    }
};

// Three epochs of the MLP on tiny data, keeping one checkpoint, into ck.
class CheckpointRotation : public ::testing::Test {
protected:
    void SetUp() override { test::writeFakeFashionMnist(dir.path() / "data", 300, 50); }
    Trainer trainer() const {
        config::Config c = test::tinyConfig(dir.path() / "data", "mlp");
        c.set("epochs", std::int64_t{3});
        c.set("checkpoint.keep", std::int64_t{1});
        c.set("log.predictions", false);
        return Trainer(c, {ck, nullptr});
    }
    test::TempDir dir;
    const std::string ck = dir.file("ck");
    CheckpointWatcher w;
};

}  // namespace

TEST_F(CheckpointRotation, OldCheckpointsGoOnlyAfterTheNewOneIsRecorded) {
    Trainer t = trainer();
    const RunResult r = t.run(w);
    EXPECT_EQ(r.outcome, Outcome::Finished);
    ASSERT_EQ(w.events.size(), 3u);
    EXPECT_TRUE(w.events[0].removed.empty());
    EXPECT_EQ(w.events[1].removed, std::vector<std::string>{w.events[0].path});
    EXPECT_EQ(w.events[2].removed, std::vector<std::string>{w.events[1].path});
    EXPECT_FALSE(fs::exists(w.events[0].path));
    EXPECT_FALSE(fs::exists(w.events[1].path));
    EXPECT_TRUE(fs::exists(w.events[2].path));
}

TEST_F(CheckpointRotation, ACheckpointThatCannotBeRecordedKeepsTheOldOnes) {
    Trainer t = trainer();
    // The store fails while recording epoch 2's checkpoint (a full disk under the database).
    w.onEvent = [](const CheckpointEvent& e) {
        if (e.epoch == 2) throw std::runtime_error("the store failed");
    };
    EXPECT_THROW(t.run(w), std::runtime_error);
    ASSERT_EQ(w.events.size(), 2u);
    EXPECT_TRUE(fs::exists(w.events[0].path)) << "the last recorded checkpoint was deleted";
}

TEST_F(CheckpointRotation, ACheckpointThatCannotBeWrittenKeepsTheOldOnes) {
    Trainer t = trainer();
    // Epoch 2's file cannot be put in place: a folder (not empty) holds its name.
    w.beforeCheckpoint = [&](int epoch) {
        if (epoch != 2) return;
        fs::create_directories(ck + "/epoch-2.pt");
        test::writeFile(ck + "/epoch-2.pt/inside", "x");
    };
    try {
        t.run(w);
        ADD_FAILURE() << "no error";
    } catch (const OutputError& e) {
        EXPECT_NE(std::string(e.what()).find(ck + "/epoch-2.pt"), std::string::npos) << e.what();
    }
    ASSERT_EQ(w.events.size(), 1u);
    EXPECT_TRUE(fs::exists(w.events[0].path)) << "the old checkpoint was deleted";
    EXPECT_FALSE(fs::exists(ck + "/epoch-2.pt.tmp"));
}

TEST(SessionStop, AStopRequestEndsAnEvaluationWithoutAScore) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 600, 200);
    const config::Config c = test::tinyConfig(dir.path() / "data");
    DataOptions o;
    o.dir = c.text("data.dir");
    o.valSize = c.integer("data.val_size");
    const Dataset d = loadFashionMnist(o);
    Session s(TrainOptions::fromConfig(c), 10, 10);
    std::atomic<bool> stop{false};
    const EvalOutput full = s.evaluate(d.test, Split::Test, true, 10, &stop);
    EXPECT_FALSE(full.stopped);
    EXPECT_TRUE(std::isfinite(full.accuracy));
    stop = true;
    const EvalOutput stopped = s.evaluate(d.test, Split::Test, true, 10, &stop);
    EXPECT_TRUE(stopped.stopped);
    EXPECT_TRUE(std::isnan(stopped.accuracy));
    EXPECT_TRUE(std::isnan(stopped.loss));
    EXPECT_TRUE(s.model().is_training()) << "a stopped evaluation left eval() mode on";
}

TEST(LearnedCheck, ChanceFailsBarelyAboveWarnsAndLossAboveLnKWarns) {
    const std::vector<double> fine(20, 0.6), stuck(20, 2.5);  // ln 10 = 2.303
    EXPECT_EQ(learnedCheck(0.087, 5000, 10, fine).status, CheckStatus::Fail);
    EXPECT_EQ(learnedCheck(0.112, 5000, 10, fine).status, CheckStatus::Fail)
        << "within 3 standard errors of chance (10% + 3 x 0.42%)";
    EXPECT_EQ(learnedCheck(0.115, 5000, 10, fine).status, CheckStatus::Warn);
    EXPECT_EQ(learnedCheck(0.85, 5000, 10, fine).status, CheckStatus::Pass);
    const CheckResult high = learnedCheck(0.85, 5000, 10, stuck);
    EXPECT_EQ(high.status, CheckStatus::Warn);
    EXPECT_NE(high.message.find("above ln K"), std::string::npos) << high.message;
    EXPECT_EQ(learnedCheck(std::nan(""), 0, 10, fine).status, CheckStatus::Pass);
}

TEST(LearnedCheck, TheLossWindowStartsAfterTheWarmup) {
    config::Config c = config::Config::defaults();
    c.set("warmup_steps", std::int64_t{50});
    EXPECT_EQ(afterWarmupStep(TrainOptions::fromConfig(c).schedule, 6435), 1609)
        << "onecycle's 25% is later than the floor";
    EXPECT_EQ(afterWarmupStep(TrainOptions::fromConfig(c).schedule, 100), 50);
    EXPECT_EQ(afterWarmupStep(TrainOptions::fromConfig(c).schedule, 15), 7)
        << "too short a tail: the second half";
    c.set("schedule", std::string("constant"));
    EXPECT_EQ(afterWarmupStep(TrainOptions::fromConfig(c).schedule, 6435), 50);
}

// The config is parsed once into typed options: every engine setting lands in its field, and an
// invalid config is refused there, naming the key.
TEST(TrainOptions, EveryEngineKeyLandsInItsFieldAndBadValuesNameTheKey) {
    config::Config c = config::Config::defaults();
    c.set("model", std::string("mlp"));
    c.set("optimizer", std::string("adamw"));
    c.set("schedule", std::string("cosine"));
    c.set("init.head", std::string("small"));
    c.set("precision", std::string("fp32"));
    c.set("lr", 0.003);
    c.set("momentum", 0.8);
    c.set("weight_decay", 0.01);
    c.set("nesterov", false);
    c.set("dropout", 0.3);
    c.set("label_smoothing", 0.05);
    c.set("epochs", std::int64_t{4});
    c.set("batch_size", std::int64_t{64});
    c.set("eval_batch_size", std::int64_t{500});
    c.set("seed", std::int64_t{9});
    c.set("threads", std::int64_t{1});
    c.set("warmup_steps", std::int64_t{7});
    c.set("data.limit", std::int64_t{300});
    c.set("data.val_size", std::int64_t{100});
    c.set("augment.shift", std::int64_t{3});
    c.set("augment.flip", false);
    c.set("log.grad_norm_every", std::int64_t{0});
    c.set("checkpoint.keep", std::int64_t{1});
    c.set("log.predictions", false);
    const TrainOptions o = TrainOptions::fromConfig(c);
    EXPECT_EQ(o.model.kind, config::ModelKind::Mlp);
    EXPECT_EQ(o.model.head, config::HeadInit::Small);
    EXPECT_DOUBLE_EQ(o.model.dropout, 0.3);
    EXPECT_EQ(o.optimizer.kind, config::OptimizerKind::AdamW);
    EXPECT_DOUBLE_EQ(o.optimizer.lr, 0.003);
    EXPECT_DOUBLE_EQ(o.optimizer.momentum, 0.8);
    EXPECT_DOUBLE_EQ(o.optimizer.weightDecay, 0.01);
    EXPECT_FALSE(o.optimizer.nesterov);
    EXPECT_EQ(o.schedule.kind, config::ScheduleKind::Cosine);
    EXPECT_DOUBLE_EQ(o.schedule.lr, 0.003);
    EXPECT_EQ(o.schedule.minWarmupSteps, 7);
    EXPECT_TRUE(o.schedule.cycleMomentum) << "AdamW has a beta1 to cycle";
    EXPECT_EQ(o.precision, config::Precision::Fp32);
    EXPECT_DOUBLE_EQ(o.labelSmoothing, 0.05);
    EXPECT_EQ(o.epochs, 4);
    EXPECT_EQ(o.batchSize, 64);
    EXPECT_EQ(o.evalBatchSize, 500);
    EXPECT_EQ(o.seed, 9u);
    EXPECT_EQ(o.threads, 1);
    EXPECT_EQ(o.data.limit, 300);
    EXPECT_EQ(o.data.valSize, 100);
    EXPECT_EQ(o.augment.shift, 3);
    EXPECT_FALSE(o.augment.flip);
    EXPECT_EQ(o.gradNormEvery, 0);
    EXPECT_EQ(o.checkpointKeep, 1);
    EXPECT_FALSE(o.logPredictions);

    c.set("lr", -1.0);
    try {
        (void)TrainOptions::fromConfig(c);
        FAIL() << "a negative lr was accepted";
    } catch (const config::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("lr"), std::string::npos) << e.what();
    }
}
