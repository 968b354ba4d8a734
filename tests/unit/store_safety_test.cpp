// Storage hardening (issue 13): run identity that cannot be confused (ids never reused, locks
// found through any spelling of the path, rows never attached to a deleted run), a writer that
// waits out another process's lock instead of dropping rows, a full disk that keeps what was
// committed, paths that are not database files refused, and read opens that create nothing.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "storage/lineage.h"
#include "storage/run_store.h"
#include "storage/schema.h"
#include "storage/writer.h"
#include "support/fixtures.h"
#include "support/small_disk.h"

using namespace runboard::storage;
using runboard::test::SmallDisk;
using runboard::test::TempDir;
namespace fs = std::filesystem;

namespace {

NewRun run(const std::string& name, std::optional<RunId> parent = {},
           std::vector<Param> params = {{"lr", "0.1", "float"}}) {
    NewRun r;
    r.name = name;
    r.parent = parent;
    r.configJson = "{}";
    r.params = std::move(params);
    return r;
}

std::int64_t count(Connection& db, const std::string& sql) {
    auto n = db.queryInt(sql);
    EXPECT_TRUE(n) << n.error().message;
    return n ? n.value() : -1;
}

}  // namespace

TEST(RunIdentity, IdsOfDeletedRunsAreNeverReused) {
    TempDir dir;
    auto store = RunStore::open(dir.file("a.db"));
    ASSERT_TRUE(store) << store.error().message;
    RunId last = 0;
    {
        auto a = store->createRun(run("a"));
        auto b = store->createRun(run("b"));
        ASSERT_TRUE(a && b);
        last = b->id;
    }
    ASSERT_TRUE(store->deleteRun(last));
    auto c = store->createRun(run("c"));
    ASSERT_TRUE(c);
    EXPECT_GT(c->id, last) << "a new run took the id of a deleted one";
}

TEST(RunIdentity, MigrationToV8KeepsIdsAboveOrphanRowsAndRemovesThem) {
    TempDir dir;
    const std::string path = dir.file("v7.db");
    {
        auto db = openDatabase(path, {.schemaVersion = 7});
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_TRUE(db->exec(
            "PRAGMA foreign_keys=OFF;"  // as the writer's connection runs
            "INSERT INTO runs(id, name, status, config_json, seed, started_at, finished_at) VALUES "
            "(1, 'kept', 'finished', '{}', 1, '2026-01-01T00:00:00.000Z', "
            "'2026-01-01T00:10:00.000Z');"
            "INSERT INTO metric_keys(id, name) VALUES (1, 'train/loss');"
            // rows a trainer wrote for run 5 after it was deleted (the writer skips FK checks)
            "INSERT INTO metrics(run_id, key_id, step, wall, value) VALUES (5, 1, 1, 0, 1.0);"
            "INSERT INTO metrics(run_id, key_id, step, wall, value) VALUES (1, 1, 1, 0, 2.0);"));
    }
    auto store = RunStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    auto& db = store->connection();
    EXPECT_EQ(count(db, "PRAGMA user_version"), latestSchemaVersion());
    EXPECT_EQ(count(db, "SELECT count(*) FROM metrics WHERE run_id = 5"), 0);
    EXPECT_EQ(count(db, "SELECT count(*) FROM metrics WHERE run_id = 1"), 1);
    EXPECT_EQ(count(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    auto kept = store->run(1);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->name, "kept");
    auto next = store->createRun(run("new"));
    ASSERT_TRUE(next);
    EXPECT_GT(next->id, 5) << "the new run would inherit the orphan rows' id";
}

TEST(RunIdentity, MigrationToV8IsNotBlockedByDanglingRowsItDidNotMake) {
    TempDir dir;
    const std::string path = dir.file("v7.db");
    {
        auto db = openDatabase(path, {.schemaVersion = 7});
        ASSERT_TRUE(db) << db.error().message;
        // points of a sweep deleted by an older build (points do not reference runs)
        ASSERT_TRUE(
            db->exec("PRAGMA foreign_keys=OFF;"
                     "INSERT INTO lr_sweep_points(sweep_id, step, lr, loss) "
                     "VALUES (42, 1, 0.001, 2.3);"));
    }
    auto store = RunStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_EQ(count(store->connection(), "PRAGMA user_version"), latestSchemaVersion());
}

TEST(RunIdentity, AMigrationAnotherProcessCommittedWhileThisOneWaitedIsNotRunAgain) {
    TempDir dir;
    const std::string path = dir.file("v7.db");
    auto holder = openDatabase(path, {.schemaVersion = 7});
    ASSERT_TRUE(holder) << holder.error().message;
    ASSERT_TRUE(holder->exec("BEGIN IMMEDIATE"));
    Result<Connection> opened = Error{ErrorKind::Sql, "not opened"};
    std::thread second([&] { opened = openDatabase(path, {.create = false}); });
    // The second opener has read version 7 and waits for the write lock to migrate; the holder
    // stands for a process that migrates meanwhile (it only marks the version, so a migration
    // run again would be seen in the runs table).
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_TRUE(holder->exec("PRAGMA user_version=8; COMMIT"));
    second.join();
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(count(opened.value(),
                    "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'alive_at'"),
              0)
        << "the 7 -> 8 step ran again after another process had migrated";
}

TEST(RunIdentity, ALiveRunIsSeenThroughASymlinkAndARelativeSpelling) {
    TempDir dir;
    const std::string real = dir.file("real.db");
    auto owner = RunStore::open(real);
    ASSERT_TRUE(owner) << owner.error().message;
    auto live = owner->createRun(run("live"));
    ASSERT_TRUE(live);

    fs::create_symlink(real, dir.file("link.db"));
    fs::create_directory(dir.file("sub"));
    const std::string spellings[] = {dir.file("link.db"), dir.file("sub") + "/../real.db",
                                     dir.file("sub") + "/./../link.db"};
    for (const std::string& path : spellings) {
        auto other = RunStore::open(path);
        ASSERT_TRUE(other) << path << ": " << other.error().message;
        EXPECT_EQ(other->path(), fs::canonical(real).string());
        auto seen = other->run(live->id);
        ASSERT_TRUE(seen);
        EXPECT_EQ(seen->status, RunStatus::Running) << "opened as " << path;
        auto del = other->deleteRun(live->id);
        EXPECT_FALSE(del) << "a running run was deleted through " << path;
    }
}

TEST(RunIdentity, TheWriterStoresNothingForARunDeletedUnderIt) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    auto doomed = store->createRun(run("doomed"));
    auto kept = store->createRun(run("kept"));
    ASSERT_TRUE(doomed && kept);
    auto writer = Writer::open(path);
    ASSERT_TRUE(writer);
    const KeyHandle k = writer.value()->key("train/loss");
    writer.value()->metric(doomed->id, k, 1, 1.0, 0);
    writer.value()->metric(kept->id, k, 1, 1.0, 0);
    ASSERT_TRUE(writer.value()->flush());
    EXPECT_FALSE(writer.value()->failed());

    doomed->lock.release();  // as if another process deleted it after its owner lost the lock
    ASSERT_TRUE(store->deleteRun(doomed->id));
    writer.value()->metric(doomed->id, k, 2, 2.0, 0);
    writer.value()->metric(kept->id, k, 2, 2.0, 0);
    auto flushed = writer.value()->flush();
    EXPECT_FALSE(flushed);
    EXPECT_TRUE(writer.value()->failed());
    if (!flushed) {
        EXPECT_EQ(flushed.error().kind, ErrorKind::NotFound);
        EXPECT_NE(flushed.error().message.find("no longer exists"), std::string::npos)
            << flushed.error().message;
    }
    auto& db = store->connection();
    EXPECT_EQ(
        count(db, "SELECT count(*) FROM metrics WHERE run_id = " + std::to_string(doomed->id)), 0);
    EXPECT_EQ(count(db, "SELECT count(*) FROM metrics WHERE run_id = " + std::to_string(kept->id)),
              2)
        << "the other run's rows of the same batch were lost";
    EXPECT_EQ(count(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

// A store with one run, and a second connection that stands for another process: it takes the
// write lock with BEGIN IMMEDIATE when a test says so.
class WriterUnderLock : public ::testing::Test {
protected:
    void SetUp() override {
        store = RunStore::open(path);
        ASSERT_TRUE(store) << store.error().message;
        auto r = store->createRun(run("r"));
        ASSERT_TRUE(r);
        runId = r->id;
        blocker = openDatabase(path, {.create = false});
        ASSERT_TRUE(blocker) << blocker.error().message;
    }
    TempDir dir;
    const std::string path = dir.file("a.db");
    Result<RunStore> store = Error{ErrorKind::Sql, "not opened"};
    RunId runId = 0;
    Result<Connection> blocker = Error{ErrorKind::Sql, "not opened"};
};

TEST_F(WriterUnderLock, WaitsOutAnotherProcessesWriteLockAndDropsNothing) {
    auto writer = Writer::open(path, {.flushInterval = std::chrono::milliseconds(20),
                                      .busyTimeout = std::chrono::milliseconds(50),
                                      .warnAfter = std::chrono::milliseconds(200)});
    ASSERT_TRUE(writer);
    ASSERT_TRUE(blocker->exec("BEGIN IMMEDIATE"));
    const KeyHandle k = writer.value()->key("train/loss");
    std::thread producer([&] {
        for (int step = 1; step <= 500; ++step) {
            writer.value()->metric(runId, k, step, step * 0.5, 0);
            if (step % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(60));
        }
    });
    producer.join();  // ~600 ms with the lock held: many times the writer's busy timeout
    EXPECT_GT(writer.value()->stats().busyRetries, 0u);
    EXPECT_FALSE(writer.value()->failed());
    ASSERT_TRUE(blocker->exec("COMMIT"));
    auto flushed = writer.value()->flush();
    EXPECT_TRUE(flushed) << flushed.error().message;
    EXPECT_EQ(count(store->connection(), "SELECT count(*) FROM metrics"), 500);
    EXPECT_EQ(count(store->connection(), "SELECT sum(step) FROM metrics"), 500 * 501 / 2);
}

TEST_F(WriterUnderLock, GivesUpABusyLockOnlyAfterTheStopGraceAndCountsTheRowsItDid) {
    using namespace std::chrono;
    auto writer = Writer::open(path, {.flushInterval = milliseconds(20),
                                      .busyTimeout = milliseconds(50),
                                      .stopGrace = milliseconds(300)});
    ASSERT_TRUE(writer);
    ASSERT_TRUE(blocker->exec("BEGIN IMMEDIATE"));
    const KeyHandle k = writer.value()->key("train/loss");
    for (int step = 1; step <= 3; ++step)
        writer.value()->metric(runId, k, step, 1.0, 0);
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
        std::this_thread::sleep_for(milliseconds(400));  // waited for, not given up, until then
        EXPECT_EQ(writer.value()->stats().rowsDropped, 0u);
        stop = true;
    });
    const auto began = steady_clock::now();
    auto flushed = writer.value()->flush(&stop);
    const auto waited = steady_clock::now() - began;
    stopper.join();
    ASSERT_FALSE(flushed);
    EXPECT_EQ(flushed.error().kind, ErrorKind::Busy);
    EXPECT_NE(flushed.error().message.find("3 rows were not stored"), std::string::npos)
        << flushed.error().message;
    EXPECT_GE(waited, milliseconds(650)) << "gave up before the stop and its grace";
    EXPECT_LT(waited, seconds(3)) << "the stop grace did not bound the wait";
    EXPECT_EQ(writer.value()->stats().rowsDropped, 3u);
    EXPECT_TRUE(writer.value()->failed());
    ASSERT_TRUE(blocker->exec("COMMIT"));
    EXPECT_EQ(count(store->connection(), "SELECT count(*) FROM metrics"), 0);
}

TEST_F(WriterUnderLock, ItsDestructorEndsWithinTheStopGraceWhileAnotherProcessHoldsTheLock) {
    using namespace std::chrono;
    steady_clock::duration took{};
    {
        auto writer =
            Writer::open(path, {.busyTimeout = seconds(10), .stopGrace = milliseconds(200)});
        ASSERT_TRUE(writer);
        ASSERT_TRUE(blocker->exec("BEGIN IMMEDIATE"));
        writer.value()->metric(runId, writer.value()->key("train/loss"), 1, 1.0, 0);
        const auto began = steady_clock::now();
        writer.value().reset();
        took = steady_clock::now() - began;
    }
    EXPECT_LT(took, seconds(3)) << "the busy handler's 10 s wait was not cut short";
    ASSERT_TRUE(blocker->exec("COMMIT"));
}

TEST(RunStore, AnInterruptedRunEndsWhenItWasLastKnownAlive) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    RunId id = 0;
    {
        auto store = RunStore::open(path);
        ASSERT_TRUE(store);
        auto r = store->createRun(run("r"));
        ASSERT_TRUE(r);
        id = r->id;
        auto writer = Writer::open(path);
        ASSERT_TRUE(writer);
        writer.value()->metric(id, writer.value()->key("train/loss"), 1, 1.0, 0);
        ASSERT_TRUE(writer.value()->flush());
        auto alive = store->connection().queryInt(
            "SELECT count(*) FROM runs WHERE alive_at IS NOT NULL AND alive_at >= started_at");
        ASSERT_TRUE(alive);
        EXPECT_EQ(alive.value(), 1) << "a commit did not mark its run alive";
        // Pretend the process died an hour ago.
        ASSERT_TRUE(
            store->connection().exec("UPDATE runs SET alive_at = '2026-01-01T10:00:00.000Z', "
                                     "started_at = '2026-01-01T09:00:00.000Z'"));
    }  // the lock is released: the owner is gone
    auto store = RunStore::open(path);
    ASSERT_TRUE(store);
    auto r = store->run(id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, RunStatus::Interrupted);
    EXPECT_EQ(r->finishedAt, "2026-01-01T10:00:00.000Z");
}

TEST(Lineage, OperationalKeysAreNotExperimentChanges) {
    TempDir dir;
    auto store = RunStore::open(dir.file("a.db"));
    ASSERT_TRUE(store);
    auto parent = store->createRun(
        run("p", {}, {{"lr", "0.1", "float"}, {"checks.enabled", "true", "bool", true}}));
    ASSERT_TRUE(parent);
    auto onlyOps = store->createRun(
        run("c1", parent->id, {{"lr", "0.1", "float"}, {"checks.enabled", "false", "bool", true}}));
    auto both = store->createRun(
        run("c2", parent->id, {{"lr", "0.2", "float"}, {"checks.enabled", "false", "bool", true}}));
    ASSERT_TRUE(onlyOps && both);
    auto none = changeSet(store->connection(), onlyOps->id);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty()) << none->front().key;
    auto one = changeSet(store->connection(), both->id);
    ASSERT_TRUE(one);
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ(one->front().key, "lr");
    auto params = store->params(both->id);
    ASSERT_TRUE(params);
    for (const auto& p : params.value())
        EXPECT_EQ(p.operational, p.key == "checks.enabled") << p.key;
}

TEST(OpenPaths, WhatIsNotADatabaseFileIsRefusedAndNothingIsCreated) {
    TempDir dir;
    for (const std::string& bad :
         {std::string(), std::string(":memory:"), "file:" + dir.file("u.db"),
          std::string("file:u.db?mode=memory")}) {
        auto store = RunStore::open(bad);
        ASSERT_FALSE(store) << "'" << bad << "' was accepted";
        EXPECT_EQ(store.error().kind, ErrorKind::InvalidArgument) << store.error().message;
    }
    auto asDir = RunStore::open(dir.path().string());
    ASSERT_FALSE(asDir);
    EXPECT_NE(asDir.error().message.find("is a directory"), std::string::npos);
    auto device = RunStore::open("/dev/null");
    ASSERT_FALSE(device);
    EXPECT_NE(device.error().message.find("not a regular file"), std::string::npos)
        << device.error().message;

    const std::string missing = dir.file("typo.db");
    auto read = RunStore::open(missing, {.create = false, .migrate = false});
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("does not exist"), std::string::npos);
    EXPECT_FALSE(fs::exists(missing)) << "a read open created the file";

    const std::string empty = dir.file("empty.db");
    runboard::test::writeFile(empty, "");
    auto zero = RunStore::open(empty, {.create = false, .migrate = false});
    ASSERT_FALSE(zero);
    EXPECT_EQ(fs::file_size(empty), 0u) << "a read open turned an empty file into a database";
}

TEST(OpenPaths, MessagesNameTheFileAndNeverShowSql) {
    TempDir dir;
    auto store = RunStore::open(dir.file("a.db"));
    ASSERT_TRUE(store);
    auto orphan = store->createRun(run("child", RunId{999}));
    ASSERT_FALSE(orphan);
    for (const char* sql : {"INSERT", "SELECT", "VALUES", "strftime"})
        EXPECT_EQ(orphan.error().message.find(sql), std::string::npos) << orphan.error().message;
    EXPECT_NE(orphan.error().message.find("a.db"), std::string::npos) << orphan.error().message;
}

// A real full disk: a 1 MB tmpfs (needs root, as in CI; skipped elsewhere).
TEST(DiskFull, TheWriterStopsCleanlyAndCommittedRowsStayReadable) {
    TempDir dir;
    SmallDisk disk(dir, "1m");
    if (!disk.mounted) GTEST_SKIP() << "needs root to mount a small tmpfs";
    const std::string path = disk.path + "/full.db";
    {
        auto store = RunStore::open(path);
        ASSERT_TRUE(store) << store.error().message;
        auto r = store->createRun(run("r"));
        ASSERT_TRUE(r);
        auto writer = Writer::open(path);
        ASSERT_TRUE(writer);
        PredictionRow p;
        p.runId = r->id;
        p.split = "test";
        p.probs.assign(1000, 0.1f);  // 4 KB a row: the disk fills within a few hundred
        for (int i = 0; i < 10; ++i)
            p.sampleIndex = i, writer.value()->prediction(p);
        ASSERT_TRUE(writer.value()->flush()) << "the first rows should fit";
        Status flushed;
        for (int i = 10; i < 2000 && flushed; i += 50) {
            for (int j = i; j < i + 50; ++j)
                p.sampleIndex = j, writer.value()->prediction(p);
            flushed = writer.value()->flush();
        }
        ASSERT_FALSE(flushed) << "a 1 MB disk took 8 MB of rows";
        EXPECT_EQ(flushed.error().kind, ErrorKind::DiskFull) << flushed.error().message;
        EXPECT_NE(flushed.error().message.find("full"), std::string::npos);
        EXPECT_TRUE(writer.value()->failed());
    }
    auto reader = RunStore::open(path, {.create = false, .migrate = false});
    ASSERT_TRUE(reader) << "a read open failed on a full disk: " << reader.error().message;
    auto runs = reader->runs();
    ASSERT_TRUE(runs) << runs.error().message;
    EXPECT_EQ(runs->size(), 1u);
    EXPECT_GE(count(reader->connection(), "SELECT count(*) FROM predictions"), 10);
    auto check = reader->connection().prepare("PRAGMA quick_check");
    ASSERT_TRUE(check);
    ASSERT_TRUE(check->step().value());
    EXPECT_EQ(check->columnText(0), "ok");
}

TEST(ReadOnlyMedium, ADatabaseWhoseChangesAreStillInItsLogIsRefusedNotReadStale) {
    TempDir dir;
    SmallDisk disk(dir, "4m");
    if (!disk.mounted) GTEST_SKIP() << "needs root to mount a read-only file system";
    const std::string mnt = disk.path;
    const std::string source = dir.file("live.db");
    auto store = RunStore::open(source);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->connection().exec("PRAGMA wal_autocheckpoint=0"));
    ASSERT_TRUE(store->createRun(run("only-in-the-log")));
    // Copied while open: the run is in the -wal, not yet in the main file (as on a USB stick
    // pulled while a trainer ran).
    fs::copy_file(source, mnt + "/a.db");
    fs::copy_file(source + "-wal", mnt + "/a.db-wal");
    ASSERT_GT(fs::file_size(mnt + "/a.db-wal"), 0u);
    ASSERT_TRUE(disk.remountReadOnly());
    auto reader = openDatabase(mnt + "/a.db", {.create = false, .readOnly = true});
    ASSERT_FALSE(reader) << "read without its log: the run in it would be missing";
    EXPECT_EQ(reader.error().kind, ErrorKind::ReadOnly);
    EXPECT_NE(reader.error().message.find("a.db-wal"), std::string::npos) << reader.error().message;
}

TEST(Statements, AStatementThatFailedCanBeBoundAndRunAgain) {
    TempDir dir;
    auto db = openDatabase(dir.file("a.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (x INTEGER CHECK (x > 0))"));
    auto insert = db->prepare("INSERT INTO t(x) VALUES (?)");
    ASSERT_TRUE(insert);
    insert->bind(1, std::int64_t{-1});
    EXPECT_FALSE(insert->run()) << "the CHECK should refuse -1";
    // The writer keeps its statements across a failed batch: a halted statement refused new
    // bindings (SQLITE_MISUSE), so every retry failed.
    insert->bind(1, std::int64_t{5});
    auto again = insert->run();
    EXPECT_TRUE(again) << again.error().message;
    EXPECT_EQ(count(db.value(), "SELECT count(*) FROM t WHERE x = 5"), 1);
}
