// A run's checklist in the store: kept in order with NaN values and details, replaced whole,
// malformed rows refused with nothing written, and the worst status per run.

#include "storage/checks_store.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/fixtures.h"

using namespace runboard::storage;

TEST(ChecksStore, RoundTripReplaceRefuseAndSummarise) {
    runboard::test::TempDir dir;
    auto store = RunStore::open(dir.file("c.db"));
    const RunId a = store->createRun({"a", std::nullopt, "{}", 0, {}, RunStatus::Finished})->id;
    const RunId b = store->createRun({"b", std::nullopt, "{}", 0, {}, RunStatus::Finished})->id;
    auto& db = store->connection();
    const std::vector<CheckRow> rows = {
        {"init.loss", "pass", 2.31, "initial loss 2.31", {}},
        {"gradients.flow", "fail", 2, "2 parameters get no gradient", {"x.weight", "x.bias"}},
        {"data.bound", "warn", std::nan(""), "unknown", {}}};
    ASSERT_TRUE(storeChecks(db, a, rows));
    auto back = runChecks(db, a);
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 3u);
    EXPECT_EQ((*back)[1], rows[1]);
    EXPECT_TRUE(std::isnan((*back)[2].value));
    // A bad status writes nothing; the stored list stays whole.
    auto bad = storeChecks(db, a, {{"x", "maybe", 0, "", {}}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::InvalidArgument);
    EXPECT_EQ(runChecks(db, a)->size(), 3u);
    ASSERT_TRUE(storeChecks(db, b, {{"init.loss", "warn", 4, "off", {}}, rows[0]}));
    auto summary = checkSummaries(db);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->at(a), "fail");
    EXPECT_EQ(summary->at(b), "warn");
    // Replaced whole.
    ASSERT_TRUE(storeChecks(db, a, {rows[0]}));
    EXPECT_EQ(runChecks(db, a)->size(), 1u);
    EXPECT_EQ(checkSummaries(db)->at(a), "pass");
    // A check made during training goes to the end.
    ASSERT_TRUE(appendCheck(db, a, {"training.flat_loss", "warn", 0.001, "flat", {}}));
    auto all = runChecks(db, a);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ(all->back().name, "training.flat_loss");
    EXPECT_EQ(checkSummaries(db)->at(a), "warn");
    EXPECT_FALSE(appendCheck(db, a, {"x", "bad", 0, "", {}}));
    EXPECT_EQ(runChecks(db, a)->size(), 2u);
}
