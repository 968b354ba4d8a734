// Predictions read back as the gallery needs them, and label flags: stored per dataset sample,
// replaced and cleared, refused when malformed (with nothing written), kept across reopen and a
// migration, exported as CSV.

#include "storage/predictions.h"

#include <gtest/gtest.h>

#include <cmath>

#include "storage/run_store.h"
#include "storage/schema.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using runboard::test::TempDir;

namespace {

RunId writeRun(const std::string& path) {
    auto store = RunStore::open(path);
    auto owned = store->createRun({"r", std::nullopt, "{}", 1, {}, RunStatus::Finished});
    auto writer = Writer::open(path);
    for (std::int64_t epoch : {1, 2})
        for (std::int64_t i : {30, 10, 20}) {
            const auto predicted = static_cast<std::int32_t>((i / 10 + epoch) % 3);
            const float loss = i == 20 && epoch == 2 ? std::nanf("") : 0.1f * static_cast<float>(i);
            writer.value()->prediction(
                {owned->id, "val", epoch, i, 1, predicted, 0.5f, loss, {0.25f, 0.5f, 0.25f}});
        }
    writer.value()->prediction({owned->id, "test", 2, 7, 0, 0, 0.9f, 0.1f, {0.9f, 0.05f, 0.05f}});
    EXPECT_TRUE(writer.value()->flush());
    owned->lock.release();
    return owned->id;
}

}  // namespace

TEST(Predictions, ReadBackByEpochAndBySample) {
    TempDir dir;
    const std::string path = dir.file("p.db");
    const RunId run = writeRun(path);
    auto db = openDatabase(path, {.readOnly = true});
    ASSERT_TRUE(db);
    EXPECT_EQ(predictionEpochs(db.value(), run, "val").value(), (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(predictionEpochs(db.value(), run, "test").value(), (std::vector<std::int64_t>{2}));
    EXPECT_TRUE(predictionEpochs(db.value(), run, "train")->empty());

    auto rows = readPredictions(db.value(), run, "val", 2);
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].sampleIndex, 10);  // by sample index
    EXPECT_EQ((*rows)[2].sampleIndex, 30);
    EXPECT_EQ((*rows)[0].predicted, 0);  // (1 + 2) % 3
    EXPECT_TRUE((*rows)[0].correct() == false);
    EXPECT_TRUE(std::isnan((*rows)[1].loss));  // NaN kept, not NULL
    EXPECT_EQ((*rows)[2].probs, (std::vector<float>{0.25f, 0.5f, 0.25f}));
    auto light = readPredictions(db.value(), run, "val", 2, false);
    EXPECT_TRUE(light->front().probs.empty());

    auto history = sampleHistory(db.value(), run, "val", 30);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ((*history)[0].epoch, 1);
    EXPECT_EQ((*history)[0].predicted, 1);  // (3 + 1) % 3
    EXPECT_EQ((*history)[1].predicted, 2);

    auto bad = readPredictions(db.value(), run, "validation", 1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::InvalidArgument);
    EXPECT_NE(bad.error().message.find("validation"), std::string::npos);
}

TEST(LabelFlags, PersistAcrossReopenAreReplacedClearedAndExported) {
    TempDir dir;
    const std::string path = dir.file("f.db");
    {
        auto db = openDatabase(path);
        ASSERT_TRUE(db);
        ASSERT_TRUE(setFlag(db.value(), {"fashion-mnist", "train", 17, 6, LabelFlag::WrongLabel,
                                         "looks like a \"shirt\", not a coat", ""}));
        ASSERT_TRUE(
            setFlag(db.value(), {"fashion-mnist", "test", 3, 2, LabelFlag::Ambiguous, "", ""}));
        ASSERT_TRUE(setFlag(db.value(), {"other", "test", 3, 1, LabelFlag::Interesting, "", ""}));
        // Malformed flags are refused and write nothing.
        for (const FlagRecord& bad :
             {FlagRecord{"", "train", 1, 0, LabelFlag::Ambiguous, "", ""},
              FlagRecord{"fashion-mnist", "val", 1, 0, LabelFlag::Ambiguous, "", ""},
              FlagRecord{"fashion-mnist", "train", -4, 0, LabelFlag::Ambiguous, "", ""}}) {
            auto r = setFlag(db.value(), bad);
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument) << r.error().message;
        }
    }
    auto db = openDatabase(path);
    auto flags = listFlags(db.value(), "fashion-mnist");
    ASSERT_TRUE(flags);
    ASSERT_EQ(flags->size(), 2u);
    EXPECT_EQ((*flags)[0].part, "test");  // by part, then index
    EXPECT_EQ((*flags)[1].sampleIndex, 17);
    EXPECT_EQ((*flags)[1].flag, LabelFlag::WrongLabel);
    EXPECT_FALSE((*flags)[1].createdAt.empty());
    EXPECT_EQ(listFlags(db.value())->size(), 3u);

    // One flag per sample: setting again replaces it.
    ASSERT_TRUE(
        setFlag(db.value(), {"fashion-mnist", "test", 3, 2, LabelFlag::Interesting, "nice", ""}));
    flags = listFlags(db.value(), "fashion-mnist");
    ASSERT_EQ(flags->size(), 2u);
    EXPECT_EQ((*flags)[0].flag, LabelFlag::Interesting);
    EXPECT_EQ((*flags)[0].note, "nice");

    ASSERT_TRUE(clearFlag(db.value(), "fashion-mnist", "test", 3));
    EXPECT_EQ(listFlags(db.value(), "fashion-mnist")->size(), 1u);
}

TEST(LabelFlags, MigrationFromVersion4KeepsPredictions) {
    TempDir dir;
    const std::string path = dir.file("v4.db");
    {
        auto db = openDatabase(path, {.schemaVersion = 4});
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec(
            "INSERT INTO runs (id, name, status, config_json, seed) VALUES (1, 'r', 'finished', "
            "'{}', 1);"
            "INSERT INTO predictions (run_id, split, epoch, sample_index, target, predicted, "
            "confidence, loss, probs) VALUES (1, 'val', 1, 5, 2, 2, 0.9, 0.1, x'0000803f'), "
            "(1, 'val', 1, 3, 1, 0, 0.6, 1.2, x'0000803f');"));
    }
    auto db = openDatabase(path);
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(db->queryInt("PRAGMA user_version").value(), latestSchemaVersion());
    auto rows = readPredictions(db.value(), 1, "val", 1);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0].sampleIndex, 3);
    EXPECT_EQ((*rows)[1].probs, (std::vector<float>{1.0f}));
    ASSERT_TRUE(setFlag(db.value(), {"d", "train", 1, 0, LabelFlag::Ambiguous, "", ""}));
}
