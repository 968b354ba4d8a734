// Resuming in the store (storage/resume_store.h): what is archived for a checkpoint, that the
// live rows can then be logged again without a conflict, the summaries rebuilt, and the runs
// that cannot be resumed.

#include "storage/resume_store.h"

#include <gtest/gtest.h>

#include <cmath>

#include "storage/checks_store.h"
#include "storage/predictions.h"
#include "storage/series_summary.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using runboard::test::TempDir;

namespace {

// A run that trained 2 epochs of 10 steps and was stopped after its final test metrics were
// logged: train/loss at every step, val/accuracy at steps 10 and 20, test/accuracy at 20, val
// predictions of epochs 1 and 2, test predictions of epoch 2, and 3 checks (the third made
// after the checkpoint at step 10). Checkpoints at steps 10 (epoch end) and 15 (mid-epoch 2).
struct StoppedRun {
    TempDir dir;
    std::string path = dir.file("r.db");
    RunStore store = RunStore::open(path).value();
    RunId id = 0;

    StoppedRun() {
        NewRun r;
        r.name = "r";
        r.configJson = "{}";
        auto owned = store.createRun(r);
        id = owned->id;
        auto writer = Writer::open(path).value();
        const auto loss = writer->key("train/loss"), val = writer->key("val/accuracy"),
                   test = writer->key("test/accuracy");
        for (int s = 1; s <= 20; ++s)
            writer->metric(id, loss, s, 1.0 / s, s);
        writer->metric(id, val, 10, 0.5, 10);
        writer->metric(id, val, 20, 0.75, 20);
        writer->metric(id, test, 20, 0.7, 21);
        for (int e : {1, 2})
            for (int i = 0; i < 3; ++i)
                writer->prediction({id, "val", e, i, 0, 0, 0.5f, 0.7f, {0.5f, 0.5f}});
        for (int i = 0; i < 4; ++i)
            writer->prediction({id, "test", 2, i, 1, 1, 0.9f, 0.1f, {0.1f, 0.9f}});
        EXPECT_TRUE(storeChecks(store.connection(), id,
                                {{"a", "pass", 1, "", {}}, {"b", "warn", 2, "", {}}}));
        writer->checkpointAdded(id, 1, 10, dir.file("epoch-1.pt"), 1, 1);
        EXPECT_TRUE(writer->flush());
        EXPECT_TRUE(appendCheck(store.connection(), id, {"learned", "pass", 3, "", {}}));
        writer->checkpointAdded(id, 1, 15, dir.file("step-15.pt"), 2, 2);
        EXPECT_TRUE(writer->flush());
        owned->lock.release();
        EXPECT_TRUE(store.setStatus(id, RunStatus::Stopped));
    }

    CheckpointRecord checkpointAt(std::int64_t step) {
        const auto all = store.checkpoints(id).value();  // (a range-for over value() dangles)
        for (const auto& c : all)
            if (c.step == step) return c;
        ADD_FAILURE() << "no checkpoint at step " << step;
        return {};
    }
    std::int64_t count(const std::string& sql) {
        return store.connection().queryValue<std::int64_t>(sql).value().value_or(-1);
    }
};

}  // namespace

TEST(ResumeStore, ArchivesWhatFollowsAnEpochCheckpointInOneGo) {
    StoppedRun r;
    const CheckpointRecord from = r.checkpointAt(10);
    EXPECT_EQ(from.checks, 2);  // the third check came after it
    auto resumed = beginResume(r.store, r.id, {from, {"test/"}});
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_TRUE(resumed->run.lock.held());
    EXPECT_EQ(r.store.run(r.id)->status, RunStatus::Running);

    // Live: steps 1-10 of train/loss, val/accuracy at 10, val predictions of epoch 1, checks a
    // and b. Archived: steps 11-20 (10 + val at 20), test/accuracy, 3 val and 4 test
    // predictions of epoch 2, and the learned check.
    const auto loss = r.store.series(r.id, "train/loss").value();
    ASSERT_EQ(loss.size(), 10u);
    EXPECT_EQ(loss.back().step, 10);
    EXPECT_EQ(r.store.series(r.id, "val/accuracy")->size(), 1u);
    EXPECT_TRUE(r.store.series(r.id, "test/accuracy")->empty());
    EXPECT_EQ(predictionEpochs(r.store.connection(), r.id, "val").value(),
              std::vector<std::int64_t>{1});
    EXPECT_TRUE(predictionEpochs(r.store.connection(), r.id, "test")->empty());
    EXPECT_EQ(runChecks(r.store.connection(), r.id)->size(), 2u);
    EXPECT_EQ(resumed->resume.archivedRows, 10 + 1 + 1 + 3 + 4 + 1);
    EXPECT_EQ(resumed->resume.atStep, 10);
    EXPECT_EQ(resumed->resume.atEpoch, 1);
    EXPECT_EQ(resumed->resume.fromStatus, "stopped");
    const auto archived = archivedSeries(r.store.connection(), r.id, "train/loss").value();
    ASSERT_EQ(archived.size(), 10u);
    EXPECT_EQ(archived.front().step, 11);
    EXPECT_EQ(archived.back().value, 1.0 / 20);
    // The checkpoint after it is abandoned: its steps are trained again.
    EXPECT_EQ(r.store.checkpoints(r.id)->size(), 1u);
    EXPECT_EQ(r.store.connection().queryValue<std::string>("PRAGMA integrity_check").value(), "ok");
}

TEST(ResumeStore, TheSameStepsCanBeLoggedAgainAndSummariesMatchTheRows) {
    StoppedRun r;
    auto resumed = beginResume(r.store, r.id, {r.checkpointAt(15), {"test/"}});
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_EQ(resumed->resume.archivedRows, 5 + 1 + 1 + 3 + 4);  // steps 16-20, val, test...
    auto writer = Writer::open(r.path).value();
    const auto loss = writer->key("train/loss");
    for (int s = 16; s <= 200; ++s)
        writer->metric(r.id, loss, s, 2.0 / s, s);
    ASSERT_TRUE(writer->flush());
    const auto rows = r.store.series(r.id, "train/loss").value();
    ASSERT_EQ(rows.size(), 200u);
    EXPECT_EQ(rows[19].value, 2.0 / 20);  // the new value, once
    auto envelope = readEnvelope(r.store.connection(), r.id, "train/loss", 1, 200, 4);
    ASSERT_TRUE(envelope);
    ASSERT_TRUE(envelope->fromSummary);
    EXPECT_EQ(envelope->columns, bucketize(rows, envelope->width));
}

TEST(ResumeStore, WithoutACheckpointEverythingIsArchived) {
    StoppedRun r;
    auto resumed = beginResume(r.store, r.id, {std::nullopt, {}});
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_EQ(resumed->resume.archivedRows, 20 + 2 + 1 + 6 + 4 + 3);
    EXPECT_EQ(r.count("SELECT count(*) FROM metrics"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM predictions"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM run_checks"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM metric_buckets"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM checkpoints"), 0);
    EXPECT_TRUE(resumed->resume.checkpoint.empty());
    EXPECT_EQ(resumeCounts(r.store.connection()).value().at(r.id), 1);
}

TEST(ResumeStore, RefusesLiveFinishedDivergedAndNeverTrainedRuns) {
    StoppedRun r;
    {
        auto lock = RunLock::acquire(r.store.lockPath(r.id));  // "another process" is alive
        ASSERT_TRUE(lock);
        auto refused = beginResume(r.store, r.id, {r.checkpointAt(10), {}});
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().kind, ErrorKind::InvalidArgument);
        EXPECT_NE(refused.error().message.find("still running"), std::string::npos);
    }
    for (auto [status, words] :
         {std::pair(RunStatus::Finished, "finished"), std::pair(RunStatus::Diverged, "diverge")}) {
        ASSERT_TRUE(r.store.setStatus(r.id, status, "x"));
        auto refused = checkResumable(r.store, r.id);
        ASSERT_FALSE(refused);
        EXPECT_NE(refused.error().message.find(words), std::string::npos)
            << refused.error().message;
    }
    NewRun never;
    never.name = "n";
    never.configJson = "{}";
    auto owned = r.store.createRun(never);
    owned->lock.release();
    ASSERT_TRUE(r.store.setStatus(owned->id, RunStatus::Failed, "pre-flight check failed"));
    auto refused = checkResumable(r.store, owned->id);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("failed before it trained"), std::string::npos);
    // Nothing changed for the refusals.
    EXPECT_EQ(r.count("SELECT count(*) FROM resumes"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM metrics"), 20 + 2 + 1);
}
