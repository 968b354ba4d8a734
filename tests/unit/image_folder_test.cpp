// Image folders, Torch-free: the listing on a hostile fixture (classes, stable ids, what is
// skipped), the quarantine with its reasons, the decoded pixels against known images (exact
// without scaling, the centre crop), determinism across thread counts, and every refusal.

#include "engine/images/image_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <QImage>
#include <algorithm>
#include <filesystem>

#include "engine/errors.h"
#include "support/fixtures.h"
#include "support/image_fixtures.h"

using namespace runboard;
using namespace runboard::engine;
namespace fs = std::filesystem;

namespace {

bool hasSkipped(const FolderListing& l, const std::string& prefix) {
    return std::any_of(l.skipped.begin(), l.skipped.end(),
                       [&](const std::string& s) { return s.starts_with(prefix); });
}

std::string dataErrorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no DataError)";
}

}  // namespace

TEST(ImageFolder, TheHostileFixtureListsClassesFilesAndWhatWasSkipped) {
    test::TempDir dir;
    const fs::path root = dir.path() / "pets";
    test::writeHostileFolder(root);
    const FolderListing l = listImageFolder(root.string());
    // torchvision would make .ipynb_checkpoints and __MACOSX classes; here they are skipped.
    EXPECT_EQ(l.classes, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_FALSE(l.presplit);
    std::vector<std::string> paths;
    for (const auto& f : l.files) {
        paths.push_back(f.path);
        EXPECT_EQ(f.label, f.path.starts_with("cat/") ? 0 : 1) << f.path;
        EXPECT_EQ(f.id, folderSampleId(f.path));
        EXPECT_GE(f.id, 0);
        EXPECT_LT(f.id, std::int64_t{1} << 53);
    }
    EXPECT_EQ(paths,
              (std::vector<std::string>{"cat/B.PNG", "cat/a.png", "cat/c d \xC3\xA9t\xC3\xA9.jpg",
                                        "cat/nested/deeper/d.bmp", "cat/truncated.jpg",
                                        "cat/zero.png", "dog/1.png", "dog/2.ppm", "dog/3.pgm",
                                        "dog/4.JPEG", "dog/cut.png", "dog/text.png"}));
    for (const char* s : {".DS_Store", ".ipynb_checkpoints", "__MACOSX", "readme.txt",
                          "cat/notes.txt", "dog/Thumbs.db", "dog/.hidden.png"})
        EXPECT_TRUE(hasSkipped(l, s)) << s;
    // The ids do not depend on the other files.
    fs::remove(root / "cat/a.png");
    const FolderListing fewer = listImageFolder(root.string());
    EXPECT_EQ(fewer.files.front().id, l.files.front().id);
    EXPECT_EQ(fewer.files.back().id, l.files.back().id);
}

TEST(ImageFolder, BadFilesAreQuarantinedWithTheirReasonAndTheRestDecoded) {
    test::TempDir dir;
    const fs::path root = dir.path() / "pets";
    const auto bad = test::writeHostileFolder(root);
    const FolderListing l = listImageFolder(root.string());
    const DecodedImages d = decodeImages(l, {.size = 16, .channels = 0, .threads = 2}, 1 << 30);
    std::vector<std::string> quarantined;
    for (const auto& q : d.quarantined) {
        quarantined.push_back(q.path);
        EXPECT_FALSE(q.reason.empty());
    }
    EXPECT_EQ(quarantined, bad);
    auto reason = [&](const std::string& path) {
        for (const auto& q : d.quarantined)
            if (q.path == path) return q.reason;
        return std::string();
    };
    EXPECT_EQ(reason("cat/zero.png"), "zero bytes");
    EXPECT_NE(reason("cat/truncated.jpg").find("truncated JPEG"), std::string::npos);
    EXPECT_NE(reason("dog/text.png").find("not an image"), std::string::npos);
    EXPECT_EQ(d.kept.size(), l.files.size() - bad.size());
    EXPECT_EQ(d.channels, 3);  // mixed gray and colour
    EXPECT_EQ(d.size, 16);
    EXPECT_EQ(d.pixels.size(), d.kept.size() * 3 * 16 * 16);
    EXPECT_FALSE(d.sizesSeen.empty());
    // The same result on one thread and with a progress callback.
    std::size_t last = 0;
    const DecodedImages one = decodeImages(l, {.size = 16, .channels = 0, .threads = 1}, 1 << 30,
                                           [&](std::size_t done, std::size_t total) {
                                               EXPECT_LE(done, total);
                                               last = done;
                                           });
    EXPECT_EQ(one.pixels, d.pixels);
    EXPECT_EQ(one.kept, d.kept);
    EXPECT_EQ(last, l.files.size());
}

TEST(ImageFolder, PixelsAreExactWithoutScalingAndTheCropIsCentred) {
    test::TempDir dir;
    const fs::path root = dir.path() / "f";
    test::writeSolidImage(root / "a/one.png", 28, 28, true, 77);
    test::writeSolidImage(root / "b/two.png", 28, 28, true, 200);
    const FolderListing l = listImageFolder(root.string());
    DecodedImages d = decodeImages(l, {}, 1 << 30);
    EXPECT_EQ(d.size, 28);  // the median shorter side
    EXPECT_EQ(d.channels, 1);
    ASSERT_EQ(d.pixels.size(), 2u * 28 * 28);
    EXPECT_TRUE(
        std::all_of(d.pixels.begin(), d.pixels.begin() + 784, [](auto p) { return p == 77; }));
    EXPECT_TRUE(
        std::all_of(d.pixels.begin() + 784, d.pixels.end(), [](auto p) { return p == 200; }));
    // A 60x20 image: black, white in the middle third, black; cropped to the centre 20x20.
    test::TempDir dir2;
    const fs::path wide = dir2.path() / "w";
    test::writeSolidImage(wide / "a/x.png", 20, 20, true, 0);
    test::writeSolidImage(wide / "b/y.png", 20, 20, true, 0);
    {
        // Overwrite b/y.png with the striped image.
        QImage image(60, 20, QImage::Format_Grayscale8);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 60; ++x)
                image.scanLine(y)[x] = x >= 20 && x < 40 ? 255 : 0;
        ASSERT_TRUE(image.save(QString::fromStdString((wide / "b/y.png").string())));
    }
    d = decodeImages(listImageFolder(wide.string()), {.size = 20, .channels = 1, .threads = 1},
                     1 << 30);
    ASSERT_EQ(d.kept.size(), 2u);
    EXPECT_TRUE(std::all_of(d.pixels.begin() + 400, d.pixels.end(), [](auto p) {
        return p == 255;
    })) << "the crop is the centre third";
}

TEST(ImageFolder, TrainAndTestFoldersAreTheSplits) {
    test::TempDir dir;
    const fs::path root = dir.path() / "split";
    test::writeBarFolder(root, 3, "png", 2);
    const FolderListing l = listImageFolder(root.string());
    EXPECT_TRUE(l.presplit);
    EXPECT_EQ(l.classes.size(), 10u);
    EXPECT_EQ(std::count_if(l.files.begin(), l.files.end(),
                            [](const auto& f) { return f.part == FolderPart::Test; }),
              20);
    EXPECT_EQ(l.files.front().path, "train/class0/00000.png");
    // A test class that training does not know is refused.
    test::writeSolidImage(root / "test/zebra/z.png", 28, 28, true, 1);
    EXPECT_NE(dataErrorOf([&] {
                  (void)listImageFolder(root.string());
              }).find("has class 'zebra', which train/ does not have"),
              std::string::npos);
}

TEST(ImageFolder, FoldersThatCannotBeDatasetsAreRefusedInWords) {
    test::TempDir dir;
    EXPECT_NE(
        dataErrorOf([&] { (void)listImageFolder(dir.file("nowhere")); }).find("does not exist"),
        std::string::npos);
    const fs::path flat = dir.path() / "flat";
    test::writeSolidImage(flat / "a.png", 28, 28, true, 1);
    EXPECT_NE(
        dataErrorOf([&] { (void)listImageFolder(flat.string()); }).find("has no class sub-folders"),
        std::string::npos);
    const fs::path one = dir.path() / "one";
    test::writeSolidImage(one / "cat/a.png", 28, 28, true, 1);
    EXPECT_NE(dataErrorOf([&] { (void)listImageFolder(one.string()); }).find("has one class"),
              std::string::npos);
    fs::create_directories(one / "dog");
    EXPECT_NE(dataErrorOf([&] { (void)listImageFolder(one.string()); }).find("has no images"),
              std::string::npos);
    // Every file undecodable.
    const fs::path junk = dir.path() / "junk";
    fs::create_directories(junk / "a");
    fs::create_directories(junk / "b");
    test::writeFile((junk / "a/x.png").string(), "text");
    test::writeFile((junk / "b/y.png").string(), "text");
    EXPECT_NE(dataErrorOf([&] {
                  (void)decodeImages(listImageFolder(junk.string()), {}, 1 << 30);
              }).find("none of its 2 image files can be decoded"),
              std::string::npos);
    // Unreadable permissions (root reads everything, so only as another user).
    if (geteuid() != 0) {
        const fs::path locked = dir.path() / "locked";
        test::writeSolidImage(locked / "a/x.png", 28, 28, true, 1);
        test::writeSolidImage(locked / "b/y.png", 28, 28, true, 1);
        test::writeSolidImage(locked / "b/z.png", 28, 28, true, 1);
        fs::permissions(locked / "b/z.png", fs::perms::none);
        const auto d = decodeImages(listImageFolder(locked.string()), {}, 1 << 30);
        ASSERT_EQ(d.quarantined.size(), 1u);
        EXPECT_NE(d.quarantined[0].reason.find("cannot be read"), std::string::npos);
    }
}

// The layouts people have: train/ with val/ but no test/; Kaggle's train/<class>/ beside an
// unlabelled test/; split folders without train/ (refused: a split's name is never a class).
TEST(ImageFolder, SplitFolderLayoutsAreRecognisedAndNeverBecomeClasses) {
    test::TempDir dir;
    const fs::path trainVal = dir.path() / "tv";
    for (const char* part : {"train", "val"})
        for (const char* cls : {"cat", "dog"})
            test::writeSolidImage(trainVal / part / cls / "a.png", 28, 28, true, 1);
    FolderListing l = listImageFolder(trainVal.string());
    EXPECT_TRUE(l.presplit);
    EXPECT_EQ(l.classes, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(std::count_if(l.files.begin(), l.files.end(),
                            [](const auto& f) { return f.part == FolderPart::Val; }),
              2);

    const fs::path kaggle = dir.path() / "kaggle";
    for (const char* cls : {"cat", "dog"})
        test::writeSolidImage(kaggle / "train" / cls / "a.png", 28, 28, true, 1);
    test::writeSolidImage(kaggle / "test/123.png", 28, 28, true, 1);
    l = listImageFolder(kaggle.string());
    EXPECT_TRUE(l.presplit);
    EXPECT_EQ(l.classes, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(l.files.size(), 2u);
    EXPECT_TRUE(hasSkipped(l, "test (no class folders"));

    const fs::path noTrain = dir.path() / "notrain";
    for (const char* part : {"training_set_old", "testing"})
        test::writeSolidImage(noTrain / part / "cat/a.png", 28, 28, true, 1);
    EXPECT_NE(dataErrorOf([&] {
                  (void)listImageFolder(noTrain.string());
              }).find("has testing/ but no train/"),
              std::string::npos);
}

// Names that are not UTF-8 are read by their bytes; a 4000x1 image is cropped before it is
// scaled (its centre pixel, not a 256000x64 intermediate).
TEST(ImageFolder, NonUtf8NamesAndExtremeAspectRatiosDecode) {
    test::TempDir dir;
    const fs::path root = dir.path() / "odd";
    test::writeSolidImage(root / "caf\xE9/\xFF\xFE.png", 28, 28, true, 90);
    {
        QImage wide(4000, 1, QImage::Format_Grayscale8);
        wide.fill(0);
        wide.setPixel(1999, 0, qRgb(255, 255, 255));  // the centre of 4000 (1999.5), rounded down
        wide.setPixel(2000, 0, qRgb(255, 255, 255));
        fs::create_directories(root / "wide");
        ASSERT_TRUE(wide.save(QString::fromStdString((root / "wide/w.png").string())));
    }
    const auto d =
        decodeImages(listImageFolder(root.string()), {.size = 1, .channels = 1}, 1 << 20);
    EXPECT_TRUE(d.quarantined.empty())
        << d.quarantined.front().path << ": " << d.quarantined.front().reason;
    ASSERT_EQ(d.kept.size(), 2u);
    EXPECT_EQ(d.pixels[0], 90);
    EXPECT_EQ(d.pixels[1], 255);
}
