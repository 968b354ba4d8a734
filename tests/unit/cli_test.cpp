// The CLI as a user runs it: the real `runboard` binary, its stdout/stderr/exit code, golden help
// texts, every bad input (clear message, exit code, database byte-for-byte unchanged), an
// end-to-end run on real Fashion-MNIST, and Ctrl-C.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <tuple>

#include "engine/data/idx.h"
#include "engine/data/sample_images.h"
#include "engine/stats/stats.h"
#include "storage/run_store.h"
#include "storage/sweep_store.h"
#include "storage/writer.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/predictions.h"

using nlohmann::json;
using runboard::test::expectGolden;
using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::TempDir;
namespace fs = std::filesystem;

namespace {

bool haveRealData() {
    return fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
}

// A database with one finished run, made through the storage API.
std::string makeDatabase(const TempDir& dir) {
    const std::string db = dir.file("existing.db");
    auto store = runboard::storage::RunStore::open(db);
    runboard::storage::NewRun r;
    r.name = "keep me";
    r.configJson = "{}";
    auto owned = store->createRun(r);
    (void)store->setStatus(owned->id, runboard::storage::RunStatus::Finished);
    return db;
}

}  // namespace

TEST(Cli, HelpTextsMatchGoldenFiles) {
    TempDir dir;
    for (const auto& [args, golden] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--help"}, "help.txt"},
             {{"train", "--help"}, "train_help.txt"},
             {{"resume", "--help"}, "resume_help.txt"},
             {{"runs", "--help"}, "runs_help.txt"},
             {{"show", "--help"}, "show_help.txt"},
             {{"lr-find", "--help"}, "lr_find_help.txt"},
             {{"leaderboard", "--help"}, "leaderboard_help.txt"},
             {{"leaderboard", "import", "--help"}, "leaderboard_import_help.txt"},
             {{"compare", "--help"}, "compare_help.txt"},
             {{"check", "--help"}, "check_help.txt"},
             {{"profile", "--help"}, "profile_help.txt"}}) {
        const Output o = runCli(args, dir);
        EXPECT_EQ(o.code, 0) << golden;
        EXPECT_TRUE(o.err.empty()) << o.err;
        expectGolden(golden, o.out);
    }
}

TEST(Cli, UsageErrorsExitTwo) {
    TempDir dir;
    Output o = runCli({"frobnicate"}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("unknown command 'frobnicate'"), std::string::npos);
    o = runCli({"train", "--bogus"}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("Unknown option 'bogus'"), std::string::npos) << o.err;
    o = runCli({"show", "abc", "--db", dir.file("x.db")}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("run id must be a positive integer, got 'abc'"), std::string::npos);
    const std::string db = makeDatabase(dir);
    o = runCli({"show", "77", "--db", db}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("no run with id 77"), std::string::npos);
    EXPECT_TRUE(o.out.empty());
}

// Every bad input: a message naming the problem, the documented exit code, and the existing
// database byte-for-byte unchanged.
TEST(Cli, BadInputsAreRefusedCleanly) {
    TempDir dir;
    const std::string db = makeDatabase(dir);
    const auto dbHash = runboard::test::fileHash(db);
    runboard::test::writeFile(dir.file("malformed.json"), "{\"lr\": 0.1,, }");
    const fs::path fake = dir.path() / "fake";
    runboard::test::writeFakeFashionMnist(fake, 300, 100);
    // Truncated .gz and wrong magic, each in a copy of the fake dataset.
    fs::copy(fake, dir.path() / "truncated");
    const std::string bytes =
        runboard::test::readFile((fake / "train-images-idx3-ubyte.gz").string());
    runboard::test::writeFile((dir.path() / "truncated/train-images-idx3-ubyte.gz").string(),
                              bytes.substr(0, bytes.size() / 3));
    fs::copy(fake, dir.path() / "magic");
    runboard::engine::writeIdxGz((dir.path() / "magic/train-labels-idx1-ubyte.gz").string(),
                                 {300, 1, 1}, std::vector<std::uint8_t>(300, 1));
    const std::string textDb = dir.file("notes.txt");
    runboard::test::writeFile(textDb, "not a database\n");
    const auto textHash = runboard::test::fileHash(textDb);
    const std::string newerDb = dir.file("newer.db");
    fs::copy_file(db, newerDb);
    {
        auto c =
            runboard::storage::Connection::open(newerDb, runboard::storage::OpenMode::ReadWrite);
        ASSERT_TRUE(c->exec("PRAGMA user_version = 42"));
    }
    const auto newerHash = runboard::test::fileHash(newerDb);

    struct Case {
        std::string name;
        std::vector<std::string> args;
        int code;
        std::string message;
    };
    const std::string fakeSet = "data.dir=" + fake.string();
    const std::vector<Case> cases = {
        {"malformed json",
         {"--config", dir.file("malformed.json")},
         2,
         "malformed.json: malformed JSON"},
        {"unknown key",
         {"--set", "epohcs=3"},
         2,
         "unknown config key 'epohcs'; did you mean 'epochs'?"},
        {"wrong type",
         {"--set", "batch_size=big"},
         2,
         "wrong value type for 'batch_size': expected int, got 'big'"},
        {"lr <= 0", {"--set", "lr=0"}, 2, "'lr' must be > 0, got 0"},
        {"batch_size = 0", {"--set", "batch_size=0"}, 2, "'batch_size' must be >= 1, got 0"},
        {"epochs < 1", {"--set", "epochs=0"}, 2, "'epochs' must be >= 1, got 0"},
        {"unknown model", {"--set", "model=vit"}, 2, "unknown model 'vit'"},
        {"unknown optimizer", {"--set", "optimizer=lion"}, 2, "unknown optimizer 'lion'"},
        {"dataset missing", {"--set", "data.dir=" + dir.file("nowhere")}, 3, "does not exist"},
        {"truncated gz", {"--set", "data.dir=" + dir.file("truncated")}, 3, "truncated"},
        {"wrong magic", {"--set", "data.dir=" + dir.file("magic")}, 3, "wrong IDX magic number"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"train", "--db", db, "--set", "epochs=1"};
        if (c.name.find("dataset") == std::string::npos && c.name != "truncated gz" &&
            c.name != "wrong magic")
            args.insert(args.end(), {"--set", fakeSet});
        args.insert(args.end(), c.args.begin(), c.args.end());
        const Output o = runCli(args, dir);
        EXPECT_EQ(o.code, c.code) << c.name << ": " << o.err;
        EXPECT_NE(o.err.find(c.message), std::string::npos) << c.name << ": " << o.err;
        EXPECT_TRUE(o.out.empty()) << c.name;
        EXPECT_EQ(runboard::test::fileHash(db), dbHash) << c.name << " changed the database";
    }

    const std::vector<std::string> fast = {"--set",    fakeSet, "--set",
                                           "epochs=1", "--set", "data.val_size=50"};
    auto train = [&](const std::string& dbPath) {
        std::vector<std::string> a = {"train", "--db", dbPath};
        a.insert(a.end(), fast.begin(), fast.end());
        return runCli(a, dir);
    };
    Output o = train(dir.file("no/such/dir/x.db"));
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_NE(o.err.find("cannot create database"), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(dir.path() / "no"));

    o = train(textDb);
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_NE(o.err.find("is not a SQLite database"), std::string::npos) << o.err;
    EXPECT_EQ(runboard::test::fileHash(textDb), textHash);

    o = train(newerDb);
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_NE(o.err.find("schema version 42, written by a newer Runboard"), std::string::npos)
        << o.err;
    EXPECT_EQ(runboard::test::fileHash(newerDb), newerHash);
    o = runCli({"runs", "--db", newerDb}, dir);
    EXPECT_EQ(o.code, 4);
    EXPECT_EQ(runboard::test::fileHash(newerDb), newerHash);
}

// What users try first: a short run of the default recipe on real Fashion-MNIST (15 steps), end
// to end through train, show and runs. It learns: 15 steps collapsed to 8.7% (below chance)
// before the warm-up floor and BatchNorm statistics that settle.
TEST(Cli, TrainShowRunsEndToEndOnFashionMnist) {
    if (!haveRealData()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    TempDir dir;
    const std::string db = dir.file("e2e.db");
    const Output t = runCli({"train", "--db", db, "--set", "data.limit=2000", "--set", "epochs=1",
                             "--name", "smoke", "--json"},
                            dir);
    ASSERT_EQ(t.code, 0) << t.err;
    const json run = json::parse(t.out);  // stdout is only the result
    EXPECT_EQ(run["name"], "smoke");
    EXPECT_EQ(run["status"], "finished");
    EXPECT_TRUE(run["parent"].is_null());
    for (const char* k : {"created_at", "started_at", "finished_at"})
        EXPECT_TRUE(std::regex_match(run[k].get<std::string>(),
                                     std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
            << k;
    EXPECT_EQ(run["params"]["data.limit"], 2000);
    EXPECT_EQ(run["params"]["model"], "cnn");
    EXPECT_EQ(run["params"]["lr"], 0.1);
    for (const char* k :
         {"train/loss", "train/lr", "train/grad_norm", "train/samples_per_s", "train/accuracy",
          "val/loss", "val/accuracy", "test/loss", "test/accuracy"})
        EXPECT_TRUE(run["metrics"].contains(k)) << k;
    const double testAccuracy = run["metrics"]["test/accuracy"].get<double>();
    EXPECT_GE(testAccuracy, 0.5) << "15 steps of the default recipe did not learn";
    EXPECT_LE(testAccuracy, 1.0);
    bool learned = false;
    for (const auto& c : run["checks"])
        if (c["name"] == "training.learned") {
            learned = true;
            EXPECT_EQ(c["status"], "pass") << c;
        }
    EXPECT_TRUE(learned) << "no training.learned check was stored";
    ASSERT_EQ(run["checkpoints"].size(), 1u);
    EXPECT_EQ(run["checkpoints"][0]["epoch"], 1);
    EXPECT_TRUE(fs::exists(run["checkpoints"][0]["path"].get<std::string>()));
    EXPECT_NE(t.err.find("test accuracy"), std::string::npos) << "progress goes to stderr";

    const auto id = std::to_string(run["id"].get<long long>());
    const Output show = runCli({"show", id, "--db", db, "--json"}, dir);
    ASSERT_EQ(show.code, 0);
    EXPECT_EQ(json::parse(show.out), run);
    const Output runs = runCli({"runs", "--db", db, "--json"}, dir);
    ASSERT_EQ(runs.code, 0);
    const json list = json::parse(runs.out);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["id"], run["id"]);
    const Output text = runCli({"runs", "--db", db}, dir);
    EXPECT_NE(text.out.find("smoke"), std::string::npos);
    EXPECT_NE(text.out.find("finished"), std::string::npos);

    // Every val prediction of the epoch and every test prediction is in the database.
    auto store = runboard::storage::RunStore::open(db);
    EXPECT_EQ(
        store->connection().queryInt("SELECT count(*) FROM predictions WHERE split='val'").value(),
        5000);
    EXPECT_EQ(
        store->connection().queryInt("SELECT count(*) FROM predictions WHERE split='test'").value(),
        10000);
    // The reported accuracy is exactly the share of stored test predictions that are right.
    const auto correct = store->connection()
                             .queryInt(
                                 "SELECT count(*) FROM predictions WHERE split='test' AND "
                                 "predicted = target")
                             .value();
    EXPECT_NEAR(testAccuracy, static_cast<double>(correct) / 10000.0, 1e-12);
    // One train/loss row per step: 15 steps of 128 in 2000 samples.
    EXPECT_EQ(store->series(run["id"].get<long long>(), "train/loss")->size(), 15u);
}

TEST(Cli, LrFindPrintsOneJsonObjectAndStoresTheSweep) {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 100);
    const std::string db = dir.file("lr.db");
    const Output o = runCli({"lr-find", "--db", db, "--set", "data.dir=" + data.string(), "--set",
                             "data.val_size=100", "--set", "model=mlp", "--set", "batch_size=20",
                             "--start", "1e-5", "--end", "100", "--steps", "40", "--json"},
                            dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const json j = json::parse(o.out);
    ASSERT_TRUE(j["id"].is_number_integer());
    const auto& points = j["points"];
    ASSERT_GE(points.size(), 5u);
    ASSERT_LE(points.size(), 40u);
    EXPECT_DOUBLE_EQ(points[0]["lr"].get<double>(), 1e-5);
    for (const auto& p : points) {
        EXPECT_TRUE(p.contains("loss"));
        EXPECT_TRUE(p.contains("smoothed"));
    }
    EXPECT_EQ(j["stop"]["step"].get<int>(), static_cast<int>(points.size()) - 1);
    EXPECT_DOUBLE_EQ(j["stop"]["lr"].get<double>(), points.back()["lr"].get<double>());
    const std::string reason = j["stop"]["reason"];
    EXPECT_TRUE(reason == "exploded" || reason == "nonfinite") << reason;  // SGD at 100 explodes
    ASSERT_TRUE(j["suggestions"].is_object());
    for (const char* rule : {"steepest", "valley", "minimum/10"}) {
        ASSERT_TRUE(j["suggestions"].contains(rule)) << rule;
        EXPECT_GT(j["suggestions"][rule].get<double>(), 0.0);
    }
    EXPECT_EQ(j["options"]["steps"], 40);
    EXPECT_EQ(j["config"]["model"], "mlp");
    // Stored whole: every point and suggestion, under the printed id.
    auto store = runboard::storage::RunStore::open(db);
    auto record = runboard::storage::sweepRecord(store->connection(), j["id"].get<long long>());
    ASSERT_TRUE(record);
    EXPECT_EQ(record->pointCount, static_cast<std::int64_t>(points.size()));
    EXPECT_EQ(record->suggestions.size(), 3u);
    // The text form: the stop point and the table.
    const Output text =
        runCli({"lr-find", "--db", db, "--set", "data.dir=" + data.string(), "--set",
                "data.val_size=100", "--set", "model=mlp", "--steps", "30"},
               dir);
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("stopped at step"), std::string::npos) << text.out;
    for (const char* rule : {"steepest", "valley", "minimum/10"})
        EXPECT_NE(text.out.find(rule), std::string::npos) << rule;
}

TEST(Cli, LrFindRefusesBadOptionsBeforeTouchingAnything) {
    TempDir dir;
    const std::string db = makeDatabase(dir);
    const auto hash = runboard::test::fileHash(db);
    struct Case {
        std::vector<std::string> args;
        int code;
        const char* message;
    };
    for (const Case& c : std::vector<Case>{
             {{"--start", "0"}, 2, "the start learning rate must be > 0, got 0"},
             {{"--start", "1", "--end", "0.5"}, 2, "must be greater than the start (1), got 0.5"},
             {{"--steps", "1"}, 2, "the number of steps must be between 2 and 10000, got 1"},
             {{"--steps", "ten"}, 2, "--steps must be an integer, got 'ten'"},
             {{"--beta", "1"}, 2, "beta (the smoothing) must be in [0, 1), got 1"},
             {{"--beta", "nan"}, 2, "--beta must be a number, got 'nan'"},
             {{"--stop-factor", "0.5"}, 2, "the stop factor must be > 1, got 0.5"},
             {{"--mode", "log"}, 2, "--mode must be exp or linear, got 'log'"},
             {{"--set", "lr=-1"}, 2, "'lr' must be > 0"},
             {{"--set", "data.dir=" + dir.file("nowhere")}, 3, "does not exist"},
             {{"extra"}, 2, "lr-find takes no positional arguments, got 'extra'"}}) {
        std::vector<std::string> args{"lr-find", "--db", db};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const Output o = runCli(args, dir);
        EXPECT_EQ(o.code, c.code) << c.message << ": " << o.err;
        EXPECT_NE(o.err.find(c.message), std::string::npos) << o.err;
        EXPECT_TRUE(o.out.empty()) << o.out;
    }
    EXPECT_EQ(runboard::test::fileHash(db), hash) << "the database is untouched";
    // A database that is not one: exit 4, before any sweep.
    const std::string text = dir.file("notes.txt");
    runboard::test::writeFile(text, "not a database\n");
    const Output o = runCli({"lr-find", "--db", text}, dir);
    EXPECT_EQ(o.code, 4) << o.err;
    EXPECT_EQ(runboard::test::readFile(text), "not a database\n");
}

TEST(Cli, LeaderboardImportsKaggleFilesAndPrintsTheShakeUp) {
    TempDir dir;
    const std::string db = dir.file("lb.db");
    const std::string pub = dir.file("public.csv"), priv = dir.file("private.csv");
    runboard::test::writeFile(pub,
                              "TeamId,TeamName,SubmissionDate,Score\r\n"
                              "1,\"Smith, J\",2026-01-01 10:00,74.33\r\n"
                              "2,beta,2026-01-02 10:00,60\r\n"
                              "3,Ёж,2026-01-03 10:00,50.05\r\n"
                              "5,bad,2026-01-05,oops\r\n");
    runboard::test::writeFile(priv,
                              "\xEF\xBB\xBFTeamId,TeamName,SubmissionDate,Score\n"
                              "1,\"Smith, J\",2026-01-01 10:00,50\n"
                              "2,beta,2026-01-02 10:00,61.75\n"
                              "3,Ёж,2026-01-03 10:00,44.92\n"
                              "6,late,2026-01-06,30\n");
    const Output imported = runCli({"leaderboard", "import", "--db", db, "--name", "course",
                                    "--public", pub, "--private", priv},
                                   dir);
    ASSERT_EQ(imported.code, 0) << imported.err;
    EXPECT_EQ(imported.out, "1\n");
    EXPECT_NE(imported.err.find("skipped line 5: the score 'oops' is not a number"),
              std::string::npos)
        << imported.err;
    const Output board = runCli({"leaderboard", "--db", db, "--json"}, dir);
    ASSERT_EQ(board.code, 0) << board.err;
    const json j = json::parse(board.out);
    EXPECT_EQ(j["competition"]["name"], "course");
    ASSERT_EQ(j["entries"].size(), 4u);
    EXPECT_EQ(j["entries"][0]["name"], "Smith, J");
    EXPECT_EQ(j["entries"][0]["shift"], -1);
    EXPECT_EQ(j["entries"][1]["shift"], 1);
    EXPECT_EQ(j["entries"][2]["name"], "Ёж");
    EXPECT_TRUE(j["entries"][3]["public_score"].is_null());  // only on the private board
    EXPECT_DOUBLE_EQ(j["summary"]["public"]["median"].get<double>(), 60.0);
    EXPECT_DOUBLE_EQ(j["summary"]["private"]["median"].get<double>(), (44.92 + 50) / 2);
    EXPECT_DOUBLE_EQ(j["summary"]["private"]["best"].get<double>(), 61.75);
    const Output text = runCli({"leaderboard", "--db", db, "--competition", "course"}, dir);
    ASSERT_EQ(text.code, 0);
    EXPECT_NE(text.out.find("↓1"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("median"), std::string::npos);

    // Refusals: nothing imported, the database unchanged.
    const auto hash = runboard::test::fileHash(db);
    runboard::test::writeFile(dir.file("notes.txt"), "hello\n");
    for (const auto& [args, code, message] :
         std::vector<std::tuple<std::vector<std::string>, int, std::string>>{
             {{"--name", "x", "--public", dir.file("notes.txt"), "--private", priv},
              3,
              "is not a Kaggle leaderboard CSV: expected the header"},
             {{"--name", "x", "--public", dir.file("missing.csv"), "--private", priv},
              3,
              "cannot read"},
             {{"--name", "course", "--public", pub, "--private", priv},
              2,
              "a competition named 'course' exists already"},
             {{"--public", pub, "--private", priv}, 2, "leaderboard import needs --name"}}) {
        std::vector<std::string> full{"leaderboard", "import", "--db", db};
        full.insert(full.end(), args.begin(), args.end());
        const Output o = runCli(full, dir);
        EXPECT_EQ(o.code, code) << o.err;
        EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
    }
    EXPECT_EQ(runboard::test::fileHash(db), hash);
    EXPECT_EQ(runCli({"leaderboard", "--db", db, "--competition", "nope"}, dir).code, 2);
}

TEST(Cli, LeaderboardOfOwnRunsScoresTheSplitAndStoresItsSettings) {
    TempDir dir;
    const std::string db = dir.file("own.db");
    {
        auto store = runboard::storage::RunStore::open(db);
        auto writer = runboard::storage::Writer::open(db);
        for (int run = 0; run < 2; ++run) {
            auto r = store->createRun({"r" + std::to_string(run),
                                       std::nullopt,
                                       "{}",
                                       0,
                                       {},
                                       runboard::storage::RunStatus::Running});
            runboard::test::queueTestPredictions(*writer.value(), r->id, 300, [&](std::int64_t i) {
                return run == 1 && i % 4 == 0;
            });
            ASSERT_TRUE(writer.value()->flush());
            r->lock.release();
            ASSERT_TRUE(store->setStatus(r->id, runboard::storage::RunStatus::Finished));
        }
    }
    const Output o = runCli({"leaderboard", "--own", "--db", db, "--json"}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const json j = json::parse(o.out);
    EXPECT_EQ(j["competition"]["metric"], "accuracy");
    ASSERT_EQ(j["entries"].size(), 2u);
    EXPECT_EQ(j["entries"][0]["run"], 1);
    EXPECT_DOUBLE_EQ(j["entries"][0]["public_score"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(j["entries"][0]["private_score"].get<double>(), 1.0);
    EXPECT_LT(j["entries"][1]["private_score"].get<double>(), 1.0);
    // Settings given once are stored and used by the next call.
    const Output ll = runCli({"leaderboard", "--own", "--db", db, "--metric", "logloss",
                              "--public-fraction", "0.5", "--json"},
                             dir);
    ASSERT_EQ(ll.code, 0) << ll.err;
    const Output again = runCli({"leaderboard", "--own", "--db", db, "--json"}, dir);
    const json k = json::parse(again.out);
    EXPECT_EQ(k["competition"]["metric"], "logloss");
    EXPECT_FALSE(k["competition"]["higher_is_better"].get<bool>());
    EXPECT_NE(k["competition"]["name"].get<std::string>().find("50% public"), std::string::npos);
    EXPECT_NEAR(k["entries"][0]["public_score"].get<double>(), std::log(2.0), 1e-6);
    EXPECT_EQ(runCli({"leaderboard", "--own", "--db", db, "--metric", "auc"}, dir).code, 2);
    EXPECT_EQ(runCli({"leaderboard", "--db", db, "--split-seed", "3"}, dir).code, 2);

    // Competition mode: no command shows the private part.
    EXPECT_EQ(runCli({"leaderboard", "--db", db, "--competition-mode", "maybe"}, dir).code, 2);
    ASSERT_EQ(runCli({"leaderboard", "--db", db, "--competition-mode", "on"}, dir).code, 0);
    const json hidden =
        json::parse(runCli({"leaderboard", "--own", "--db", db, "--json"}, dir).out);
    for (const auto& e : hidden["entries"]) {
        EXPECT_TRUE(e["private_score"].is_null());
        EXPECT_TRUE(e["shift"].is_null());
    }
    EXPECT_TRUE(hidden["summary"]["private"]["median"].is_null());
    const json show = json::parse(runCli({"show", "2", "--db", db, "--json"}, dir).out);
    EXPECT_EQ(show["test_part"], "public");
    EXPECT_NE(runCli({"runs", "--db", db}, dir).out.find("PUB_ACC"), std::string::npos);
    ASSERT_EQ(runCli({"leaderboard", "--db", db, "--competition-mode", "off"}, dir).code, 0);
    const json shown = json::parse(runCli({"leaderboard", "--own", "--db", db, "--json"}, dir).out);
    EXPECT_FALSE(shown["entries"][0]["private_score"].is_null());
    EXPECT_EQ(json::parse(runCli({"show", "2", "--db", db, "--json"}, dir).out)["test_part"],
              "all");
}

TEST(Cli, CtrlCStopsTheRunFlushesAndExits130) {
    TempDir dir;
    runboard::test::writeFakeFashionMnist(dir.path() / "data", 3000, 100);
    const std::string db = dir.file("stop.db");
    const std::string err = dir.file("err.txt");
    const pid_t pid = runboard::test::spawnCli(
        {"train", "--db", db, "--set", "data.dir=" + (dir.path() / "data").string(), "--set",
         "data.val_size=200", "--set", "epochs=50", "--set", "model=mlp", "--set", "batch_size=16"},
        err);
    ASSERT_GT(pid, 0);
    // Wait until training has logged steps, then interrupt.
    bool started = false;
    int status = 0;
    for (int i = 0; i < 600 && !started; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        started = runboard::test::readFile(err).find("epoch 1/50") != std::string::npos;
        if (!started && waitpid(pid, &status, WNOHANG) == pid) break;  // it ended on its own
    }
    ASSERT_TRUE(started) << runboard::test::readFile(err);
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 130);
    auto store = runboard::storage::RunStore::open(db);
    ASSERT_TRUE(store);
    auto run = store->run(1);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, runboard::storage::RunStatus::Stopped);
    EXPECT_NE(run->message.find("stopped by request"), std::string::npos);
    // Everything up to the stop was flushed: one train/loss row per step taken.
    auto loss = store->series(1, "train/loss");
    ASSERT_TRUE(loss);
    EXPECT_GE(loss->size(), 175u);  // at least the first epoch: (3000 - 200 val) / 16
    EXPECT_EQ(static_cast<std::int64_t>(loss->size()), loss->back().step);
}
