// Data-parallel training end to end (issue 19): real `runboard train --nproc 2` processes on
// loopback. Two ranks on half batches match one process on the whole batch; one run is stored,
// by rank 0 alone, with every prediction once; a rank killed, hung or interrupted ends every
// process with the run's status and message right and no process left behind; torchrun's
// variables start a job as well as --nproc does.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "storage/predictions.h"
#include "storage/run_store.h"
#include "support/cli_run.h"
#include "support/fixtures.h"

namespace fs = std::filesystem;
using namespace runboard;
using runboard::test::quote;
using runboard::test::runCli;
using runboard::test::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

// 6400 training samples after 100 for validation: 50 steps of 128, or of 2 x 64.
constexpr std::uint32_t kTrain = 6500, kTest = 500;

std::vector<std::string> trainArgs(const std::string& db, const fs::path& data, int batch,
                                   int epochs = 1) {
    std::vector<std::string> args{"train", "--db", db};
    for (const std::string& kv :
         {"data.dir=" + data.string(), std::string("data.val_size=100"), std::string("model=mlp"),
          "epochs=" + std::to_string(epochs), "batch_size=" + std::to_string(batch),
          std::string("threads=1"), std::string("precision=fp32"), std::string("dropout=0"),
          std::string("augment.flip=false"), std::string("augment.shift=0"),
          std::string("augment.erase=0"), std::string("checks.enabled=false")}) {
        args.push_back("--set");
        args.push_back(kv);
    }
    return args;
}

storage::RunStore openRead(const std::string& db) {
    auto store = storage::RunStore::open(db, {.create = false, .readOnly = true});
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(store.value());
}

std::map<std::string, torch::Tensor> modelTensors(const std::string& checkpoint) {
    torch::serialize::InputArchive archive, model;
    archive.load_from(checkpoint);
    archive.read("model", model);
    std::map<std::string, torch::Tensor> out;
    for (const auto& key : model.keys()) {
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (model.try_read(key, sub))
            for (const auto& k : sub.keys())
                if (sub.try_read(k, t)) out[key + "." + k] = t;
    }
    return out;
}

std::string param(storage::RunStore& store, const std::string& key) {
    for (const auto& p : store.params(1).value())
        if (p.key == key) return p.value;
    return {};
}

double lastValue(storage::RunStore& store, const std::string& key) {
    const auto s = store.series(1, key).value();
    return s.empty() ? std::nan("") : s.back().value;
}

// A process's parent pid and state letter from /proc; nullopt when it is gone.
struct ProcState {
    pid_t parent = 0;
    char state = '?';
};
std::optional<ProcState> procState(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 2));
    ProcState s;
    rest >> s.state >> s.parent;
    return s;
}

// Gone, or a zombie nobody has reaped yet (this container's init may not reap).
bool gone(pid_t pid) {
    const auto s = procState(pid);
    return !s || s->state == 'Z' || s->state == 'X';
}

std::vector<pid_t> childrenOf(pid_t parent) {
    std::vector<pid_t> out;
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = std::stoi(name);
        if (const auto s = procState(pid); s && s->parent == parent && !gone(pid))
            out.push_back(pid);
    }
    return out;
}

int waitExit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::size_t loggedSteps(const std::string& db) {
    if (!fs::exists(db)) return 0;
    auto store = storage::RunStore::open(db, {.create = false, .readOnly = true});
    if (!store) return 0;
    auto s = store->series(1, "train/loss");
    return s ? s->size() : 0;
}

// Starts a long 2-rank job and returns once it has logged `steps` steps: rank 0's pid and rank
// 1's.
std::pair<pid_t, pid_t> startJob(const std::string& db, const fs::path& data,
                                 const std::string& errFile, std::vector<std::string> extra = {}) {
    auto args = trainArgs(db, data, 64, 200);
    args.insert(args.end(), {"--nproc", "2"});
    args.insert(args.end(), extra.begin(), extra.end());
    const pid_t launcher = runboard::test::spawnCli(args, errFile, /*ownGroup=*/true);
    EXPECT_GT(launcher, 0);
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (loggedSteps(db) < 20 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto children = childrenOf(launcher);
    EXPECT_EQ(children.size(), 1u) << "rank 1 should be the launcher's one child";
    return {launcher, children.empty() ? -1 : children.front()};
}

class Ddp : public ::testing::Test {
protected:
    void SetUp() override { runboard::test::writeFakeFashionMnist(data_, kTrain, kTest); }
    TempDir dir_;
    fs::path data_ = dir_.path() / "data";
};

TEST_F(Ddp, TwoRanksOnHalfBatchesMatchOneProcessOnTheWholeBatch) {
    const std::string a = dir_.file("a.db"), b = dir_.file("b.db");
    const auto one = runCli(trainArgs(a, data_, 128), dir_);
    ASSERT_EQ(one.code, 0) << one.err;
    // A rank that opened a database without --db would open the default one, here.
    const fs::path home = dir_.path() / "xdg";
    ::setenv("XDG_DATA_HOME", home.c_str(), 1);
    auto args = trainArgs(b, data_, 64);
    args.insert(args.end(), {"--nproc", "2"});
    const auto two = runCli(args, dir_);
    ::unsetenv("XDG_DATA_HOME");
    ASSERT_EQ(two.code, 0) << two.err;
    EXPECT_FALSE(fs::exists(home)) << "a rank other than 0 opened a database";

    auto sa = openRead(a), sb = openRead(b);
    ASSERT_EQ(sb.runs().value().size(), 1u);
    EXPECT_EQ(param(sb, "ddp.world_size"), "2");
    EXPECT_EQ(param(sa, "ddp.world_size"), "1");
    // The same 50 steps, the loss averaged over the ranks.
    const auto la = sa.series(1, "train/loss").value(), lb = sb.series(1, "train/loss").value();
    ASSERT_EQ(la.size(), 50u);
    ASSERT_EQ(lb.size(), la.size());
    for (std::size_t i = 0; i < la.size(); ++i)
        EXPECT_NEAR(lb[i].value, la[i].value, 1e-5 * std::abs(la[i].value)) << "step " << i + 1;
    // The final weights agree to the allreduce's rounding.
    const auto wa = modelTensors(sa.filesDir(1) + "/epoch-1.pt");
    const auto wb = modelTensors(sb.filesDir(1) + "/epoch-1.pt");
    ASSERT_FALSE(wa.empty());
    ASSERT_EQ(wa.size(), wb.size());
    for (const auto& [key, t] : wa) {
        const double scale = t.abs().max().item<double>();
        EXPECT_LE((t - wb.at(key)).abs().max().item<double>(), 1e-5 * scale) << key;
    }
    // Sharded evaluation: the same accuracy exactly, every test prediction stored once.
    EXPECT_EQ(lastValue(sb, "test/accuracy"), lastValue(sa, "test/accuracy"));
    EXPECT_EQ(lastValue(sb, "val/accuracy"), lastValue(sa, "val/accuracy"));
    EXPECT_NEAR(lastValue(sb, "test/loss"), lastValue(sa, "test/loss"), 1e-5);
    const auto pa = storage::readPredictions(sa.connection(), 1, "test", 1).value();
    const auto pb = storage::readPredictions(sb.connection(), 1, "test", 1).value();
    ASSERT_EQ(pb.size(), kTest);
    std::set<std::int64_t> seen;
    for (std::size_t i = 0; i < pb.size(); ++i) {
        seen.insert(pb[i].sampleIndex);
        EXPECT_EQ(pb[i].sampleIndex, pa[i].sampleIndex);
        EXPECT_EQ(pb[i].predicted, pa[i].predicted) << "test sample " << i;
        EXPECT_EQ(pb[i].target, pa[i].target);
    }
    EXPECT_EQ(seen.size(), kTest);
    // Each rank's step time, so a straggler shows, and the allreduce's share.
    for (const char* key : {"time/rank0", "time/rank1", "time/allreduce"})
        EXPECT_GT(lastValue(sb, key), 0) << key;
    EXPECT_TRUE(sa.series(1, "time/allreduce").value().empty());
}

// Length-grouped text: each rank takes its part of the job's global batches, so 2 x 32 trains on
// the batches 1 x 64 does, each rank's part padded no more than the whole batch.
TEST_F(Ddp, TextBucketingKeepsItsBatchesAcrossRanks) {
    const std::string csv = dir_.file("text.csv");
    {
        std::ofstream out(csv);
        out << "text,label\n";
        std::mt19937 rng(3);
        const char* words[2][4] = {{"good", "fine", "nice", "great"},
                                   {"bad", "poor", "sad", "awful"}};
        for (int i = 0; i < 2100; ++i) {
            const int label = static_cast<int>(rng() % 2), len = 3 + static_cast<int>(rng() % 60);
            for (int w = 0; w < len; ++w)
                out << (w ? " " : "") << (rng() % 3 ? words[label][rng() % 4] : "the");
            out << ',' << (label ? "neg" : "pos") << '\n';
        }
    }
    const auto args = [&](const std::string& db, int batch) {
        std::vector<std::string> a{"train", "--db", db};
        for (const std::string& kv :
             {std::string("data.source=text"), "data.path=" + csv, std::string("data.text=text"),
              std::string("model=textcnn"), std::string("epochs=1"),
              "batch_size=" + std::to_string(batch), std::string("threads=1"),
              std::string("precision=fp32"), std::string("dropout=0"),
              std::string("checks.enabled=false")}) {
            a.push_back("--set");
            a.push_back(kv);
        }
        return a;
    };
    const std::string a = dir_.file("ta.db"), b = dir_.file("tb.db");
    const auto one = runCli(args(a, 64), dir_);
    ASSERT_EQ(one.code, 0) << one.err;
    auto two = args(b, 32);
    two.insert(two.end(), {"--nproc", "2"});
    const auto ran = runCli(two, dir_);
    ASSERT_EQ(ran.code, 0) << ran.err;
    auto sa = openRead(a), sb = openRead(b);
    const auto la = sa.series(1, "train/loss").value(), lb = sb.series(1, "train/loss").value();
    ASSERT_GT(la.size(), 10u);
    ASSERT_EQ(lb.size(), la.size());
    for (std::size_t i = 0; i < la.size(); ++i)
        EXPECT_NEAR(lb[i].value, la[i].value, 1e-4 * std::abs(la[i].value)) << "step " << i + 1;
    EXPECT_EQ(lastValue(sb, "test/accuracy"), lastValue(sa, "test/accuracy"));
    const auto mean = [](const std::vector<storage::MetricPoint>& s) {
        double sum = 0;
        for (const auto& p : s)
            sum += p.value;
        return sum / static_cast<double>(s.size());
    };
    EXPECT_LE(mean(sb.series(1, "train/padding").value()),
              mean(sa.series(1, "train/padding").value()) + 1e-9);
}

TEST_F(Ddp, KillNineOnRankOneFailsTheRunNamingItAndLeavesNoProcess) {
    const std::string db = dir_.file("k.db");
    const auto [launcher, rank1] = startJob(db, data_, dir_.file("k.err"));
    ASSERT_GT(rank1, 0);
    ASSERT_EQ(kill(rank1, SIGKILL), 0);
    const auto killed = Clock::now();
    EXPECT_EQ(waitExit(launcher), 1) << runboard::test::readFile(dir_.file("k.err"));
    EXPECT_LT(Clock::now() - killed, std::chrono::seconds(30));
    EXPECT_TRUE(gone(rank1));
    auto store = openRead(db);
    const auto run = store.run(1).value();
    EXPECT_EQ(run.status, storage::RunStatus::Failed);
    EXPECT_NE(run.message.find("rank 1 (pid " + std::to_string(rank1) + ") was killed by signal 9"),
              std::string::npos)
        << run.message;
}

TEST_F(Ddp, AHungRankFailsTheRunWithinDdpTimeout) {
    const std::string db = dir_.file("h.db");
    const auto [launcher, rank1] =
        startJob(db, data_, dir_.file("h.err"), {"--set", "ddp.timeout=3"});
    ASSERT_GT(rank1, 0);
    ASSERT_EQ(kill(rank1, SIGSTOP), 0);
    const auto stopped = Clock::now();
    EXPECT_EQ(waitExit(launcher), 1) << runboard::test::readFile(dir_.file("h.err"));
    // The 3 s timeout, then 2 s for the stopped rank to end before it is killed.
    EXPECT_LT(Clock::now() - stopped, std::chrono::seconds(15));
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!gone(rank1) && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(gone(rank1));
    auto store = openRead(db);
    const auto run = store.run(1).value();
    EXPECT_EQ(run.status, storage::RunStatus::Failed);
    EXPECT_NE(run.message.find("after ddp.timeout = 3 s"), std::string::npos) << run.message;
}

TEST_F(Ddp, CtrlCStopsEveryRankAfterTheSameStep) {
    const std::string db = dir_.file("c.db");
    const auto [launcher, rank1] = startJob(db, data_, dir_.file("c.err"));
    ASSERT_GT(rank1, 0);
    ASSERT_EQ(kill(-launcher, SIGINT), 0);  // the terminal's Ctrl-C: the whole job
    EXPECT_EQ(waitExit(launcher), 130) << runboard::test::readFile(dir_.file("c.err"));
    EXPECT_TRUE(gone(rank1));
    auto store = openRead(db);
    EXPECT_EQ(store.run(1).value().status, storage::RunStatus::Stopped);
    // Everything flushed: a checkpoint where it stopped.
    const auto loss = store.series(1, "train/loss").value();
    const auto cps = store.checkpoints(1).value();
    ASSERT_FALSE(cps.empty());
    EXPECT_EQ(cps.back().step, loss.back().step);
    // Resuming a data-parallel run is refused in words, for now.
    const auto resumed = runCli({"resume", "1", "--db", db}, dir_);
    EXPECT_EQ(resumed.code, 2);
    EXPECT_NE(resumed.err.find("data-parallel"), std::string::npos) << resumed.err;
}

// Ctrl-C while the ranks are still starting: a rank that has no handler yet ignores it, and the
// stop reaches it from rank 0 with the first step, never the timeout's wait for a dead rank.
TEST_F(Ddp, CtrlCWhileTheRanksStartStopsAtOnce) {
    const std::string db = dir_.file("e.db");
    auto args = trainArgs(db, data_, 64, 200);
    args.insert(args.end(), {"--nproc", "2", "--set", "ddp.timeout=30"});
    const pid_t launcher = runboard::test::spawnCli(args, dir_.file("e.err"), /*ownGroup=*/true);
    ASSERT_GT(launcher, 0);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (childrenOf(launcher).empty() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto children = childrenOf(launcher);
    ASSERT_EQ(children.size(), 1u);
    ASSERT_EQ(kill(-launcher, SIGINT), 0);
    const auto sent = Clock::now();
    EXPECT_EQ(waitExit(launcher), 130) << runboard::test::readFile(dir_.file("e.err"));
    EXPECT_LT(Clock::now() - sent, std::chrono::seconds(15));
    EXPECT_TRUE(gone(children.front()));
    EXPECT_EQ(openRead(db).run(1).value().status, storage::RunStatus::Stopped);
}

TEST_F(Ddp, AKilledLauncherTakesItsRanksAlong) {
    const std::string db = dir_.file("l.db");
    const auto [launcher, rank1] = startJob(db, data_, dir_.file("l.err"));
    ASSERT_GT(rank1, 0);
    ASSERT_EQ(kill(launcher, SIGKILL), 0);
    EXPECT_EQ(waitExit(launcher), 128 + SIGKILL);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!gone(rank1) && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(gone(rank1)) << "rank 1 outlived its launcher";
}

// Runs rank 0 (with the database) and rank 1 (without) as a cluster's launcher would start them:
// torchrun's variables, a free port. Returns rank 0's exit code; rank 1's in `rank1Code`.
int torchrunJob(const TempDir& dir, const std::vector<std::string>& rank0Args,
                const std::vector<std::string>& rank1Args, int& rank1Code) {
    // A free port: bound, read and released (the ranks meet there a moment later).
    const int port = [] {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
        ::close(s);
        return static_cast<int>(ntohs(addr.sin_port));
    }();
    std::string rank0, rank1;
    for (const auto& a : rank0Args) {
        rank0 += ' ';  // (not `" " + quote(a)`: GCC 12 reports a false -Wrestrict there)
        rank0 += quote(a);
    }
    for (const auto& a : rank1Args) {
        rank1 += ' ';
        rank1 += quote(a);
    }
    const std::string env =
        "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " ";
    const std::string exe = quote(RUNBOARD_EXE);
    const std::string cmd = "cd " + quote(dir.path().string()) + " && (" + env + "RANK=1 " + exe +
                            rank1 + " 2> r1.err > /dev/null & " + env + "RANK=0 " + exe + rank0 +
                            " 2> r0.err > /dev/null; r=$?; wait $!; echo $? > r1.code; exit $r)";
    const int status = std::system(cmd.c_str());
    rank1Code = std::stoi(runboard::test::readFile(dir.file("r1.code")));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> withoutDb(std::vector<std::string> args) {
    args.erase(args.begin() + 1, args.begin() + 3);  // "--db", DB
    return args;
}

TEST_F(Ddp, TorchrunVariablesStartAJob) {
    const std::string db = dir_.file("t.db");
    int rank1 = -1;
    const int rank0 =
        torchrunJob(dir_, trainArgs(db, data_, 64), withoutDb(trainArgs("", data_, 64)), rank1);
    ASSERT_EQ(rank0, 0) << runboard::test::readFile(dir_.file("r0.err"))
                        << runboard::test::readFile(dir_.file("r1.err"));
    EXPECT_EQ(rank1, 0);
    auto store = openRead(db);
    EXPECT_EQ(store.run(1).value().status, storage::RunStatus::Finished);
    EXPECT_EQ(param(store, "ddp.world_size"), "2");
    EXPECT_EQ(storage::readPredictions(store.connection(), 1, "test", 1).value().size(), kTest);
}

TEST_F(Ddp, RanksGivenAnotherConfigFailTheRunInWords) {
    const std::string db = dir_.file("m.db");
    auto other = withoutDb(trainArgs("", data_, 64));
    other.insert(other.end(), {"--set", "lr=0.5"});
    int rank1 = -1;
    const int rank0 = torchrunJob(dir_, trainArgs(db, data_, 64), other, rank1);
    EXPECT_EQ(rank0, 1) << runboard::test::readFile(dir_.file("r0.err"));
    EXPECT_EQ(rank1, 1) << runboard::test::readFile(dir_.file("r1.err"));
    auto store = openRead(db);
    const auto run = store.run(1).value();
    EXPECT_EQ(run.status, storage::RunStatus::Failed);
    EXPECT_NE(run.message.find("its config differs from rank 0's"), std::string::npos)
        << run.message;
    EXPECT_TRUE(store.series(1, "train/loss").value().empty()) << "nothing trained";
}

TEST(DdpUsage, MistakesAreSaidInTheUsersWords) {
    TempDir dir;
    const std::string db = dir.file("u.db");
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<Case> cases{
        {{"--nproc", "0"}, "--nproc must be a number of processes from 1 to 1024, got '0'"},
        {{"--nproc", "two"}, "got 'two'"},
        {{"--nproc", "2", "--rank", "1"}, "cannot be combined with --rank"},
        {{"--set", "ddp.world_size=2"}, "start the run with --nproc 2"},
        {{"--nproc", "2", "--set", "ddp.world_size=3"}, "disagree"},
        {{"--world-size", "2", "--rank", "0"}, "MASTER_PORT"},
        {{"--set", "ddp.timeout=0"}, "ddp.timeout"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"train", "--db", db};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto r = runCli(args, dir);
        EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(db)) << "a mistake left a database behind: " << c.says;
    }
}

}  // namespace
