// `runboard profile`: its JSON and text on a database written row by row (golden files: the field
// names are a contract, documented in the README), its errors, and a real run with an op profiler
// window whose trace exists and parses.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/run_store.h"
#include "support/cli_run.h"
#include "support/profile_fixture.h"

using namespace runboard;
using namespace runboard::test;

namespace {

// Paths differ from machine to machine: the golden files hold "DIR" for the test's folder.
std::string withoutDir(std::string text, const TempDir& dir) {
    const std::string d = dir.path().string();
    for (std::size_t at = text.find(d); at != std::string::npos; at = text.find(d, at))
        text.replace(at, d.size(), "DIR");
    return text;
}

}  // namespace

TEST(CliProfile, JsonAndTextMatchGoldenFiles) {
    TempDir dir;
    const std::string db = profiledDatabase(dir.file("p.db"), dir.file("trace.json"));
    Output o = runCli({"profile", "1", "--db", db, "--json"}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    expectGolden("profile.json", withoutDir(o.out, dir));
    const auto j = nlohmann::json::parse(o.out);
    EXPECT_EQ(j["epochs"].size(), 2u);
    EXPECT_TRUE(j["data_bound"].get<bool>());  // 10.5 of 35 ms
    EXPECT_NEAR(j["cost"]["share_of_peak"].get<double>(), 3 * 15700.0 * 100 / 0.035 / 1e9 / 50,
                1e-12);
    EXPECT_EQ(j["cost"]["uncounted"]["aten::lstm"], 1);
    o = runCli({"profile", "1", "--db", db}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    expectGolden("profile.txt", withoutDir(o.out, dir));
    EXPECT_NE(o.out.find("data.workers"), std::string::npos);
    EXPECT_NE(o.out.find("no formula"), std::string::npos);
    o = runCli({"profile", "1", "--db", db, "--top", "1"}, dir);
    EXPECT_NE(o.out.find("... 1 more"), std::string::npos) << o.out;
}

TEST(CliProfile, ErrorsHaveTheirExitCodes) {
    TempDir dir;
    const std::string db = profiledDatabase(dir.file("p.db"), dir.file("trace.json"));
    Output o = runCli({"profile", "7", "--db", db}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("7"), std::string::npos) << o.err;
    o = runCli({"profile", "abc", "--db", db}, dir);
    EXPECT_EQ(o.code, 2);
    o = runCli({"profile", "1", "--db", db, "--top", "-3"}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("--top"), std::string::npos) << o.err;
    o = runCli({"profile", "1", "--db", dir.file("missing.db")}, dir);
    EXPECT_EQ(o.code, 4);
    EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));
    // A run that never trained: what is missing, in words, and exit 0.
    auto store = storage::RunStore::open(db);
    ASSERT_TRUE(store->createRun({"empty", std::nullopt, "{}", 1, {}, storage::RunStatus::Failed}));
    o = runCli({"profile", "2", "--db", db}, dir);
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("No step timing"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("profile.steps"), std::string::npos) << o.out;
}

TEST(CliProfile, ATrainedRunHasItsWindowTraceAndCost) {
    TempDir dir;
    writeFakeFashionMnist(dir.path() / "data", 600, 200);
    const std::string db = dir.file("t.db");
    Output o = runCli({"train",
                       "--db",
                       db,
                       "--set",
                       "data.dir=" + (dir.path() / "data").string(),
                       "--set",
                       "data.val_size=100",
                       "--set",
                       "model=mlp",
                       "--set",
                       "batch_size=50",
                       "--set",
                       "checks.enabled=false",
                       "--set",
                       "threads=1",
                       "--set",
                       "profile.steps=3",
                       "--set",
                       "profile.warmup=1",
                       "--set",
                       "epochs=1"},
                      dir);
    ASSERT_EQ(o.code, 0) << o.err;
    o = runCli({"profile", "1", "--db", db, "--json"}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const auto j = nlohmann::json::parse(o.out);
    ASSERT_EQ(j["windows"].size(), 1u);
    const auto& w = j["windows"][0];
    EXPECT_EQ(w["first_step"], 2);
    EXPECT_EQ(w["steps"], 3);
    const std::string trace = w["trace"]["path"].get<std::string>();
    ASSERT_TRUE(std::filesystem::exists(trace)) << trace;
    const auto t = nlohmann::json::parse(readFile(trace));
    EXPECT_EQ(t["traceEvents"].size(), w["trace"]["events"].get<std::size_t>());
    EXPECT_GT(w["ops"].size(), 5u);
    EXPECT_EQ(j["epochs"].size(), 1u);
    EXPECT_GT(j["cost"]["forward_flops"].get<double>(), 2.0 * 784 * 512);
    EXPECT_GT(j["cost"]["achieved_gflops"].get<double>(), 0);
    // Deleting the run takes its trace with it (it lives with the run's checkpoints).
    auto store = storage::RunStore::open(db);
    ASSERT_TRUE(store->deleteRun(1));
    EXPECT_FALSE(std::filesystem::exists(trace));
}
