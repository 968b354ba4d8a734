// Engine hardening (issue 13): checkpoints that fail on a full disk without std::terminate and
// without leaving their temporary file, and evaluations that honour a stop request.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <filesystem>

#include "engine/checks.h"
#include "engine/data/atomic_file.h"
#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/session.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::engine;
namespace fs = std::filesystem;

TEST(AtomicFile, AFullDiskThrowsInWordsAndLeavesNothingBehind) {
    test::TempDir dir;
    const std::string path = dir.file("epoch-1.pt");
    // /dev/full answers every write with ENOSPC: the temporary file "is" on a full disk.
    fs::create_symlink("/dev/full", path + ".tmp");
    try {
        writeFileAtomically(path, std::string(1 << 16, 'x'), "checkpoint");
        ADD_FAILURE() << "no error on a full disk";
    } catch (const OutputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("the disk is full"), std::string::npos) << what;
        EXPECT_NE(what.find(path), std::string::npos) << what;
        EXPECT_NE(what.find("checkpoint"), std::string::npos) << what;
    }
    EXPECT_FALSE(fs::exists(fs::symlink_status(path + ".tmp"))) << "the temporary was left";
    EXPECT_FALSE(fs::exists(path));
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

TEST(SessionStop, AStopRequestEndsAnEvaluationWithoutAScore) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 600, 200);
    const config::Config c = test::tinyConfig(dir.path() / "data");
    DataOptions o;
    o.dir = c.text("data.dir");
    o.valSize = c.integer("data.val_size");
    const Dataset d = loadFashionMnist(o);
    Session s(c, 10, 10);
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
    EXPECT_EQ(afterWarmupStep(c, 6435), 1609) << "onecycle's 25% is later than the floor";
    EXPECT_EQ(afterWarmupStep(c, 100), 50);
    EXPECT_EQ(afterWarmupStep(c, 15), 7) << "too short a tail: the second half";
    c.set("schedule", std::string("constant"));
    EXPECT_EQ(afterWarmupStep(c, 6435), 50);
}
