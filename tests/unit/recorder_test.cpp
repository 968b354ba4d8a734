// The recorder's side of checkpoint rotation (issue 13 review): when onCheckpoint returns, the
// new checkpoint and the removal of the old ones are committed, because the trainer deletes the
// old files right after it. A writer that flushes once an hour proves onCheckpoint waits.

#include "app/core/recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "storage/run_store.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard;

// A running run in a new database, and a writer that flushes once an hour unless asked. (Not in
// an anonymous namespace: gtest's test classes derive from it, which GCC warns about
// (-Wsubobject-linkage) when the debug-asan unity build includes this file into another.)
class Recorder : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = storage::RunStore::open(db);
        ASSERT_TRUE(opened) << opened.error().message;
        store.emplace(std::move(opened.value()));
        auto run = store->createRun({"r", std::nullopt, "{}", 0, {}, storage::RunStatus::Running});
        ASSERT_TRUE(run) << run.error().message;
        runId = run->id;
        storage::WriterOptions options;
        options.flushInterval = std::chrono::hours(1);
        auto w = storage::Writer::open(db, options);
        ASSERT_TRUE(w) << w.error().message;
        writer = std::move(w.value());
    }
    test::TempDir dir;
    const std::string db = dir.file("rec.db");
    std::optional<storage::RunStore> store;
    storage::RunId runId = 0;
    std::unique_ptr<storage::Writer> writer;
};

TEST_F(Recorder, ACheckpointIsCommittedBeforeOnCheckpointReturns) {
    app::RunRecorder recorder(*writer, runId);

    recorder.onCheckpoint({1, 10, "/ck/epoch-1.pt", 0xabcdef01, 1234, {}});
    auto stored = store->checkpoints(runId);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->size(), 1u) << "not committed when onCheckpoint returned";
    EXPECT_EQ(stored->front().path, "/ck/epoch-1.pt");
    EXPECT_EQ(stored->front().crc32, 0xabcdef01);  // the checksum a resume verifies
    EXPECT_EQ(stored->front().bytes, 1234);

    recorder.onCheckpoint({2, 20, "/ck/epoch-2.pt", 1, 1, {"/ck/epoch-1.pt"}});
    stored = store->checkpoints(runId);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front().path, "/ck/epoch-2.pt");
    EXPECT_EQ(stored->front().epoch, 2);
}

// A step without a gradient norm (log.grad_norm_every skips it) stores its other three metrics and
// no grad_norm point, rather than a made-up 0.
TEST_F(Recorder, StoresTheGradientNormOnlyOnTheStepsThatMeasuredIt) {
    app::RunRecorder recorder(*writer, runId);

    recorder.onStep({1, 1, 2.3, 0.1, 4.5, 1000});
    recorder.onStep({2, 1, 2.2, 0.1, std::nullopt, 1100});
    recorder.onStep({3, 1, 2.1, 0.1, 0.0, 1200});
    ASSERT_TRUE(writer->flush());

    auto norms = store->series(runId, "train/grad_norm");
    ASSERT_TRUE(norms) << norms.error().message;
    ASSERT_EQ(norms->size(), 2u);
    EXPECT_EQ((*norms)[0].step, 1);
    EXPECT_DOUBLE_EQ((*norms)[0].value, 4.5);
    EXPECT_EQ((*norms)[1].step, 3);
    EXPECT_DOUBLE_EQ((*norms)[1].value, 0.0);
    for (const char* key : {"train/loss", "train/lr", "train/samples_per_s"}) {
        auto points = store->series(runId, key);
        ASSERT_TRUE(points) << points.error().message;
        EXPECT_EQ(points->size(), 3u) << key;
    }
    auto speed = store->series(runId, "train/samples_per_s");
    ASSERT_TRUE(speed) << speed.error().message;
    EXPECT_DOUBLE_EQ((*speed)[1].value, 1100);
}
