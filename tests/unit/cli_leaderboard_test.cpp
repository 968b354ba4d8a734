// `runboard leaderboard` as a user runs it, on what a new user has: finished runs and no imported
// competition (own runs are shown), nothing at all (exit 2 with a hint), and an import whose file
// has a team twice (exit 3, naming the file, the TeamId and both lines; nothing imported).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/leaderboard.h"
#include "storage/run_store.h"
#include "storage/writer.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/predictions.h"

using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::TempDir;
using json = nlohmann::json;

TEST(Cli, LeaderboardWithoutACompetitionShowsOwnRuns) {
    TempDir dir;
    const std::string db = dir.file("own.db");
    {
        auto store = runboard::storage::RunStore::open(db);
        auto writer = runboard::storage::Writer::open(db);
        auto r = store->createRun(
            {"first", std::nullopt, "{}", 0, {}, runboard::storage::RunStatus::Running});
        runboard::test::queueTestPredictions(*writer.value(), r->id, 100,
                                             [](std::int64_t) { return false; });
        ASSERT_TRUE(writer.value()->flush());
        r->lock.release();
        ASSERT_TRUE(store->setStatus(r->id, runboard::storage::RunStatus::Finished));
    }
    const Output text = runCli({"leaderboard", "--db", db}, dir);
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("competition \"own runs, 30% public"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("first"), std::string::npos);
    EXPECT_NE(text.err.find("no imported competition; showing your own runs"), std::string::npos);
    const Output j = runCli({"leaderboard", "--db", db, "--json"}, dir);
    ASSERT_EQ(j.code, 0) << j.err;
    const json board = json::parse(j.out);
    EXPECT_EQ(board["competition"]["id"], 0);
    ASSERT_EQ(board["entries"].size(), 1u);
    EXPECT_EQ(board["entries"][0]["run"], 1);
}

TEST(Cli, LeaderboardWithNothingToRankSaysSo) {
    TempDir dir;
    const std::string db = dir.file("empty.db");
    ASSERT_TRUE(runboard::storage::RunStore::open(db));
    const Output o = runCli({"leaderboard", "--db", db}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("nothing to rank yet"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("runboard leaderboard import"), std::string::npos) << o.err;
}

TEST(Cli, LeaderboardImportRefusesATeamIdTwice) {
    TempDir dir;
    const std::string db = dir.file("dup.db");
    const std::string pub = dir.file("public.csv"), priv = dir.file("private.csv");
    runboard::test::writeFile(
        pub,
        "TeamId,TeamName,SubmissionDate,Score\n7,alpha,d1,0.9\n8,beta,d2,0.8\n"
        "7,gamma,d3,0.7\n");
    runboard::test::writeFile(
        priv, "TeamId,TeamName,SubmissionDate,Score\n7,alpha,d1,0.8\n8,beta,d2,0.85\n");
    const Output o = runCli(
        {"leaderboard", "import", "--db", db, "--name", "dup", "--public", pub, "--private", priv},
        dir);
    EXPECT_EQ(o.code, 3) << o.err;
    EXPECT_NE(o.err.find("public.csv' has TeamId '7' twice (lines 2 and 4)"), std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("nothing was imported"), std::string::npos) << o.err;
    auto store = runboard::storage::RunStore::open(db);
    if (store) {
        auto all = runboard::storage::listCompetitions(store->connection());
        ASSERT_TRUE(all);
        EXPECT_TRUE(all->empty());
    }
}
