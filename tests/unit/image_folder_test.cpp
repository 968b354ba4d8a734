// Image folders, Torch-free: the listing on a hostile fixture (classes, stable ids, what is
// skipped), the quarantine with its reasons, the decoded pixels against known images (exact
// without scaling, the centre crop), determinism across thread counts, and every refusal.

#include "engine/images/image_folder.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QImage>
#include <algorithm>
#include <filesystem>
#include <optional>

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
    // Photo-sized images: the median shorter side (150) is capped at 96, the resnet's largest.
    test::writeSolidImage(dir.path() / "p/a/one.png", 200, 150, false, 10);
    test::writeSolidImage(dir.path() / "p/b/two.png", 150, 150, false, 20);
    EXPECT_EQ(decodeImages(listImageFolder((dir.path() / "p").string()), {}, 1 << 30).size,
              kMaxAutoImageSize);
    EXPECT_EQ(kMaxAutoImageSize, 96);
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

// Split folders in any case are splits (Kaggle's Train/ and Test/, VAL/, Valid/): taken for
// classes, the model would learn train-against-test. Two spellings of one split are refused.
TEST(ImageFolder, SplitFoldersInAnyCaseAreSplitsNeverClasses) {
    test::TempDir dir;
    const fs::path root = dir.path() / "caps";
    for (const char* part : {"Train", "VAL", "Test"})
        for (const char* cls : {"cat", "dog"})
            test::writeSolidImage(root / part / cls / "a.png", 28, 28, true, 1);
    const auto count = [](const FolderListing& l, FolderPart part) {
        return std::count_if(l.files.begin(), l.files.end(),
                             [&](const auto& f) { return f.part == part; });
    };
    FolderListing l = listImageFolder(root.string());
    EXPECT_TRUE(l.presplit);
    EXPECT_EQ(l.classes, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(count(l, FolderPart::Train), 2);
    EXPECT_EQ(count(l, FolderPart::Val), 2);
    EXPECT_EQ(count(l, FolderPart::Test), 2);
    EXPECT_EQ(l.files.front().path, "Train/cat/a.png");

    fs::rename(root / "VAL", root / "Valid");
    l = listImageFolder(root.string());
    EXPECT_EQ(count(l, FolderPart::Val), 2);

    test::writeSolidImage(root / "train/cat/b.png", 28, 28, true, 1);
    const std::string both = dataErrorOf([&] { (void)listImageFolder(root.string()); });
    EXPECT_NE(both.find("has both Train/ and train/"), std::string::npos) << both;

    const fs::path noTrain = dir.path() / "notrain";
    for (const char* part : {"TEST", "Val"})
        test::writeSolidImage(noTrain / part / "cat/a.png", 28, 28, true, 1);
    const std::string refused = dataErrorOf([&] { (void)listImageFolder(noTrain.string()); });
    EXPECT_NE(refused.find("has Val/ but no train/"), std::string::npos) << refused;
}

// Gray is decided by the pixels, not by the format Qt reports: an 8-bit BMP with a gray palette
// (Indexed8), a gray+alpha PNG (ARGB32) and a palette PNG that uses only its gray entry are gray,
// and decode to their gray values (alpha dropped); a 1-bit BMP of red and blue is colour.
TEST(ImageFolder, GrayPixelsAreGrayWhateverTheFileStoresThemAs) {
    test::TempDir dir;
    const fs::path root = dir.path() / "gray";
    fs::create_directories(root / "a");
    fs::create_directories(root / "b");
    const auto save = [](const QImage& image, const fs::path& file) {
        ASSERT_TRUE(image.save(QString::fromStdString(file.string())));
    };
    QImage bmp(28, 28, QImage::Format_Indexed8);
    QList<QRgb> grays;
    for (int i = 0; i < 256; ++i)
        grays.push_back(qRgb(i, i, i));
    bmp.setColorTable(grays);
    bmp.fill(200);
    save(bmp, root / "a/gray.bmp");
    std::vector<std::uint8_t> grayAlpha;
    for (int i = 0; i < 28 * 28; ++i)
        grayAlpha.insert(grayAlpha.end(), {90, static_cast<std::uint8_t>(i % 256)});
    test::writeGrayAlphaPng(root / "a/alpha.png", 28, 28, grayAlpha);
    QImage palette(28, 28, QImage::Format_Indexed8);
    palette.setColorTable({qRgb(255, 0, 0), qRgb(60, 60, 60)});  // red is never used
    palette.fill(1);
    save(palette, root / "b/palette.png");

    DecodedImages d = decodeImages(listImageFolder(root.string()), {.threads = 2}, 1 << 30);
    ASSERT_TRUE(d.quarantined.empty()) << d.quarantined[0].reason;
    EXPECT_EQ(d.channels, 1);
    EXPECT_EQ(d.sizesSeen, (std::vector<std::string>{"28x28 gray: 3"}));
    ASSERT_EQ(d.pixels.size(), 3u * 28 * 28);
    const std::pair<int, int> expected[] = {{0, 90}, {1, 200}, {2, 60}};  // in path order
    for (const auto& [image, value] : expected)
        EXPECT_TRUE(std::all_of(d.pixels.begin() + image * 784,
                                d.pixels.begin() + image * 784 + 784,
                                [&](auto p) { return p == value; }))
            << int{d.pixels[static_cast<std::size_t>(image) * 784]} << " for " << value;

    QImage mono(28, 28, QImage::Format_Mono);
    mono.setColorTable({qRgb(255, 0, 0), qRgb(0, 0, 255)});
    mono.fill(1);
    save(mono, root / "b/mono.bmp");
    d = decodeImages(listImageFolder(root.string()), {.threads = 2}, 1 << 30);
    EXPECT_EQ(d.channels, 3);
}

// Alpha is dropped before scaling, as torchvision's convert("RGB") does: a transparent pixel
// keeps its own gray. (Qt scales with alpha premultiplied when it crops first: the centre of a
// 4x2 of two transparent black columns and two opaque 200 ones would come out 200, not 100.)
TEST(ImageFolder, AlphaIsDroppedBeforeScaling) {
    test::TempDir dir;
    const fs::path root = dir.path() / "alpha";
    test::writeGrayAlphaPng(root / "a/wide.png", 4, 2,  // (gray, alpha) x 4, two rows
                            {0, 0, 0, 0, 200, 255, 200, 255, 0, 0, 0, 0, 200, 255, 200, 255});
    test::writeSolidImage(root / "b/plain.png", 2, 2, true, 10);
    const FolderListing l = listImageFolder(root.string());
    for (const int channels : {1, 3}) {
        const auto d = decodeImages(l, {.size = 1, .channels = channels, .threads = 1}, 1 << 20);
        ASSERT_EQ(d.kept.size(), 2u);
        for (int c = 0; c < channels; ++c)
            EXPECT_NEAR(d.pixels[static_cast<std::size_t>(c)], 100, 2) << channels << " channels";
    }
}

// A PNG that Qt refuses for its size (above QImageReader::allocationLimit, 128 MB) is quarantined
// saying so, not "Unable to read image data"; a JPEG as large still decodes, scaled as it is read.
TEST(ImageFolder, AnImageTooLargeForQtIsQuarantinedInThoseWords) {
    test::TempDir dir;
    const fs::path root = dir.path() / "large";
    test::writePngHeader(root / "a/huge.png", 20000, 20000);  // 381 MB as 8-bit gray
    test::writeSolidImage(root / "a/small.png", 28, 28, true, 50);
    test::writeSolidImage(root / "b/large.jpg", 12000, 11500, true, 90);  // 132 MB as gray
    const auto d = decodeImages(listImageFolder(root.string()),
                                {.size = 8, .channels = 1, .threads = 2}, 1 << 20);
    ASSERT_EQ(d.quarantined.size(), 1u);
    EXPECT_EQ(d.quarantined[0].path, "a/huge.png");
    EXPECT_EQ(d.quarantined[0].reason,
              "too large to decode: 20000x20000 px would take 381 MB, more than the 128 MB Qt "
              "allows per image (resize the file)");
    ASSERT_EQ(d.kept.size(), 2u);
    EXPECT_NEAR(d.pixels[64], 90, 2) << "the JPEG";
}

namespace {

// What listImageFolder says to a user who may not read what chmod 000 locked. Root reads
// everything, so then the listing runs in a child process that has become nobody; nullopt when
// that cannot be done.
std::optional<std::string> listAsUser(const fs::path& root) {
    int fds[2];
    if (::pipe(fds) != 0) return std::nullopt;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        if (::geteuid() == 0 &&
            (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
            ::_exit(77);
        std::string said = "listed";
        try {
            for (const auto& s : listImageFolder(root.string()).skipped)
                said += "\n" + s;
        } catch (const std::exception& e) {
            said = e.what();
        }
        const bool written =
            ::write(fds[1], said.data(), said.size()) == static_cast<ssize_t>(said.size());
        ::_exit(written ? 0 : 1);
    }
    ::close(fds[1]);
    std::string said;
    char chunk[4096];
    for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;)
        said.append(chunk, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return std::nullopt;
    return said;
}

}  // namespace

// A folder that cannot be listed is not an empty one: a class folder is refused with the
// system's reason, a folder below it is skipped and listed with it.
TEST(ImageFolder, AnUnreadableFolderSaysWhyNotThatItIsEmpty) {
    test::TempDir dir;
    const fs::path root = dir.path() / "locked";
    test::writeSolidImage(root / "a/x.png", 28, 28, true, 1);
    test::writeSolidImage(root / "b/y.png", 28, 28, true, 1);
    test::writeSolidImage(root / "b/sub/z.png", 28, 28, true, 1);
    fs::permissions(root / "b/sub", fs::perms::none);
    const auto nested = listAsUser(root);
    fs::permissions(root / "b/sub", fs::perms::owner_all);
    if (!nested) GTEST_SKIP() << "cannot run as a user without root's permissions";
    EXPECT_NE(nested->find("\nb/sub (cannot be read: Permission denied)"), std::string::npos)
        << *nested;

    fs::permissions(root / "b", fs::perms::none);
    const auto top = listAsUser(root);
    fs::permissions(root / "b", fs::perms::owner_all);
    ASSERT_TRUE(top);
    EXPECT_EQ(*top,
              "class folder '" + (root / "b").string() + "' cannot be read: Permission denied");
}

// Symbolic links to folders are followed; one that leads back to a folder it is inside (or
// resolves to itself) is skipped and listed as a loop, not followed forever nor made a class.
TEST(ImageFolder, SymbolicLinkLoopsAreSkippedAndListed) {
    test::TempDir dir;
    const fs::path root = dir.path() / "links";
    test::writeSolidImage(root / "cat/a.png", 28, 28, true, 1);
    test::writeSolidImage(root / "dog/b.png", 28, 28, true, 1);
    test::writeSolidImage(dir.path() / "elsewhere/c.png", 28, 28, true, 1);
    fs::create_directory_symlink("..", root / "cat/up");
    fs::create_directory_symlink(".", root / "dog/here");
    fs::create_symlink("spin", root / "dog/spin");
    fs::create_directory_symlink(root, root / "again");
    fs::create_directory_symlink(dir.path() / "elsewhere", root / "cat/more");
    const FolderListing l = listImageFolder(root.string());
    EXPECT_EQ(l.classes, (std::vector<std::string>{"cat", "dog"}));
    std::vector<std::string> paths;
    for (const auto& f : l.files)
        paths.push_back(f.path);
    EXPECT_EQ(paths, (std::vector<std::string>{"cat/a.png", "cat/more/c.png", "dog/b.png"}));
    for (const char* s : {"again (symbolic link loop)", "cat/up (symbolic link loop)",
                          "dog/here (symbolic link loop)", "dog/spin (symbolic link loop)"})
        EXPECT_TRUE(hasSkipped(l, s)) << s;
}
