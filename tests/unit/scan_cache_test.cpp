// The scan cache and the streaming loader, Torch-free: a second scan of an unchanged folder reads
// no file and gives the same pixels, sums and quarantine; a changed file is decoded again, alone;
// a damaged cache is ignored in words; a folder too large for memory is streamed, and its
// batches come out the same on any number of workers, in or out of order.

#include "engine/images/scan_cache.h"

#include <gtest/gtest.h>

#include <QImage>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/images/image_folder.h"
#include "engine/images/prefetch.h"
#include "support/fixtures.h"
#include "support/image_fixtures.h"

using namespace runboard;
using namespace runboard::engine;
namespace fs = std::filesystem;

namespace {

void expectSameScan(const DecodedImages& a, const DecodedImages& b) {
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.channels, b.channels);
    EXPECT_EQ(a.kept, b.kept);
    EXPECT_TRUE(a.pixels == b.pixels);
    EXPECT_EQ(a.sums, b.sums);
    EXPECT_EQ(a.squares, b.squares);
    ASSERT_EQ(a.quarantined.size(), b.quarantined.size());
    for (std::size_t i = 0; i < a.quarantined.size(); ++i) {
        EXPECT_EQ(a.quarantined[i].path, b.quarantined[i].path);
        EXPECT_EQ(a.quarantined[i].reason, b.quarantined[i].reason);
    }
}

// Sums by brute force over the decoded pixels, channel by channel.
std::vector<std::uint64_t> bruteSums(const DecodedImages& d, bool squares) {
    std::vector<std::uint64_t> out;
    const std::size_t plane = static_cast<std::size_t>(d.size) * static_cast<std::size_t>(d.size);
    for (std::size_t k = 0; k < d.kept.size(); ++k)
        for (std::size_t c = 0; c < static_cast<std::size_t>(d.channels); ++c) {
            std::uint64_t s = 0;
            for (std::size_t i = 0; i < plane; ++i) {
                const std::uint64_t v =
                    d.pixels[(k * static_cast<std::size_t>(d.channels) + c) * plane + i];
                s += squares ? v * v : v;
            }
            out.push_back(s);
        }
    return out;
}

}  // namespace

TEST(ScanCache, ASecondScanReadsNoFileAndGivesTheSameResult) {
    test::TempDir dir;
    const fs::path root = dir.path() / "hostile";
    const auto bad = test::writeHostileFolder(root);
    const FolderListing listing = listImageFolder(root.string());
    DecodeOptions o{
        .size = 20, .channels = 0, .threads = 2, .cacheDir = (dir.path() / "cache").string()};
    const DecodedImages plain = decodeImages(listing, {.size = 20}, 1 << 30);
    const DecodedImages first = decodeImages(listing, o, 1 << 30);
    EXPECT_EQ(first.cachedFiles, 0u);
    EXPECT_EQ(first.decodedFiles, listing.files.size());
    EXPECT_TRUE(first.cacheNote.empty()) << first.cacheNote;
    expectSameScan(plain, first);
    EXPECT_EQ(first.sums, bruteSums(first, false));
    EXPECT_EQ(first.squares, bruteSums(first, true));
    EXPECT_EQ(first.quarantined.size(), bad.size());

    const DecodedImages second = decodeImages(listing, o, 1 << 30);
    EXPECT_EQ(second.decodedFiles, 0u);  // not even the quarantined ones are read again
    EXPECT_EQ(second.cachedFiles, first.kept.size());
    expectSameScan(first, second);

    // Another size is another cache entry; the first stays.
    DecodeOptions other = o;
    other.size = 12;
    EXPECT_EQ(decodeImages(listing, other, 1 << 30).cachedFiles, 0u);
    EXPECT_EQ(decodeImages(listing, o, 1 << 30).decodedFiles, 0u);
}

TEST(ScanCache, AChangedFileIsDecodedAgainAloneAndADamagedCacheIsIgnored) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 6);
    const FolderListing listing = listImageFolder(root.string());
    const DecodeOptions o{.threads = 1, .cacheDir = (dir.path() / "cache").string()};
    const DecodedImages first = decodeImages(listing, o, 1 << 30);
    ASSERT_EQ(first.quarantined.size(), 0u);

    // class3/00002.png becomes a white square (another size on disk, another time).
    const fs::path changed = root / "class3/00002.png";
    test::writeSolidImage(changed, 28, 28, true, 255);
    fs::last_write_time(changed, fs::last_write_time(changed) + std::chrono::seconds(5));
    const DecodedImages second = decodeImages(listing, o, 1 << 30);
    EXPECT_EQ(second.decodedFiles, 1u);
    EXPECT_EQ(second.cachedFiles, listing.files.size() - 1);
    const DecodedImages fresh = decodeImages(listing, {.threads = 1}, 1 << 30);
    expectSameScan(fresh, second);
    std::size_t at = 0;
    while (listing.files[second.kept[at]].path != "class3/00002.png")
        ++at;
    EXPECT_EQ(second.pixels[at * second.imageBytes() + 100], 255);

    // One flipped byte in the middle of the cache: ignored with a note, the result unchanged.
    const std::string path = scanCachePath(o.cacheDir, root.string(), 0, 0);
    ASSERT_TRUE(fs::exists(path));
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
        f.put('\x5a');
    }
    const DecodedImages third = decodeImages(listing, o, 1 << 30);
    EXPECT_NE(third.cacheNote.find("fails its checksum"), std::string::npos) << third.cacheNote;
    EXPECT_EQ(third.decodedFiles, listing.files.size());
    expectSameScan(fresh, third);
    // Rewritten whole: the next scan uses it again. A truncated cache is refused too.
    EXPECT_EQ(decodeImages(listing, o, 1 << 30).decodedFiles, 0u);
    fs::resize_file(path, 40);
    EXPECT_NE(decodeImages(listing, o, 1 << 30).cacheNote.find("truncated"), std::string::npos);
}

TEST(ScanCache, AtMostEightScansAreKept) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 2);
    const FolderListing listing = listImageFolder(root.string());
    for (int size = 8; size < 8 + kScanCacheKeep + 3; ++size)
        (void)decodeImages(listing, {.size = size, .cacheDir = (dir.path() / "cache").string()},
                           1 << 30);
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path() / "cache"))
        files += e.path().filename().string().starts_with("scan-") ? 1 : 0;
    EXPECT_EQ(files, static_cast<std::size_t>(kScanCacheKeep));
}

TEST(StreamingLoader, AFolderTooLargeForMemoryIsStillScannedWhole) {
    test::TempDir dir;
    const fs::path root = dir.path() / "hostile";
    const auto bad = test::writeHostileFolder(root);
    const FolderListing listing = listImageFolder(root.string());
    const DecodedImages kept = decodeImages(listing, {.size = 16}, 1 << 30);
    const DecodedImages streamed =
        decodeImages(listing, {.size = 16, .cacheDir = (dir.path() / "c").string()}, 1000);
    EXPECT_TRUE(streamed.streamed);
    EXPECT_FALSE(kept.streamed);
    EXPECT_TRUE(streamed.pixels.empty());
    EXPECT_EQ(streamed.kept, kept.kept);  // every bad file found all the same
    EXPECT_EQ(streamed.quarantined.size(), bad.size());
    EXPECT_EQ(streamed.sums, kept.sums);
    EXPECT_EQ(streamed.squares, kept.squares);
    // Its cache holds the records, not the pixels: the next scan reads nothing.
    const DecodedImages again =
        decodeImages(listing, {.size = 16, .cacheDir = (dir.path() / "c").string()}, 1000);
    EXPECT_EQ(again.decodedFiles, 0u);
    EXPECT_EQ(again.sums, kept.sums);
    EXPECT_LT(fs::file_size(scanCachePath((dir.path() / "c").string(), root.string(), 16, 0)),
              kept.pixels.size());
}

TEST(StreamingLoader, BatchesAreTheSameOnAnyNumberOfWorkersAndInAnyOrder) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 8, "jpg");
    const FolderListing listing = listImageFolder(root.string());
    const DecodedImages kept = decodeImages(listing, {.size = 20}, 1 << 30);
    ASSERT_EQ(kept.kept.size(), listing.files.size());
    // 10 batches of 7 files in a scrambled order.
    std::vector<std::vector<std::size_t>> batches(10);
    for (std::size_t i = 0; i < 70; ++i)
        batches[i / 7].push_back((i * 37) % listing.files.size());
    const std::size_t bytes = kept.imageBytes();
    auto expected = [&](std::size_t k) {
        std::vector<std::uint8_t> out;
        for (std::size_t f : batches[k])
            out.insert(out.end(), kept.pixels.begin() + static_cast<long>(f * bytes),
                       kept.pixels.begin() + static_cast<long>((f + 1) * bytes));
        return out;
    };
    for (int workers : {1, 3}) {
        BatchPrefetcher p({&listing, kept.size, kept.channels, workers}, 2);
        for (int epoch = 0; epoch < 2; ++epoch) {
            p.start(batches);
            for (std::size_t k = 0; k < batches.size(); ++k)
                EXPECT_TRUE(p.take(k) == expected(k)) << workers << " workers, batch " << k;
        }
        // Out of order: a skip ahead, then back.
        p.start(batches);
        EXPECT_TRUE(p.take(0) == expected(0));
        EXPECT_TRUE(p.take(6) == expected(6));
        EXPECT_TRUE(p.take(2) == expected(2));
        EXPECT_TRUE(p.take(7) == expected(7));
        EXPECT_EQ(p.failures(), 0u);
        p.start(batches);  // and dropped mid-epoch: the destructor joins
        (void)p.take(1);
    }
    std::vector<std::uint8_t> all(70 * bytes);
    std::vector<std::size_t> files;
    for (const auto& b : batches)
        files.insert(files.end(), b.begin(), b.end());
    EXPECT_EQ(decodeFiles({&listing, kept.size, kept.channels, 2}, files, all.data(), 2), 0u);
    for (std::size_t k = 0; k < batches.size(); ++k)
        EXPECT_TRUE(std::equal(all.begin() + static_cast<long>(k * 7 * bytes),
                               all.begin() + static_cast<long>((k + 1) * 7 * bytes),
                               expected(k).begin()));
}

TEST(StreamingLoader, AFileThatVanishesMidRunIsBlackAndCountedNotFatal) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 3);
    const FolderListing listing = listImageFolder(root.string());
    fs::remove(root / listing.files[4].path);
    BatchPrefetcher p({&listing, 28, 1, 2}, 2);
    p.start({{3, 4, 5}, {6}});
    const auto first = p.take(0);
    ASSERT_EQ(first.size(), 3u * 28 * 28);
    EXPECT_TRUE(std::all_of(first.begin() + 28 * 28, first.begin() + 2 * 28 * 28,
                            [](std::uint8_t v) { return v == 0; }));
    EXPECT_FALSE(
        std::all_of(first.begin(), first.begin() + 28 * 28, [](std::uint8_t v) { return v == 0; }));
    EXPECT_EQ(p.take(1).size(), 28u * 28);
    EXPECT_EQ(p.failures(), 1u);
}

// The New Run dialog's Scan and a run in the same process may scan one folder at once: each
// writes the cache whole under its own temporary name, and the next scan reads it.
TEST(ScanCache, TwoScansOfOneFolderAtOnceBothWriteAWholeCache) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 20);
    const FolderListing listing = listImageFolder(root.string());
    const DecodeOptions o{.threads = 1, .cacheDir = (dir.path() / "cache").string()};
    DecodedImages a, b;
    {
        std::jthread first([&] { a = decodeImages(listing, o, 1 << 30); });
        std::jthread second([&] { b = decodeImages(listing, o, 1 << 30); });
    }
    EXPECT_TRUE(a.cacheNote.empty()) << a.cacheNote;
    EXPECT_TRUE(b.cacheNote.empty()) << b.cacheNote;
    expectSameScan(a, b);
    const DecodedImages third = decodeImages(listing, o, 1 << 30);
    EXPECT_EQ(third.decodedFiles, 0u) << third.cacheNote;
    expectSameScan(a, third);
    for (const auto& e : fs::directory_iterator(dir.path() / "cache"))
        EXPECT_FALSE(e.path().string().ends_with(".tmp")) << e.path();
}

// Version 1 of the cache called an 8-bit BMP with a gray palette colour (gray was Qt's format,
// not the pixels): a cache of that version is not believed but written again.
TEST(ScanCache, ACacheOfAnEarlierVersionIsScannedAgain) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bmp";
    QImage gray(28, 28, QImage::Format_Indexed8);
    QList<QRgb> table;
    for (int i = 0; i < 256; ++i)
        table.push_back(qRgb(i, i, i));
    gray.setColorTable(table);
    gray.fill(120);
    for (const char* file : {"a/x.bmp", "b/y.bmp"}) {
        fs::create_directories((root / file).parent_path());
        ASSERT_TRUE(gray.save(QString::fromStdString((root / file).string())));
    }
    const FolderListing listing = listImageFolder(root.string());
    const DecodeOptions o{.threads = 1, .cacheDir = (dir.path() / "cache").string()};
    const DecodedImages first = decodeImages(listing, o, 1 << 20);
    EXPECT_EQ(first.channels, 1);
    const std::string path = scanCachePath(o.cacheDir, root.string(), o.size, o.channels);
    std::string bytes = test::readFile(path);
    ASSERT_GT(bytes.size(), 8u);
    bytes[7] = '\x01';  // the version; the checksum covers what follows the magic only
    test::writeFile(path, bytes);
    const DecodedImages second = decodeImages(listing, o, 1 << 20);
    EXPECT_EQ(second.cachedFiles, 0u);
    EXPECT_NE(second.cacheNote.find("is not one this version wrote"), std::string::npos)
        << second.cacheNote;
    expectSameScan(first, second);
}
