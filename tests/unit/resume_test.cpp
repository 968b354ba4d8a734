// Resuming exactly (issue 18): run A trains uninterrupted; run B, same config, is SIGKILLed at
// random moments and resumed each time, the last kill during its final test evaluation; run C is
// stopped by SIGINT (Ctrl-C) twice and resumed. B's and C's per-step train/loss, final weights
// and test predictions must equal A's bit for bit, and B's database must pass integrity_check.
//
// The data is small and the model the CNN (dropout and augmentation on, so torch's generator and
// the augmentation RNG both matter), trained on one thread with checkpoints every 7 steps; a
// run takes a few seconds. The kills follow the checkpoints the store records: each lands a
// random 0-40 ms after one, so it may hit a step, a checkpoint being written, a validation or
// the gap between a file and its record.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "storage/predictions.h"
#include "storage/resume_store.h"
#include "storage/run_store.h"
#include "support/cli_run.h"
#include "support/fixtures.h"

namespace fs = std::filesystem;
using namespace runboard;
using runboard::test::runCli;
using runboard::test::spawnCli;
using runboard::test::TempDir;

namespace {

constexpr int kEpochs = 3;

std::vector<std::string> trainArgs(const std::string& db, const fs::path& data,
                                   const std::string& model = "cnn") {
    return {"train", "--db", db, "--set", "data.dir=" + data.string(), "--set", "data.val_size=100",
            "--set", "model=" + model, "--set", "epochs=" + std::to_string(kEpochs), "--set",
            "batch_size=40", "--set", "threads=1", "--set", "precision=fp32", "--set",
            "dropout=0.3", "--set", "checkpoint.every_steps=7",
            // The test evaluation one sample at a time: long enough to be killed in.
            "--set", "eval_batch_size=1"};
}

storage::RunStore openRead(const std::string& db) {
    auto store = storage::RunStore::open(db, {.create = false, .readOnly = true});
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(store.value());
}

// The newest recorded checkpoint's step, -1 without one (or while the file is being created).
std::int64_t newestCheckpoint(const std::string& db) {
    if (!fs::exists(db)) return -1;
    auto store = storage::RunStore::open(db, {.create = false, .readOnly = true});
    if (!store) return -1;
    auto cps = store->checkpoints(1);
    return cps && !cps->empty() ? cps->back().step : -1;
}

std::int64_t resumeCount(const std::string& db) {
    auto store = storage::RunStore::open(db, {.create = false, .readOnly = true});
    if (!store) return -1;
    auto r = storage::resumes(store->connection(), 1);
    return r ? static_cast<std::int64_t>(r->size()) : -1;
}

int waitExit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Outcome {
    std::vector<storage::MetricPoint> loss;
    std::vector<storage::PredictionRecord> test;
    std::map<std::string, torch::Tensor> weights;
    std::string status;
};

// Every tensor of an archive and its sub-archives (a module's submodules), by dotted name.
void collect(torch::serialize::InputArchive& archive, const std::string& prefix,
             std::map<std::string, torch::Tensor>& out) {
    for (const auto& key : archive.keys()) {
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (archive.try_read(key, t) || archive.try_read(key, t, /*is_buffer=*/true))
            out[prefix + key] = t;
        else if (archive.try_read(key, sub))
            collect(sub, prefix + key + ".", out);
    }
}

std::map<std::string, torch::Tensor> modelTensors(const std::string& checkpoint) {
    torch::serialize::InputArchive archive, model;
    archive.load_from(checkpoint);
    archive.read("model", model);
    std::map<std::string, torch::Tensor> out;
    collect(model, "", out);
    return out;
}

Outcome outcomeOf(const std::string& db) {
    auto store = openRead(db);
    Outcome o;
    o.loss = store.series(1, "train/loss").value();
    o.test = storage::readPredictions(store.connection(), 1, "test", kEpochs).value();
    o.status = std::string(storage::toString(store.run(1)->status));
    const auto last = fs::path(store.filesDir(1)) / ("epoch-" + std::to_string(kEpochs) + ".pt");
    if (fs::exists(last)) o.weights = modelTensors(last.string());
    return o;
}

void expectSame(const Outcome& a, const Outcome& b, const std::string& what) {
    ASSERT_EQ(b.status, "finished") << what;
    ASSERT_EQ(a.loss.size(), b.loss.size()) << what;
    for (std::size_t i = 0; i < a.loss.size(); ++i) {
        ASSERT_EQ(a.loss[i].step, b.loss[i].step) << what;
        // Bit for bit: == on doubles, not a tolerance.
        ASSERT_EQ(a.loss[i].value, b.loss[i].value)
            << what << ": train/loss at step " << a.loss[i].step;
    }
    ASSERT_FALSE(a.test.empty());
    ASSERT_EQ(a.test.size(), b.test.size()) << what;
    for (std::size_t i = 0; i < a.test.size(); ++i) {
        ASSERT_EQ(a.test[i].sampleIndex, b.test[i].sampleIndex) << what;
        ASSERT_EQ(a.test[i].probs, b.test[i].probs) << what << ": test sample " << i;
    }
    ASSERT_FALSE(a.weights.empty());
    ASSERT_EQ(a.weights.size(), b.weights.size()) << what;
    for (const auto& [key, t] : a.weights)
        EXPECT_TRUE(torch::equal(t, b.weights.at(key))) << what << ": weights " << key;
}

std::int64_t totalSteps() {
    return kEpochs * ((600 - 100) / 40);
}

}  // namespace

TEST(Resume, KilledFiveTimesEqualsUninterruptedBitForBit) {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 400);
    const std::string a = dir.file("a.db"), b = dir.file("b.db");
    const auto trained = runCli(trainArgs(a, data), dir);
    ASSERT_EQ(trained.code, 0) << trained.err;
    const Outcome reference = outcomeOf(a);
    ASSERT_EQ(static_cast<std::int64_t>(reference.loss.size()), totalSteps());

    std::mt19937 rng(20261202);
    const std::int64_t total = totalSteps();
    // Four kills at random checkpoints spread over the run, the fifth once the last epoch's
    // checkpoint is recorded (the final test evaluation follows it).
    std::vector<std::int64_t> after;
    for (int k = 0; k < 4; ++k)
        after.push_back(std::uniform_int_distribution<std::int64_t>(k * total / 4,
                                                                    (k + 1) * total / 4 - 1)(rng));
    after.push_back(total);
    std::vector<std::string> args = trainArgs(b, data);
    int killsDuringTest = 0;
    for (std::size_t k = 0; k < after.size(); ++k) {
        const pid_t pid = spawnCli(args, dir.file("b-" + std::to_string(k) + ".err"));
        ASSERT_GT(pid, 0);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        const auto waitFor = [&](auto done) {
            while (!done() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
        };
        // A resume has taken the run over (archived its tail) before it is killed again, and
        // trains past its own checkpoint: each kill costs it progress made after the resume.
        std::int64_t from = -1;
        if (k > 0) {
            waitFor([&] { return resumeCount(b) == static_cast<std::int64_t>(k); });
            from = newestCheckpoint(b);
        }
        waitFor([&] { return newestCheckpoint(b) >= std::max(after[k], from + 1); });
        if (k + 1 < after.size())
            std::this_thread::sleep_for(
                std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 40)(rng)));
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        ASSERT_EQ(waitExit(pid), 128 + SIGKILL) << "kill " << k << " came too late";
        if (k + 1 == after.size()) {
            auto store = openRead(b);
            EXPECT_TRUE(storage::readPredictions(store.connection(), 1, "test", kEpochs)->empty());
            ++killsDuringTest;
        }
        args = {"resume", "1", "--db", b};
    }
    EXPECT_EQ(killsDuringTest, 1);
    const auto resumed = runCli(args, dir);
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    expectSame(reference, outcomeOf(b), "killed 5 times");

    auto store = openRead(b);
    const auto resumes = storage::resumes(store.connection(), 1).value();
    ASSERT_EQ(resumes.size(), 5u);
    for (const auto& r : resumes)
        EXPECT_EQ(r.fromStatus, "interrupted");
    EXPECT_EQ(resumes.back().atStep, total);  // the last one from the last epoch's end
    EXPECT_EQ(store.connection().queryValue<std::string>("PRAGMA integrity_check").value(), "ok");
    // Nothing lost, nothing twice: every step once in the live rows (checked above), and the
    // archive holds what each kill had logged past its checkpoint.
    std::int64_t archived = 0;
    for (const auto& r : resumes)
        archived += r.archivedRows;
    EXPECT_EQ(store.connection()
                  .queryValue<std::int64_t>("SELECT (SELECT count(*) FROM archived_metrics) + "
                                            "(SELECT count(*) FROM archived_predictions) + "
                                            "(SELECT count(*) FROM archived_checks)")
                  .value(),
              archived);
}

TEST(Resume, StoppedByCtrlCTwiceEqualsUninterrupted) {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 400);
    const std::string a = dir.file("a.db"), c = dir.file("c.db");
    const auto trained = runCli(trainArgs(a, data, "mlp"), dir);
    ASSERT_EQ(trained.code, 0) << trained.err;

    std::vector<std::string> args = trainArgs(c, data, "mlp");
    std::int64_t stoppedAt = -1;
    for (std::int64_t at : {totalSteps() / 3, 2 * totalSteps() / 3}) {
        const pid_t pid = spawnCli(args, dir.file("c.err"));
        ASSERT_GT(pid, 0);
        while (newestCheckpoint(c) < at)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ASSERT_EQ(kill(pid, SIGINT), 0);
        ASSERT_EQ(waitExit(pid), 130) << runboard::test::readFile(dir.file("c.err"));
        {
            auto store = openRead(c);
            EXPECT_EQ(store.run(1)->status, storage::RunStatus::Stopped);
            // Ctrl-C checkpoints where it stopped: nothing trained is lost.
            const auto loss = store.series(1, "train/loss").value();
            ASSERT_FALSE(loss.empty());
            EXPECT_EQ(newestCheckpoint(c), loss.back().step);
            stoppedAt = loss.back().step;
        }
        args = {"resume", "1", "--db", c};
    }
    const auto resumed = runCli(args, dir);
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    expectSame(outcomeOf(a), outcomeOf(c), "stopped twice");
    auto store = openRead(c);
    const auto resumes = storage::resumes(store.connection(), 1).value();
    ASSERT_EQ(resumes.size(), 2u);
    EXPECT_EQ(resumes.back().atStep, stoppedAt);
    EXPECT_EQ(resumes.back().archivedRows, 0);  // a stop logs nothing after its checkpoint
}

namespace {

// Trains a run until its checkpoint at `step` or later, then stops it with Ctrl-C.
void trainAndStop(const std::vector<std::string>& args, const std::string& db, std::int64_t step,
                  const TempDir& dir) {
    const pid_t pid = spawnCli(args, dir.file("stop.err"));
    ASSERT_GT(pid, 0);
    while (newestCheckpoint(db) < step)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_EQ(kill(pid, SIGINT), 0);
    ASSERT_EQ(waitExit(pid), 130) << runboard::test::readFile(dir.file("stop.err"));
}

void flipByte(const std::string& path, std::size_t at) {
    std::string bytes = runboard::test::readFile(path);
    ASSERT_LT(at, bytes.size());
    bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
    runboard::test::writeFile(path, bytes);
}

}  // namespace

TEST(Resume, DamagedOrMissingCheckpointsFallBackToOlderOnesStillExactly) {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 400);
    const std::string a = dir.file("a.db"), b = dir.file("b.db"), c = dir.file("c.db");
    ASSERT_EQ(runCli(trainArgs(a, data, "mlp"), dir).code, 0);
    const Outcome reference = outcomeOf(a);

    // B: the newest checkpoint damaged (one flipped byte), the one before it deleted.
    trainAndStop(trainArgs(b, data, "mlp"), b, 2 * totalSteps() / 3, dir);
    std::vector<storage::CheckpointRecord> cps;
    {
        auto store = openRead(b);
        cps = store.checkpoints(1).value();
    }
    ASSERT_GE(cps.size(), 3u);
    flipByte(cps.back().path, fs::file_size(cps.back().path) / 2);
    fs::remove(cps[cps.size() - 2].path);
    const auto resumed = runCli({"resume", "1", "--db", b}, dir);
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("cannot be used: its contents changed"), std::string::npos)
        << resumed.err;
    EXPECT_NE(resumed.err.find("cannot be used: it is missing"), std::string::npos) << resumed.err;
    expectSame(reference, outcomeOf(b), "damaged checkpoints");
    {
        auto store = openRead(b);
        EXPECT_EQ(storage::resumes(store.connection(), 1)->back().atStep, cps[cps.size() - 3].step);
    }

    // C: every checkpoint damaged: it restarts from step 0, archiving everything it logged.
    trainAndStop(trainArgs(c, data, "mlp"), c, totalSteps() / 2, dir);
    std::int64_t logged = 0;
    {
        auto store = openRead(c);
        for (const auto& cp : store.checkpoints(1).value())
            flipByte(cp.path, 100);
        logged = static_cast<std::int64_t>(store.series(1, "train/loss")->size());
    }
    const auto restarted = runCli({"resume", "1", "--db", c}, dir);
    ASSERT_EQ(restarted.code, 0) << restarted.err;
    EXPECT_NE(restarted.err.find("restarts from step 0"), std::string::npos) << restarted.err;
    expectSame(reference, outcomeOf(c), "restarted");
    auto store = openRead(c);
    const auto r = storage::resumes(store.connection(), 1)->back();
    EXPECT_EQ(r.atStep, 0);
    EXPECT_TRUE(r.checkpoint.empty());
    EXPECT_GE(r.archivedRows, logged);
    EXPECT_EQ(storage::archivedSeries(store.connection(), 1, "train/loss")->size(),
              static_cast<std::size_t>(logged));
}

TEST(Resume, RefusesAliveFinishedAndChangedRunsLeavingThemAsTheyWere) {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 400);
    const std::string db = dir.file("r.db");

    // Alive: its process holds the run's lock (the cnn: the mlp could finish before `resume`
    // asks).
    const pid_t pid = spawnCli(trainArgs(db, data, "cnn"), dir.file("alive.err"));
    ASSERT_GT(pid, 0);
    while (newestCheckpoint(db) < 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const auto alive = runCli({"resume", "1", "--db", db}, dir);
    EXPECT_EQ(alive.code, 2);
    EXPECT_NE(alive.err.find("run 1 is still running"), std::string::npos) << alive.err;
    ASSERT_EQ(kill(pid, SIGINT), 0);
    ASSERT_EQ(waitExit(pid), 130);

    // The data changed since the checkpoint: named, and nothing archived.
    runboard::test::writeFakeFashionMnist(data, 600, 400, /*seed=*/8);
    const auto changed = runCli({"resume", "1", "--db", db}, dir);
    EXPECT_EQ(changed.code, 2);
    EXPECT_NE(changed.err.find("the training data is 500 samples, CRC-32"), std::string::npos)
        << changed.err;
    EXPECT_NE(changed.err.find("the test data"), std::string::npos) << changed.err;
    {
        auto store = openRead(db);
        EXPECT_EQ(store.run(1)->status, storage::RunStatus::Stopped);
        EXPECT_TRUE(storage::resumes(store.connection(), 1)->empty());
    }

    // Finished, and unknown.
    runboard::test::writeFakeFashionMnist(data, 600, 400);
    ASSERT_EQ(runCli({"resume", "1", "--db", db}, dir).code, 0);
    const auto finished = runCli({"resume", "1", "--db", db}, dir);
    EXPECT_EQ(finished.code, 2);
    EXPECT_NE(finished.err.find("run 1 finished; there is nothing to resume"), std::string::npos)
        << finished.err;
    EXPECT_EQ(runCli({"resume", "9", "--db", db}, dir).code, 2);
    EXPECT_EQ(runCli({"resume", "x", "--db", db}, dir).code, 2);
    // A mistyped database: exit 4, and no empty one is left behind.
    EXPECT_EQ(runCli({"resume", "1", "--db", dir.file("typo.db")}, dir).code, 4);
    EXPECT_FALSE(fs::exists(dir.file("typo.db")));
}
