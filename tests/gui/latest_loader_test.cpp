// LatestLoader owns staleness, the read-only store, errors and destruction for every view: a
// result of a superseded request is never applied, a burst of requests costs two loads, a
// missing database is an error that creates no file, and a loader destroyed mid-load returns at
// once and applies nothing.

#include "widgets/latest_loader.h"

#include <gtest/gtest.h>

#include <QObject>
#include <QTest>
#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/fixtures.h"
#include "widgets/thread_handoff.h"

using namespace runboard;
using Loader = widgets::LatestLoader<int>;

namespace {

// Loads that wait for a gate, counting how many ran and what was applied or failed.
struct Harness {
    explicit Harness(std::string db) : database(QString::fromStdString(std::move(db))) {}

    std::unique_ptr<Loader> make() {
        return std::make_unique<Loader>(
            &context,
            [this]() -> std::optional<Loader::Job> {
                const int value = next;  // the view's state when the load begins
                return Loader::Job{database, [this, value, gate = gate](storage::RunStore&) {
                                       gate.wait();
                                       ++ran;
                                       return storage::Result<int>(value);
                                   }};
            },
            [this](int v) { applied.push_back(v); },
            [this](const QString& e) { failed.push_back(e.toStdString()); });
    }
    void open() { release.set_value(); }

    QString database;
    QObject context;
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::atomic<int> ran{0};
    int next = 0;
    std::vector<int> applied;
    std::vector<std::string> failed;
};

std::string makeDatabase(test::TempDir& dir) {
    const std::string db = dir.file("l.db");
    EXPECT_TRUE(storage::RunStore::open(db));
    return db;
}

}  // namespace

TEST(LatestLoader, ABurstCostsTwoLoadsAndOnlyTheNewestStateIsApplied) {
    test::TempDir dir;
    Harness h(makeDatabase(dir));
    auto loader = h.make();
    h.next = 1;
    loader->request();  // begins at once, for state 1
    for (int state = 2; state <= 5; ++state) {
        h.next = state;
        loader->request();  // remembered: only the newest matters
    }
    h.open();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !h.applied.empty() && !loader->loading(); }, 5000));
    QTest::qWait(50);
    EXPECT_EQ(h.ran.load(), 2);
    EXPECT_EQ(h.applied, std::vector<int>{5}) << "the load for state 1 was superseded";
    EXPECT_TRUE(h.failed.empty());
}

TEST(LatestLoader, InvalidateDropsTheLoadInFlight) {
    test::TempDir dir;
    Harness h(makeDatabase(dir));
    auto loader = h.make();
    h.next = 1;
    loader->request();
    loader->invalidate();  // e.g. the run was deselected
    h.open();
    ASSERT_TRUE(QTest::qWaitFor([&] { return h.ran.load() == 1 && !loader->loading(); }, 5000));
    QTest::qWait(50);
    EXPECT_TRUE(h.applied.empty());
    h.next = 2;
    loader->request();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !h.applied.empty(); }, 5000));
    EXPECT_EQ(h.applied, std::vector<int>{2});
}

TEST(LatestLoader, AMissingDatabaseFailsWithItsNameAndIsNotCreated) {
    test::TempDir dir;
    const std::string missing = dir.file("typo.db");
    Harness h(missing);
    h.open();
    auto loader = h.make();
    loader->request();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !h.failed.empty(); }, 5000));
    EXPECT_NE(h.failed.front().find("typo.db"), std::string::npos) << h.failed.front();
    EXPECT_EQ(h.ran.load(), 0);
    EXPECT_TRUE(h.applied.empty());
    EXPECT_FALSE(std::filesystem::exists(missing)) << "a read created the database";
}

TEST(LatestLoader, DestroyedMidLoadItReturnsAtOnceAndAppliesNothing) {
    test::TempDir dir;
    Harness h(makeDatabase(dir));
    auto loader = h.make();
    h.next = 1;
    loader->request();
    // The load waits at its gate: the destructor does not wait for it (a view closed while the
    // pool is busy must not freeze the GUI).
    loader.reset();
    EXPECT_EQ(h.ran.load(), 0);
    h.open();
    ASSERT_TRUE(QTest::qWaitFor([&] { return h.ran.load() == 1; }, 5000));
    QTest::qWait(50);  // its notice would arrive now
    EXPECT_TRUE(h.applied.empty());
    EXPECT_TRUE(h.failed.empty());
}

TEST(LatestLoader, WorkThatThrowsIsAnErrorNotTheEndOfTheProgram) {
    test::TempDir dir;
    const QString db = QString::fromStdString(makeDatabase(dir));
    QObject context;
    std::vector<std::string> failed;
    int applied = 0;
    Loader loader(
        &context,
        [&]() -> std::optional<Loader::Job> {
            return Loader::Job{db, [](storage::RunStore&) -> storage::Result<int> {
                                   throw std::runtime_error("the snapshot could not be built");
                               }};
        },
        [&](int) { ++applied; }, [&](const QString& e) { failed.push_back(e.toStdString()); });
    loader.request();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !failed.empty(); }, 5000));
    EXPECT_EQ(failed.front(), "the snapshot could not be built");
    EXPECT_EQ(applied, 0);
    EXPECT_FALSE(loader.loading());
}

TEST(ThreadMailbox, RunsWhatAnotherThreadPostsOnItsOwnThreadInOrder) {
    widgets::ThreadMailbox box;
    std::vector<int> seen;
    std::vector<std::thread::id> ranOn;
    std::thread poster([&] {
        for (int i = 0; i < 200; ++i)
            box.post([&, i] {
                seen.push_back(i);
                ranOn.push_back(std::this_thread::get_id());
            });
    });
    poster.join();
    ASSERT_TRUE(QTest::qWaitFor([&] { return seen.size() == 200; }, 5000));
    for (int i = 0; i < 200; ++i)
        EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
    for (const auto& id : ranOn)
        EXPECT_EQ(id, std::this_thread::get_id());
}
