// The recorder's side of checkpoint rotation (issue 13 review): when onCheckpoint returns, the
// new checkpoint and the removal of the old ones are committed, because the trainer deletes the
// old files right after it. A writer that flushes once an hour proves onCheckpoint waits.

#include "app/core/recorder.h"

#include <gtest/gtest.h>

#include <chrono>

#include "storage/run_store.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard;

TEST(Recorder, ACheckpointIsCommittedBeforeOnCheckpointReturns) {
    test::TempDir dir;
    const std::string db = dir.file("rec.db");
    auto store = storage::RunStore::open(db);
    ASSERT_TRUE(store) << store.error().message;
    auto run = store->createRun({"r", std::nullopt, "{}", 0, {}, storage::RunStatus::Running});
    ASSERT_TRUE(run) << run.error().message;
    storage::WriterOptions options;
    options.flushInterval = std::chrono::hours(1);
    auto writer = storage::Writer::open(db, options);
    ASSERT_TRUE(writer) << writer.error().message;
    app::RunRecorder recorder(*writer.value(), run->id);

    recorder.onCheckpoint({1, 10, "/ck/epoch-1.pt", {}});
    auto stored = store->checkpoints(run->id);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->size(), 1u) << "not committed when onCheckpoint returned";
    EXPECT_EQ(stored->front().path, "/ck/epoch-1.pt");

    recorder.onCheckpoint({2, 20, "/ck/epoch-2.pt", {"/ck/epoch-1.pt"}});
    stored = store->checkpoints(run->id);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front().path, "/ck/epoch-2.pt");
    EXPECT_EQ(stored->front().epoch, 2);
}
