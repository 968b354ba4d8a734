// The New Run dialog's Scan, without the GUI (engine/preview): an image folder's classes, counts
// per part (as the run splits them) and quarantined files; a table's rows, columns, classes and
// missing cells; a text's lengths, vocabulary and padding; the built-in dataset; and the errors the
// run would stop with, returned as text.

#include "engine/preview/data_preview.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>

#include "engine/data/splits.h"
#include "support/fixtures.h"
#include "support/image_fixtures.h"

using namespace runboard;
using engine::ClassCount;
using engine::DataPreview;
namespace fs = std::filesystem;

namespace {

config::Config folderConfig(const fs::path& root) {
    config::Config c = config::Config::defaults();
    c.set("data.source", std::string("folder"));
    c.set("data.dir", root.string());
    c.set("data.workers", std::int64_t{2});
    return c;
}

const ClassCount* classNamed(const DataPreview& p, const std::string& name) {
    for (const auto& c : p.classes)
        if (c.name == name) return &c;
    return nullptr;
}

bool hasProblem(const DataPreview& p, const std::string& start) {
    return std::any_of(p.problems.begin(), p.problems.end(),
                       [&](const std::string& s) { return s.starts_with(start); });
}

}  // namespace

TEST(DataPreview, AFolderShowsItsClassesCountsPerPartAndProgress) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 10);  // 100 files, no split folders
    std::size_t lastDone = 0, lastTotal = 0;
    const DataPreview p = engine::previewData(
        folderConfig(root), [&](std::size_t d, std::size_t t) { lastDone = d, lastTotal = t; });
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.source, config::DataSource::Folder);
    ASSERT_EQ(p.classes.size(), 10u);
    EXPECT_EQ(p.classes.front().name, "class0");
    EXPECT_EQ(p.classes.back().name, "class9");
    // The engine's split of 100 files (folder_dataset_test): test 20, val 8 of the other 80.
    EXPECT_EQ(p.testCount(), 20);
    EXPECT_EQ(p.valCount(), 8);
    EXPECT_EQ(p.trainCount(), 72);
    for (const auto& c : p.classes) {
        EXPECT_EQ(c.total(), 10) << c.name;
        EXPECT_EQ(c.quarantined, 0) << c.name;
    }
    EXPECT_EQ(p.files, 100u);
    EXPECT_EQ(p.imageSize, 28);
    EXPECT_EQ(p.channels, 1);
    ASSERT_EQ(p.sizesSeen.size(), 1u);
    EXPECT_EQ(p.problems, std::vector<std::string>{});
    EXPECT_EQ(lastDone, 100u);
    EXPECT_EQ(lastTotal, 100u);
    EXPECT_NE(p.summary.find("100 images in 10 classes"), std::string::npos) << p.summary;
    // The text view: a header, one line per class, the total.
    const std::string text = engine::formatPreview(p);
    EXPECT_NE(text.find("class0"), std::string::npos) << text;
    EXPECT_NE(text.find("total"), std::string::npos) << text;
    EXPECT_NE(text.find("decoded as 1 channel, 28x28 px"), std::string::npos) << text;
    EXPECT_EQ(p.model, "cnn") << "model = auto on 28-px gray images";
    EXPECT_NE(text.find("model: cnn"), std::string::npos) << text;

    // data.limit takes from the train part only; image size and channels are the run's.
    config::Config limited = folderConfig(root);
    limited.set("data.limit", std::int64_t{30});
    limited.set("data.image_size", std::int64_t{16});
    limited.set("data.channels", std::string("3"));
    const DataPreview l = engine::previewData(limited);
    ASSERT_TRUE(l.ok) << l.error;
    EXPECT_EQ(l.trainCount(), 30);
    EXPECT_EQ(l.valCount(), 8);
    EXPECT_EQ(l.testCount(), 20);
    EXPECT_EQ(l.imageSize, 16);
    EXPECT_EQ(l.channels, 3);
    EXPECT_EQ(l.model, "cnn") << "colour, but below the resnet's 32 px";
    // The same images as 32-px colour: model = auto trains the resnet, as the run will.
    limited.set("data.image_size", std::int64_t{32});
    EXPECT_EQ(engine::previewData(limited).model, "resnet");
    limited.set("model", std::string("mlp"));
    EXPECT_EQ(engine::previewData(limited).model, "mlp") << "a chosen model stays";
}

TEST(DataPreview, SplitFoldersKeepTheirTestPartAndCarveValidationFromTrain) {
    test::TempDir dir;
    const fs::path root = dir.path() / "split";
    test::writeBarFolder(root, 10, "png", 2);  // train/ 10 per class, test/ 2 per class
    const DataPreview p = engine::previewData(folderConfig(root));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_TRUE(p.presplit);
    EXPECT_EQ(p.testCount(), 20);
    EXPECT_EQ(p.valCount(), 10);  // data.val_share 0.1 of train/'s 100
    EXPECT_EQ(p.trainCount(), 90);
    for (const auto& c : p.classes) {
        EXPECT_EQ(c.test, 2) << c.name;
        EXPECT_EQ(c.train + c.val, 10) << c.name;
    }
}

TEST(DataPreview, TheHostileFolderListsEveryQuarantinedFileWithItsReasonAndTheSkippedEntries) {
    test::TempDir dir;
    const fs::path root = dir.path() / "pets";
    const std::vector<std::string> bad = test::writeHostileFolder(root);
    const DataPreview p = engine::previewData(folderConfig(root));
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.classes.size(), 2u);
    EXPECT_EQ(p.files, 12u);
    EXPECT_EQ(p.quarantinedFiles, 4u);
    EXPECT_EQ(p.skippedEntries, 7u);
    // 8 decodable files: test 2 (20%), val 1 (10% of 6), train 5.
    EXPECT_EQ(p.testCount(), 2);
    EXPECT_EQ(p.valCount(), 1);
    EXPECT_EQ(p.trainCount(), 5);
    EXPECT_EQ(classNamed(p, "cat")->total(), 4);
    EXPECT_EQ(classNamed(p, "cat")->quarantined, 2);
    EXPECT_EQ(classNamed(p, "dog")->total(), 4);
    EXPECT_EQ(classNamed(p, "dog")->quarantined, 2);
    EXPECT_EQ(p.channels, 3);  // gray and colour mixed
    for (const auto& path : bad)
        EXPECT_TRUE(hasProblem(p, "quarantined: " + path + ": ")) << path;
    EXPECT_TRUE(hasProblem(p, "quarantined: cat/zero.png: zero bytes"));
    EXPECT_TRUE(hasProblem(p, "skipped: .ipynb_checkpoints"));
    EXPECT_TRUE(hasProblem(p, "skipped: dog/Thumbs.db"));
    EXPECT_EQ(p.problems.size(), 11u);
    EXPECT_NE(p.summary.find("4 quarantined"), std::string::npos) << p.summary;
    const std::string text = engine::formatPreview(p);
    EXPECT_NE(text.find("quarantined: cat/truncated.jpg"), std::string::npos) << text;
    EXPECT_NE(text.find("11 to look at"), std::string::npos) << text;
    // At most maxProblems lines, and how many more.
    EXPECT_NE(engine::formatPreview(p, 3).find("... and 8 more"), std::string::npos);
}

TEST(DataPreview, AStoppedScanIsNotOk) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 5);
    std::atomic<bool> stop{true};
    const DataPreview p = engine::previewData(folderConfig(root), {}, &stop);
    EXPECT_FALSE(p.ok);
    EXPECT_TRUE(p.stopped);
    EXPECT_FALSE(p.error.empty());
}

TEST(DataPreview, AMissingFolderIsAnErrorNamingItNeverAnException) {
    test::TempDir dir;
    const fs::path root = dir.path() / "no such folder";
    DataPreview p;
    EXPECT_NO_THROW(p = engine::previewData(folderConfig(root)));
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find(root.string()), std::string::npos) << p.error;
    EXPECT_TRUE(p.classes.empty());
    // A folder with one class: the run's message.
    test::writeSolidImage(dir.path() / "one/only/a.png", 28, 28, true, 1);
    p = engine::previewData(folderConfig(dir.path() / "one"));
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("class"), std::string::npos) << p.error;
}

TEST(DataPreview, ATableShowsRowsColumnsClassesAndParts) {
    test::TempDir dir;
    const std::string csv = dir.file("blobs.csv");
    test::writeBlobsCsv(csv, 300);
    const DataPreview p = engine::previewData(test::tinyCsvConfig(csv));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.rows, 300u);
    EXPECT_EQ(p.labelColumn, "species");
    ASSERT_EQ(p.classes.size(), 3u);
    EXPECT_EQ(p.classes[0].name, "setosa");
    EXPECT_EQ(p.classes[2].name, "virginica");
    for (const auto& c : p.classes)
        EXPECT_EQ(c.total(), 100) << c.name;
    // The engine's split (table_dataset_test): test 60, val 24, train 216.
    EXPECT_EQ(p.testCount(), 60);
    EXPECT_EQ(p.valCount(), 24);
    EXPECT_EQ(p.trainCount(), 216);
    ASSERT_EQ(p.columns.size(), 4u);
    EXPECT_EQ(p.columns[0].name, "x1");
    EXPECT_FALSE(p.columns[0].categorical);
    EXPECT_EQ(p.columns[2].name, "colour");
    EXPECT_TRUE(p.columns[2].categorical);
    EXPECT_EQ(p.columns[2].categories, 3u);
    EXPECT_EQ(p.encodedWidth, 6u);  // x1, x2, size and three colours
    EXPECT_TRUE(p.problems.empty());
    const std::string text = engine::formatPreview(p);
    EXPECT_NE(text.find("numeric: x1, x2, size"), std::string::npos) << text;
    EXPECT_NE(text.find("categorical: colour (3 values)"), std::string::npos) << text;
    config::Config automatic = test::tinyCsvConfig(csv);
    automatic.set("model", std::string("auto"));
    EXPECT_EQ(engine::previewData(automatic).model, "mlp") << "model = auto on a table";
}

TEST(DataPreview, MissingCellsAreNamedAndStopTheRunUnlessMean) {
    test::TempDir dir;
    const std::string csv = dir.file("gaps.csv");
    test::writeFile(csv, "a,b,y\n1,x,p\n2,,q\nNA,y,p\n4,x,q\n5,y,p\n6,x,q\n7,y,p\n8,x,q\n");
    config::Config c = test::tinyCsvConfig(csv);
    DataPreview p = engine::previewData(c);
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("missing values"), std::string::npos) << p.error;
    EXPECT_EQ(p.rows, 8u);  // what was found before the error is kept
    ASSERT_EQ(p.classes.size(), 2u);
    ASSERT_EQ(p.problems.size(), 2u);
    EXPECT_EQ(p.problems[0],
              "missing: column 'a': 1 cells (line 4): the run stops unless data.missing=mean");
    EXPECT_EQ(p.problems[1],
              "missing: column 'b': 1 cells (line 3): the run stops unless data.missing=mean");
    c.set("data.missing", std::string("mean"));
    p = engine::previewData(c);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.problems.size(), 2u);
    EXPECT_EQ(p.columns[0].missing, 1u);
    EXPECT_TRUE(p.columns[1].categorical);
    EXPECT_NE(p.summary.find("2 missing cells"), std::string::npos) << p.summary;
}

// The Scan counts a label by its class as the run does: "0" and "0.0" are both class "0"; and a
// label of decimals is the error the run stops with.
TEST(DataPreview, ATableCountsWholeNumberLabelsByNumberAndRefusesDecimals) {
    test::TempDir dir;
    const std::string csv = dir.file("numbers.csv");
    std::string text = "a,y\n";
    for (int r = 0; r < 20; ++r)
        text += std::to_string(r) + "," + (r % 2 ? "1" : r % 4 ? "0.0" : "0") + "\n";
    test::writeFile(csv, text);
    DataPreview p = engine::previewData(test::tinyCsvConfig(csv));
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.classes.size(), 2u);
    EXPECT_EQ(p.classes[0].name, "0");
    EXPECT_EQ(p.classes[0].total(), 10);
    EXPECT_EQ(p.classes[1].total(), 10);
    test::writeFile(csv, "a,y\n1,0.5\n2,1.5\n3,0.5\n4,1.5\n5,0.5\n");
    p = engine::previewData(test::tinyCsvConfig(csv));
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("'y' looks like a number to predict"), std::string::npos) << p.error;
}

TEST(DataPreview, ATableThatCannotBeReadAndTheBuiltInDataset) {
    test::TempDir dir;
    DataPreview p = engine::previewData(test::tinyCsvConfig(dir.file("absent.csv")));
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("absent.csv"), std::string::npos) << p.error;
    p = engine::previewData(test::tinyCsvConfig(""));
    EXPECT_FALSE(p.ok);
    EXPECT_TRUE(p.model.empty()) << "no model for data that cannot be read";
    EXPECT_NE(p.error.find("data.path"), std::string::npos) << p.error;
    p = engine::previewData(config::Config::defaults());
    EXPECT_TRUE(p.ok) << p.error;
    EXPECT_NE(p.summary.find("Fashion-MNIST"), std::string::npos);
    EXPECT_TRUE(p.classes.empty());
    EXPECT_EQ(p.model, "cnn");
}

TEST(DataPreview, TheSharedCarvingCoversEverySampleOnce) {
    // engine/data/splits.h, which the run and the preview share (the folder and table tests
    // above pin the run's counts: 72/8/20 and 216/24/60).
    const engine::Carved s = engine::carveSplits(10, 0.2, 0.1, 42);
    EXPECT_EQ(s.test.size(), 2u);
    EXPECT_EQ(s.val.size(), 1u);
    EXPECT_EQ(s.train.size(), 7u);
    std::vector<std::int64_t> all = s.train;
    all.insert(all.end(), s.val.begin(), s.val.end());
    all.insert(all.end(), s.test.begin(), s.test.end());
    std::sort(all.begin(), all.end());
    for (std::int64_t i = 0; i < 10; ++i)
        EXPECT_EQ(all[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(engine::limitedSample(s.train, 3, 42).size(), 3u);
    EXPECT_EQ(engine::limitedSample(s.train, 0, 42), s.train);
}

// A text: the classes per part as the run splits them, and the training part's lengths, cuts and
// vocabulary against a brute-force count from the reader and tokenizer; smart padding's share
// below a shuffle's; a second Scan from the cache.
TEST(DataPreview, ATextShowsLengthsVocabularyAndThePaddingBucketingSaves) {
    test::TempDir dir;
    const std::string csv = dir.file("quotes.csv");
    std::string table = "quote,topic\n";
    for (int i = 0; i < 300; ++i) {
        std::string text;
        for (int w = 0; w < 1 + (i * 37) % 120; ++w)
            text.append("w").append(std::to_string((i + w) % 97)).append(" ");
        table += text + "," + (i % 3 == 0 ? "art" : "law") + "\n";
    }
    test::writeFile(csv, table);
    config::Config c = config::Config::defaults();
    c.set("data.source", std::string("text"));
    c.set("data.path", csv);
    c.set("data.text", std::string("quote"));
    c.set("data.max_len", std::int64_t{100});
    c.set("data.vocab_size", std::int64_t{50});
    c.set("batch_size", std::int64_t{16});
    c.set("model", std::string("auto"));
    const DataPreview p = engine::previewData(c);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.texts, 300u);
    EXPECT_EQ(p.model, "textcnn");
    ASSERT_EQ(p.classes.size(), 2u);
    EXPECT_EQ(p.classes[0].name, "art");
    EXPECT_EQ(p.classes[0].total(), 100);

    const auto parts =
        engine::carveSplits(300, c.number("data.test_size"), c.number("data.val_share"),
                            static_cast<std::uint64_t>(c.integer("data.split_seed")));
    EXPECT_EQ(p.trainCount(), static_cast<std::int64_t>(parts.train.size()));
    std::vector<std::int64_t> lengths;
    std::set<std::string> distinct;
    std::size_t cut = 0;
    for (std::int64_t r : parts.train) {
        const std::int64_t words = 1 + (r * 37) % 120;
        lengths.push_back(words);  // as written: what data.max_len is chosen by
        cut += words > 100;
        for (int w = 0; w < words; ++w)
            distinct.insert(std::string("w").append(std::to_string((r + w) % 97)));
    }
    std::sort(lengths.begin(), lengths.end());
    EXPECT_EQ(p.lengthMedian, lengths[lengths.size() / 2]);
    EXPECT_EQ(p.lengthMax, lengths.back());
    EXPECT_GT(p.lengthMax, 100);
    EXPECT_EQ(p.cut, cut);
    EXPECT_TRUE(hasProblem(p, std::to_string(cut) + " training texts are longer than"));
    EXPECT_EQ(p.vocabulary, std::min<std::size_t>(distinct.size() + 2, 50));
    EXPECT_LT(p.paddingBucketed, 0.1);
    EXPECT_GT(p.paddingShuffled, 3 * p.paddingBucketed);
    const std::string text = engine::formatPreview(p);
    EXPECT_NE(text.find("padding at batch_size"), std::string::npos) << text;
    EXPECT_EQ(p.summary.find("scan cache"), std::string::npos) << p.summary;
    const DataPreview again = engine::previewData(c);
    EXPECT_NE(again.summary.find("(from the scan cache)"), std::string::npos) << again.summary;
    EXPECT_EQ(again.lengthMedian, p.lengthMedian);

    c.set("data.text", std::string("qoute"));
    const DataPreview typo = engine::previewData(c);
    EXPECT_FALSE(typo.ok);
    EXPECT_NE(typo.error.find("did you mean 'quote'"), std::string::npos) << typo.error;
}
