// The CLI under attack (issue 13): database paths that are not database files, read commands
// that must create nothing, a parent that does not exist, a read-only database before an LR
// sweep, a full disk while training, a stop during the final test pass, a live run seen through
// a symlink, and names that would break the terminal. The real binary, as a user runs it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "engine/data/idx.h"
#include "storage/run_store.h"
#include "storage/schema.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/small_disk.h"

using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::spawnCli;
using runboard::test::TempDir;
namespace fs = std::filesystem;
namespace st = runboard::storage;

using runboard::test::SmallDisk;

namespace {

// An independent UTF-8 check (not the product's decoder): every sequence well formed.
bool validUtf8(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (int k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
        i += n;
    }
    return true;
}

// `train` on a fake dataset whose test pass, 6000 samples one at a time, takes seconds: started
// in the background and waited for until its epoch began (training itself takes a moment).
struct SlowTrain {
    std::string db, err;
    pid_t pid = -1;
    int status = 0;
    bool started = false;
    SlowTrain(const TempDir& dir, const std::string& dbName, std::vector<std::string> extra)
        : db(dir.file(dbName)), err(dir.file("err.txt")) {
        runboard::test::writeFakeFashionMnist(dir.path() / "data", 300, 6000);
        std::vector<std::string> args = {"train",
                                         "--db",
                                         db,
                                         "--set",
                                         "data.dir=" + (dir.path() / "data").string(),
                                         "--set",
                                         "data.val_size=50",
                                         "--set",
                                         "epochs=1",
                                         "--set",
                                         "eval_batch_size=1",
                                         "--set",
                                         "checks.enabled=false"};
        args.insert(args.end(), extra.begin(), extra.end());
        pid = spawnCli(args, err);
        for (int i = 0; pid > 0 && i < 600 && !started; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            started = runboard::test::readFile(err).find("epoch 1/1") != std::string::npos;
            if (!started && waitpid(pid, &status, WNOHANG) == pid) break;
        }
    }
    // Sends SIGTERM and returns how many seconds the process took to end.
    double terminate() {
        const auto sent = std::chrono::steady_clock::now();
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    }
    std::string stderrText() const { return runboard::test::readFile(err); }
};

}  // namespace

TEST(CliSafety, DatabasePathsThatAreNotFilesAreRefusedBeforeTraining) {
    TempDir dir;
    // data.dir points nowhere: a refusal with exit 3 would mean the dataset was read first.
    const std::vector<std::string> base = {"train", "--set", "data.dir=" + dir.file("nowhere"),
                                           "--db"};
    struct Case {
        std::string db;
        int code;
        std::string message;
    };
    for (const Case& c : std::vector<Case>{
             {"", 2, "no database path given"},
             {":memory:", 2, "is not a file path"},
             {"file:" + dir.file("uri.db"), 2, "is not a file path"},
             {"file:x.db?mode=memory&cache=shared", 2, "is not a file path"},
             {"/dev/null", 4, "not a regular file"},
             {dir.path().string(), 4, "is a directory"},
             {dir.file("no/such/folder/x.db"), 4, "does not exist"},
         }) {
        std::vector<std::string> args = base;
        args.push_back(c.db);
        const Output o = runCli(args, dir);
        EXPECT_EQ(o.code, c.code) << "--db '" << c.db << "': " << o.err;
        EXPECT_NE(o.err.find(c.message), std::string::npos) << "--db '" << c.db << "': " << o.err;
        EXPECT_TRUE(o.out.empty()) << "printed a run id for --db '" << c.db << "'";
    }
    EXPECT_FALSE(fs::exists(dir.file("uri.db")));
    EXPECT_FALSE(fs::exists(dir.file("x.db")));
    EXPECT_FALSE(fs::exists(dir.path() / "no"));
}

TEST(CliSafety, ReadCommandsCreateNothingAndLeaveAnEmptyFileEmpty) {
    TempDir dir;
    const std::string typo = dir.file("typo.db");
    for (const std::vector<std::string>& cmd : {std::vector<std::string>{"runs"},
                                                {"show", "1"},
                                                {"compare", "1", "2"},
                                                {"leaderboard"},
                                                {"leaderboard", "--own"}}) {
        std::vector<std::string> args = cmd;
        args.insert(args.end(), {"--db", typo});
        const Output o = runCli(args, dir);
        EXPECT_EQ(o.code, 4) << cmd.front() << ": " << o.err;
        EXPECT_NE(o.err.find("does not exist"), std::string::npos) << cmd.front() << ": " << o.err;
        EXPECT_FALSE(fs::exists(typo)) << cmd.front() << " created the database";
    }
    const std::string empty = dir.file("empty.db");
    runboard::test::writeFile(empty, "");
    const Output o = runCli({"runs", "--db", empty}, dir);
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_NE(o.err.find("empty"), std::string::npos) << o.err;
    EXPECT_EQ(fs::file_size(empty), 0u);
}

TEST(CliSafety, AnUnknownParentIsAUsageErrorInWordsBeforeTheDataLoads) {
    TempDir dir;
    const std::string db = dir.file("a.db");
    ASSERT_TRUE(st::RunStore::open(db));
    const auto hash = runboard::test::fileHash(db);
    const Output o = runCli(
        {"train", "--db", db, "--parent", "999", "--set", "data.dir=" + dir.file("nowhere")}, dir);
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_NE(o.err.find("no run with id 999"), std::string::npos) << o.err;
    for (const char* sql : {"INSERT", "FOREIGN KEY", "runs("})
        EXPECT_EQ(o.err.find(sql), std::string::npos) << o.err;
    EXPECT_EQ(runboard::test::fileHash(db), hash);
}

TEST(CliSafety, LrFindRefusesAReadOnlyDatabaseBeforeSweeping) {
    TempDir dir;
    SmallDisk disk(dir, "2m");
    if (!disk.mounted) GTEST_SKIP() << "needs root to mount a read-only file system";
    const std::string db = disk.path + "/ro.db";
    ASSERT_TRUE(st::RunStore::open(db));
    ASSERT_TRUE(disk.remountReadOnly());
    // data.dir points nowhere: exit 3 would mean the data was loaded (and a sweep run) first.
    const Output o =
        runCli({"lr-find", "--db", db, "--set", "data.dir=" + dir.file("nowhere")}, dir);
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_NE(o.err.find("not writable"), std::string::npos) << o.err;
    // Read commands still work on it.
    const Output runs = runCli({"runs", "--db", db}, dir);
    EXPECT_EQ(runs.code, 0) << runs.err;
}

TEST(CliSafety, AFullDiskEndsTheRunFailedAndLeavesNoTemporaryFiles) {
    TempDir dir;
    SmallDisk disk(dir, "1m");
    if (!disk.mounted) GTEST_SKIP() << "needs root to mount a small tmpfs";
    runboard::test::writeFakeFashionMnist(dir.path() / "data", 600, 200);
    const std::string db = disk.path + "/full.db";
    // The MLP's checkpoint (weights and momentum, about 1.7 MB) cannot fit on a 1 MB disk.
    const Output o = runCli({"train", "--db", db, "--set", "model=mlp", "--set", "epochs=1",
                             "--set", "data.dir=" + (dir.path() / "data").string(), "--set",
                             "data.val_size=100", "--set", "checks.enabled=false"},
                            dir);
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_NE(o.err.find("full"), std::string::npos) << o.err;
    for (const auto& entry : fs::recursive_directory_iterator(disk.path))
        EXPECT_NE(entry.path().extension(), ".tmp") << entry.path() << " was left behind";
    const Output runs = runCli({"runs", "--db", db, "--json"}, dir);
    ASSERT_EQ(runs.code, 0) << runs.err;
    const auto j = nlohmann::json::parse(runs.out);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["status"], "failed");
    EXPECT_NE(j[0]["message"].get<std::string>().find("full"), std::string::npos) << j[0];
    EXPECT_NE(j[0]["message"].get<std::string>().find(disk.path), std::string::npos)
        << "the message does not say where: " << j[0];
}

TEST(CliSafety, SigtermDuringTheFinalTestPassStopsTheRun) {
    TempDir dir;
    SlowTrain train(dir, "stop.db", {"--set", "log.predictions=false"});
    ASSERT_TRUE(train.started) << train.stderrText();
    const double seconds = train.terminate();
    ASSERT_TRUE(WIFEXITED(train.status)) << train.stderrText();
    EXPECT_EQ(WEXITSTATUS(train.status), 130) << train.stderrText();
    const std::string& db = train.db;
    auto store = st::RunStore::open(db);
    ASSERT_TRUE(store);
    auto run = store->run(1);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, st::RunStatus::Stopped) << run->message;
    EXPECT_NE(run->message.find("test evaluation"), std::string::npos) << run->message;
    auto metrics = store->latestMetrics(1);
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->count("test/accuracy"), 0u) << "a stopped test pass reported a score";
    EXPECT_LT(seconds, 30.0);
}

TEST(CliSafety, SigtermWhileAnotherProcessHoldsTheLockEndsTrainWithExit7) {
    TempDir dir;
    SlowTrain train(dir, "busy.db", {});
    ASSERT_TRUE(train.started) << train.stderrText();
    // Another process takes the write lock and keeps it: the trainer's rows and status wait.
    auto holder = st::openDatabase(train.db, {.create = false});
    ASSERT_TRUE(holder) << holder.error().message;
    ASSERT_TRUE(holder->exec("BEGIN IMMEDIATE"));
    const double seconds = train.terminate();
    ASSERT_TRUE(holder->exec("COMMIT"));
    const std::string text = train.stderrText();
    ASSERT_TRUE(WIFEXITED(train.status)) << text;
    EXPECT_EQ(WEXITSTATUS(train.status), 7) << text;
    EXPECT_NE(text.find("busy"), std::string::npos) << text;
    EXPECT_LT(seconds, 20.0) << "one SIGTERM did not end train within the grace period";
    // Nothing broke: the next open marks the run interrupted, its stored rows intact.
    auto store = st::RunStore::open(train.db);
    ASSERT_TRUE(store) << store.error().message;
    auto run = store->run(1);
    ASSERT_TRUE(run);
    EXPECT_TRUE(run->status == st::RunStatus::Interrupted || run->status == st::RunStatus::Stopped)
        << st::toString(run->status);
}

TEST(CliSafety, ALiveRunSeenThroughASymlinkStaysRunning) {
    TempDir dir;
    const std::string real = dir.file("real.db");
    auto store = st::RunStore::open(real);
    ASSERT_TRUE(store);
    st::NewRun r;
    r.name = "live";
    r.configJson = "{}";
    auto live = store->createRun(r);  // this process holds its lock, as a trainer would
    ASSERT_TRUE(live);
    fs::create_symlink(real, dir.file("link.db"));
    const Output o = runCli({"runs", "--db", dir.file("link.db"), "--json"}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(nlohmann::json::parse(o.out)[0]["status"], "running");
    auto again = store->run(live->id);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, st::RunStatus::Running);
}

TEST(CliSafety, NamesNeverBreakRowsOrReachTheTerminalRaw) {
    TempDir dir;
    const std::string db = dir.file("names.db");
    std::string longName;
    for (int i = 0; i < 200; ++i)
        longName += "\xC3\xA9";  // é, two bytes: a byte buffer cut here mid-character
    // U+202E (the last name) turns the rest of a line around in a terminal.
    const std::vector<std::string> names = {
        "line\nbreak",        "tab\there", "\x1b[31mred\x07",        longName,
        "bad \xff\xfe bytes", "ok",        "evil\xE2\x80\xAEgnp.exe"};
    {
        auto store = st::RunStore::open(db);
        ASSERT_TRUE(store);
        for (const auto& n : names) {
            st::NewRun r;
            r.name = n;
            r.configJson = "{}";
            auto owned = store->createRun(r);
            ASSERT_TRUE(owned);
            ASSERT_TRUE(store->setStatus(owned->id, st::RunStatus::Finished));
        }
    }
    const Output o = runCli({"runs", "--db", db}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_TRUE(validUtf8(o.out));
    std::size_t lines = 0;
    for (char c : o.out) {
        lines += c == '\n';
        EXPECT_FALSE((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f)
            << "control byte " << static_cast<int>(c) << " reached the terminal";
    }
    EXPECT_EQ(lines, names.size() + 1) << o.out;
    EXPECT_NE(o.out.find("line\\nbreak"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("\xE2\x80\xA6"), std::string::npos) << "the long name is not elided";

    const Output show = runCli({"show", "3", "--db", db}, dir);
    ASSERT_EQ(show.code, 0) << show.err;
    EXPECT_EQ(show.out.find('\x1b'), std::string::npos);
    const Output json = runCli({"runs", "--db", db, "--json"}, dir);
    ASSERT_EQ(json.code, 0) << "invalid UTF-8 in a name broke --json: " << json.err;
    EXPECT_EQ(nlohmann::json::parse(json.out).size(), names.size());
    for (char c : json.out)  // bidi and C1 characters are \u escapes, like every non-ASCII one
        ASSERT_LT(static_cast<unsigned char>(c), 0x80) << json.out;
    EXPECT_NE(json.out.find("evil\\u202egnp.exe"), std::string::npos) << json.out;
}

TEST(CliSafety, ARunThatLearnsNothingFailsItsLearnedCheck) {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 100);
    // Random training labels: one batch can still be memorised (the pre-flight checks pass),
    // but nothing generalises to the held-out part of the same file. The MLP: the learned check
    // does not depend on the model, and the CNN's checklist on noise took 30 s of the test's 34.
    std::vector<std::uint8_t> labels(600);
    std::uint32_t x = 12345;
    for (auto& l : labels)
        x = x * 1664525u + 1013904223u, l = static_cast<std::uint8_t>((x >> 24) % 10);
    runboard::engine::writeIdxGz((data / "train-labels-idx1-ubyte.gz").string(), {600}, labels);
    const Output o = runCli({"train", "--db", dir.file("noise.db"), "--set",
                             "data.dir=" + data.string(), "--set", "data.val_size=300", "--set",
                             "epochs=2", "--set", "batch_size=30", "--set", "model=mlp", "--json"},
                            dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const auto j = nlohmann::json::parse(o.out);
    bool judged = false;
    for (const auto& c : j["checks"])
        if (c["name"] == "training.learned") {
            judged = true;
            EXPECT_NE(c["status"], "pass") << c;
        }
    EXPECT_TRUE(judged) << j["checks"];
}

TEST(CliSafety, ImportedTeamNamesNeverReachTheTerminalRaw) {
    TempDir dir;
    const std::string db = dir.file("lb.db");
    const std::string pub = dir.file("public.csv"), priv = dir.file("private.csv");
    const std::string rows =
        "TeamId,TeamName,SubmissionDate,Score\n"
        "1,\"\x1b]0;owned\x07\x1b[2Jevil\",2026-01-01,70\n"
        "2,\"two\nlines\",2026-01-02,60\n";
    runboard::test::writeFile(pub, rows);
    runboard::test::writeFile(priv, rows);
    ASSERT_EQ(runCli({"leaderboard", "import", "--db", db, "--name", "c\x1b[31m", "--public", pub,
                      "--private", priv},
                     dir)
                  .code,
              0);
    const Output o = runCli({"leaderboard", "--db", db}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    for (char c : o.out)
        EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 && c != '\n')
            << "control byte " << static_cast<int>(c) << " in:\n"
            << o.out;
    EXPECT_NE(o.out.find("\\x1b[2Jevil"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("two\\nlines"), std::string::npos) << o.out;
}
