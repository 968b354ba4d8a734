// Storage: schema and migrations, round trips, non-finite values, refusals that leave files
// untouched, and interrupted-run recovery.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "storage/run_data.h"
#include "storage/run_store.h"
#include "storage/schema.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using runboard::test::TempDir;

namespace {

NewRun sampleRun(const std::string& name = "r") {
    NewRun r;
    r.name = name;
    r.configJson = R"({"lr":0.1})";
    r.seed = 3;
    r.params = {{"lr", "0.1", "float"}, {"model", "cnn", "string"}};
    return r;
}

}  // namespace

TEST(Schema, CreatesLatestVersionWithWalAndForeignKeys) {
    TempDir dir;
    auto db = openDatabase(dir.file("a.db"));
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(db->queryInt("PRAGMA user_version").value(), latestSchemaVersion());
    EXPECT_EQ(db->queryInt("PRAGMA foreign_keys").value(), 1);
    auto mode = db->prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode);
    ASSERT_TRUE(mode->step().value());
    EXPECT_EQ(mode->columnText(0), "wal");
    EXPECT_EQ(db->queryInt("PRAGMA synchronous").value(), 1);  // NORMAL
}

TEST(Schema, ReopeningIsIdempotent) {
    TempDir dir;
    ASSERT_TRUE(RunStore::open(dir.file("a.db")));
    auto again = RunStore::open(dir.file("a.db"));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->connection().queryInt("PRAGMA user_version").value(), latestSchemaVersion());
}

TEST(Schema, NewerVersionIsRefusedAndLeftUntouched) {
    TempDir dir;
    const std::string path = dir.file("new.db");
    {
        auto c = Connection::open(path, OpenMode::ReadWriteCreate);
        ASSERT_TRUE(c);
        ASSERT_TRUE(c->exec("CREATE TABLE t(x); PRAGMA user_version = 99;"));
    }
    const auto before = runboard::test::fileHash(path);
    auto db = RunStore::open(path);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().kind, ErrorKind::NewerSchema);
    EXPECT_NE(db.error().message.find("schema version 99"), std::string::npos)
        << db.error().message;
    EXPECT_EQ(runboard::test::fileHash(path), before);
    EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(Schema, TextFileIsRefusedAndLeftUntouched) {
    TempDir dir;
    const std::string path = dir.file("notes.txt");
    runboard::test::writeFile(path, "these are my notes, not a database\n");
    const auto before = runboard::test::fileHash(path);
    auto db = RunStore::open(path);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().kind, ErrorKind::NotADatabase);
    EXPECT_NE(db.error().message.find("not a SQLite database"), std::string::npos);
    EXPECT_EQ(runboard::test::fileHash(path), before);
}

TEST(Schema, ForeignSqliteDatabaseIsRefused) {
    TempDir dir;
    const std::string path = dir.file("other.db");
    {
        auto c = Connection::open(path, OpenMode::ReadWriteCreate);
        ASSERT_TRUE(c->exec("CREATE TABLE invoices(id INTEGER PRIMARY KEY)"));
    }
    const auto before = runboard::test::fileHash(path);
    auto db = RunStore::open(path);
    ASSERT_FALSE(db);
    EXPECT_NE(db.error().message.find("not a Runboard one"), std::string::npos);
    EXPECT_EQ(runboard::test::fileHash(path), before);
}

TEST(Schema, MissingDirectoryCannotBeOpened) {
    auto db = RunStore::open("/nonexistent-dir-for-runboard/x.db");
    ASSERT_FALSE(db);
    EXPECT_TRUE(isDatabaseUnusable(db.error().kind));
}

TEST(RunStore, CreateReadAndStatusRoundTrip) {
    TempDir dir;
    auto store = RunStore::open(dir.file("a.db"));
    ASSERT_TRUE(store);
    auto owned = store->createRun(sampleRun("first"));
    ASSERT_TRUE(owned) << owned.error().message;
    auto r = store->run(owned->id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->name, "first");
    EXPECT_EQ(r->status, RunStatus::Running);
    EXPECT_FALSE(r->startedAt.empty());
    EXPECT_TRUE(r->finishedAt.empty());
    EXPECT_EQ(r->seed, 3);
    auto params = store->params(owned->id);
    ASSERT_TRUE(params);
    EXPECT_EQ(params.value(), sampleRun().params);

    ASSERT_TRUE(store->setStatus(owned->id, RunStatus::Diverged, "loss NaN"));
    r = store->run(owned->id);
    EXPECT_EQ(r->status, RunStatus::Diverged);
    EXPECT_EQ(r->message, "loss NaN");
    EXPECT_FALSE(r->finishedAt.empty());
    EXPECT_EQ(store->run(12345).error().kind, ErrorKind::NotFound);
}

TEST(RunStore, EmptyTextIsStoredAsEmptyNotNull) {
    TempDir dir;
    auto store = RunStore::open(dir.file("a.db"));
    NewRun queued = sampleRun("q");
    queued.status = RunStatus::Queued;
    auto owned = store->createRun(queued);
    ASSERT_TRUE(store->setStatus(owned->id, RunStatus::Running)) << "default message";
    EXPECT_EQ(store->run(owned->id)->message, "");
    ASSERT_TRUE(store->setNotes(owned->id, std::string_view{}));
    ASSERT_TRUE(store->rename(owned->id, "renamed"));
    EXPECT_EQ(store->run(owned->id)->name, "renamed");
    EXPECT_FALSE(store->rename(owned->id, ""));
}

TEST(RunStore, DeleteRemovesRowsAndFilesButNotARunningRun) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    auto owned = store->createRun(sampleRun());
    {
        auto writer = Writer::open(path);
        writer.value()->metric(owned->id, writer.value()->key("x"), 1, 1.0, 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    EXPECT_FALSE(store->deleteRun(owned->id)) << "it is still running (its lock is held)";
    owned->lock.release();
    ASSERT_TRUE(store->setStatus(owned->id, RunStatus::Finished));
    ASSERT_TRUE(store->deleteRun(owned->id));
    EXPECT_EQ(store->connection().queryInt("SELECT count(*) FROM metrics").value(), 0);
    EXPECT_EQ(store->connection().queryInt("SELECT count(*) FROM metric_buckets").value(), 0);
    EXPECT_FALSE(std::filesystem::exists(runFilesDir(path, owned->id)));
    EXPECT_EQ(store->deleteRun(owned->id).error().kind, ErrorKind::NotFound);
}

// What data a run trained on: nothing before it starts, then its source and classes in order;
// recorded again (a resume), the new record replaces the old; deleted with the run.
TEST(RunStore, RunDataRoundTripsIsReplacedAndGoesWithTheRun) {
    TempDir dir;
    auto store = RunStore::open(dir.file("a.db"));
    auto owned = store->createRun(sampleRun());
    auto& db = store->connection();
    EXPECT_EQ(runData(db, owned->id).value(), std::nullopt);
    const RunData first{"quotes.csv#0badf00d", {"wit", "wisdom", "caf\xC3\xA9", ""}};
    ASSERT_TRUE(storeRunData(db, owned->id, first));
    EXPECT_EQ(runData(db, owned->id).value(), first);
    const RunData second{"", {"b", "a"}};
    ASSERT_TRUE(storeRunData(db, owned->id, second));
    EXPECT_EQ(runData(db, owned->id).value(), second);
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM run_classes").value(), 2);
    owned->lock.release();
    ASSERT_TRUE(store->setStatus(owned->id, RunStatus::Finished));
    ASSERT_TRUE(store->deleteRun(owned->id));
    EXPECT_EQ(runData(db, owned->id).value(), std::nullopt);
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM run_classes").value(), 0);
}

TEST(RunStore, StatusNamesRoundTrip) {
    for (auto s : {RunStatus::Queued, RunStatus::Running, RunStatus::Finished, RunStatus::Stopped,
                   RunStatus::Failed, RunStatus::Diverged, RunStatus::Interrupted})
        EXPECT_EQ(parseRunStatus(toString(s)), s);
    EXPECT_FALSE(parseRunStatus("bogus"));
}

TEST(Writer, MetricsIncludingNonFiniteRoundTrip) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    auto owned = store->createRun(sampleRun());
    auto writer = Writer::open(path);
    ASSERT_TRUE(writer) << writer.error().message;
    const auto loss = writer.value()->key("train/loss");
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> values = {2.5, std::nan(""), inf, -inf, 0.0, -1e-300};
    for (std::size_t i = 0; i < values.size(); ++i)
        writer.value()->metric(owned->id, loss, static_cast<std::int64_t>(i + 1), values[i],
                               100.0 + i);
    ASSERT_TRUE(writer.value()->flush());
    auto series = store->series(owned->id, "train/loss");
    ASSERT_TRUE(series);
    ASSERT_EQ(series->size(), values.size());
    EXPECT_EQ((*series)[0].value, 2.5);
    EXPECT_TRUE(std::isnan((*series)[1].value));
    EXPECT_EQ((*series)[2].value, inf);
    EXPECT_EQ((*series)[3].value, -inf);
    EXPECT_EQ((*series)[5].value, -1e-300);
    EXPECT_EQ((*series)[4].wall, 104.0);
    // NaN is stored as a flagged row, never as a missing value.
    EXPECT_EQ(store->connection()
                  .queryInt("SELECT count(*) FROM metrics WHERE value IS NULL AND nonfinite = 0")
                  .value(),
              0);
    EXPECT_EQ(
        store->connection().queryInt("SELECT count(*) FROM metrics WHERE nonfinite = 1").value(),
        1);
    auto latest = store->latestMetrics(owned->id);
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->at("train/loss"), -1e-300);
}

TEST(Writer, PredictionsAndCheckpointsRoundTrip) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    auto owned = store->createRun(sampleRun());
    auto writer = Writer::open(path);
    PredictionRow row{owned->id, "val", 2, 4321, 3, 5, 0.75f, 1.25f, {0.1f, 0.15f, 0.75f}};
    writer.value()->prediction(row);
    writer.value()->checkpointAdded(owned->id, 1, 100, "/x/epoch-1.pt", 0xdeadbeef, 77);
    writer.value()->checkpointAdded(owned->id, 2, 200, "/x/epoch-2.pt", 0xfffffffe, 88);
    writer.value()->checkpointRemoved("/x/epoch-1.pt");
    ASSERT_TRUE(writer.value()->flush());
    auto s = store->connection().prepare(
        "SELECT split, epoch, sample_index, target, predicted, confidence, loss, probs FROM "
        "predictions");
    ASSERT_TRUE(s->step().value());
    EXPECT_EQ(s->columnText(0), "val");
    EXPECT_EQ(s->columnInt64(2), 4321);
    EXPECT_EQ(s->columnInt64(4), 5);
    EXPECT_FLOAT_EQ(static_cast<float>(s->columnDouble(5)), 0.75f);
    const auto blob = s->columnBlob(7);
    ASSERT_EQ(blob.size(), 3 * sizeof(float));
    float probs[3];
    std::memcpy(probs, blob.data(), sizeof probs);
    EXPECT_EQ(probs[2], 0.75f);
    auto ck = store->checkpoints(owned->id);
    ASSERT_EQ(ck->size(), 1u);
    EXPECT_EQ((*ck)[0].path, "/x/epoch-2.pt");
    EXPECT_EQ((*ck)[0].step, 200);
    EXPECT_EQ((*ck)[0].crc32, 0xfffffffe);  // unsigned 32 bits survive SQLite's int64
    EXPECT_EQ((*ck)[0].bytes, 88);
}

TEST(Writer, BatchesUnderLoadFromSeveralThreads) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    auto owned = store->createRun(sampleRun());
    auto writer = Writer::open(path, {.flushInterval = std::chrono::milliseconds(50)});
    constexpr int kThreads = 4, kRows = 50'000;
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&, t] {
            const auto key = writer.value()->key("k" + std::to_string(t));
            for (int i = 0; i < kRows; ++i)
                writer.value()->metric(owned->id, key, i, i * 0.5, 0);
        });
    }
    for (auto& p : producers)
        p.join();
    ASSERT_TRUE(writer.value()->flush());
    EXPECT_EQ(store->connection().queryInt("SELECT count(*) FROM metrics").value(),
              kThreads * kRows);
    EXPECT_EQ(store->connection().queryInt("SELECT count(*) FROM metric_keys").value(), kThreads);
    const auto stats = writer.value()->stats();
    EXPECT_EQ(stats.rowsCommitted, static_cast<std::uint64_t>(kThreads * kRows));
    // Batched: far fewer transactions than rows.
    EXPECT_LT(stats.commits, 200u);
    EXPECT_GE(stats.commits, 1u);
}

TEST(Writer, CommitsOnItsOwnWithoutAFlush) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    auto owned = store->createRun(sampleRun());
    auto writer = Writer::open(path, {.flushInterval = std::chrono::milliseconds(100)});
    writer.value()->metric(owned->id, writer.value()->key("x"), 1, 1.0, 0);
    // No flush(): a reader connection sees the row once the writer's timer commits it (waited
    // for up to 2 s, as a loaded CI machine may be slow; how soon is writer_bench's business).
    auto reader = RunStore::open(path, {.create = false, .readOnly = true});
    ASSERT_TRUE(reader) << reader.error().message;
    std::int64_t n = 0;
    for (int i = 0; i < 100 && n == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        n = reader->connection().queryInt("SELECT count(*) FROM metrics").value();
    }
    EXPECT_EQ(n, 1);
}

TEST(Recovery, DeadRunsBecomeInterruptedLiveOnesDoNot) {
    TempDir dir;
    const std::string path = dir.file("a.db");
    auto store = RunStore::open(path);
    auto alive = store->createRun(sampleRun("alive"));
    auto dead = store->createRun(sampleRun("dead"));
    ASSERT_TRUE(alive && dead);
    dead->lock.release();  // as if its process had died

    auto other = RunStore::open(path);  // another opener, e.g. the GUI
    ASSERT_TRUE(other);
    EXPECT_EQ(other->run(alive->id)->status, RunStatus::Running);
    EXPECT_EQ(other->run(dead->id)->status, RunStatus::Interrupted);
    EXPECT_FALSE(other->run(dead->id)->finishedAt.empty());
    EXPECT_EQ(other->recoverInterrupted().value(), 0);
}
