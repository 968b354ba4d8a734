// LR sweeps in storage: written whole, read back exactly (NaN/Inf included), listed newest first,
// renamed, deleted with their points and suggestions; a version-2 database migrates to them.

#include "storage/sweep_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "storage/run_store.h"
#include "support/fixtures.h"

using namespace runboard::storage;

namespace {

NewSweep sample(const std::string& name) {
    NewSweep w;
    w.name = name;
    w.configJson = R"({"model":"cnn","optimizer":"sgd"})";
    w.start = 1e-7;
    w.end = 10;
    w.steps = 100;
    w.mode = "exp";
    w.beta = 0.98;
    w.stopFactor = 4;
    for (int i = 0; i < 50; ++i)
        w.points.push_back({i, 1e-7 * std::pow(1.2, i), 2.3 - 0.01 * i, 2.3 - 0.009 * i});
    w.points.push_back({50, 1e-7 * std::pow(1.2, 50), std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity()});
    w.stopStep = 50;
    w.stopLr = w.points.back().lr;
    w.stopReason = "nonfinite";
    w.seconds = 3.5;
    w.suggestions = {{"steepest", 1e-3, 30}, {"valley", 2e-3, 25}, {"minimum/10", 1e-4, 49}};
    return w;
}

}  // namespace

TEST(SweepStore, RoundTripsEveryPointAndSuggestion) {
    runboard::test::TempDir dir;
    auto store = RunStore::open(dir.file("s.db"));
    ASSERT_TRUE(store);
    Connection& db = store->connection();
    const NewSweep w = sample("sgd bs 128");
    auto id = insertSweep(db, w);
    ASSERT_TRUE(id) << id.error().message;
    auto r = sweepRecord(db, id.value());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->name, "sgd bs 128");
    EXPECT_EQ(r->configJson, w.configJson);
    EXPECT_EQ(r->mode, "exp");
    EXPECT_DOUBLE_EQ(r->beta, 0.98);
    EXPECT_DOUBLE_EQ(r->stopFactor, 4);
    EXPECT_EQ(r->steps, 100);
    EXPECT_EQ(r->stopStep, 50);
    EXPECT_EQ(r->stopReason, "nonfinite");
    EXPECT_DOUBLE_EQ(r->seconds, 3.5);
    EXPECT_EQ(r->pointCount, 51);
    EXPECT_FALSE(r->createdAt.empty());
    auto sorted = r->suggestions;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.rule < b.rule; });
    EXPECT_EQ(sorted, (std::vector<SweepSuggestionRow>{
                          {"minimum/10", 1e-4, 49}, {"steepest", 1e-3, 30}, {"valley", 2e-3, 25}}));
    auto points = sweepPoints(db, id.value());
    ASSERT_TRUE(points);
    ASSERT_EQ(points->size(), w.points.size());
    for (std::size_t i = 0; i + 1 < w.points.size(); ++i) {
        EXPECT_EQ((*points)[i].step, w.points[i].step);
        EXPECT_EQ((*points)[i].lr, w.points[i].lr);
        EXPECT_EQ((*points)[i].loss, w.points[i].loss);
        EXPECT_EQ((*points)[i].smoothed, w.points[i].smoothed);
    }
    EXPECT_TRUE(std::isnan(points->back().loss));
    EXPECT_EQ(points->back().smoothed, std::numeric_limits<double>::infinity());
}

TEST(SweepStore, ListsNewestFirstRenamesAndDeletesWithEverythingOfTheirs) {
    runboard::test::TempDir dir;
    auto store = RunStore::open(dir.file("s.db"));
    Connection& db = store->connection();
    const SweepId a = insertSweep(db, sample("a")).value();
    const SweepId b = insertSweep(db, sample("b")).value();
    auto all = listSweeps(db);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ(all->front().id, b);
    EXPECT_EQ(all->front().suggestions.size(), 3u);
    ASSERT_TRUE(renameSweep(db, a, "adam"));
    EXPECT_EQ(sweepRecord(db, a)->name, "adam");
    ASSERT_TRUE(deleteSweep(db, a));
    EXPECT_EQ(sweepRecord(db, a).error().kind, ErrorKind::NotFound);
    EXPECT_EQ(
        db.queryInt("SELECT count(*) FROM lr_sweep_points WHERE sweep_id = " + std::to_string(a))
            .value(),
        0);
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM lr_sweep_suggestions WHERE sweep_id = " +
                          std::to_string(a))
                  .value(),
              0);
    EXPECT_EQ(sweepPoints(db, b)->size(), 51u) << "the other sweep is untouched";
    EXPECT_EQ(deleteSweep(db, a).error().kind, ErrorKind::NotFound);
    EXPECT_EQ(renameSweep(db, 999, "x").error().kind, ErrorKind::NotFound);
}

TEST(SweepStore, AFailedInsertLeavesNothing) {
    runboard::test::TempDir dir;
    auto store = RunStore::open(dir.file("s.db"));
    Connection& db = store->connection();
    NewSweep w = sample("dup");
    w.points.push_back(w.points.front());  // the same step twice: the primary key refuses it
    EXPECT_FALSE(insertSweep(db, w));
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM lr_sweeps").value(), 0);
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM lr_sweep_points").value(), 0);
}

TEST(SweepStore, AVersionTwoDatabaseMigrates) {
    runboard::test::TempDir dir;
    const std::string path = dir.file("v2.db");
    {
        auto db = openDatabase(path, {.schemaVersion = 2});
        ASSERT_TRUE(db);
        ASSERT_EQ(db->queryInt("PRAGMA user_version").value(), 2);
        ASSERT_TRUE(
            db->exec("INSERT INTO lr_sweeps (config_json, stop_step, stop_lr, stop_reason) "
                     "VALUES ('{}', 3, 0.1, 'exploded')"));
    }
    auto store = RunStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    auto all = listSweeps(store->connection());
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().stopReason, "exploded");
    EXPECT_TRUE(all->front().suggestions.empty());
    EXPECT_TRUE(insertSweep(store->connection(), sample("new")));
}
