// The IDX reader on generated fixtures (valid, wrong magic, truncated, too long) and on the real
// Fashion-MNIST files when Debian's package is installed.

#include "engine/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

#include "engine/errors.h"
#include "support/fixtures.h"

using namespace runboard::engine;
using runboard::test::TempDir;

// The largest single allocation through operator new while gWatch is set, where more than 1 GB is
// refused with bad_alloc: a reader that believes a header's sizes fails here at once instead of
// zero-filling 16 GB of the test machine.
namespace {
std::atomic<bool> gWatch{false};
std::atomic<std::size_t> gLargest{0};
constexpr std::size_t kAllocLimit = std::size_t{1} << 30;
}  // namespace

void* operator new(std::size_t n) {
    if (gWatch.load(std::memory_order_relaxed)) {
        gLargest.store(std::max(gLargest.load(), n));
        if (n > kAllocLimit) throw std::bad_alloc();
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's buffer): else it comes from ASan's allocator and goes
// back through the free() below, a mismatch ASan reports.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return std::malloc(n == 0 ? 1 : n);
}
// (GCC sees free() on memory from `new` once these are inlined; they are the matching pair.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
#pragma GCC diagnostic pop

namespace {

std::string errorOf(const std::string& path, int rank) {
    try {
        readIdx(path, rank);
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

void writeGz(const std::string& path, const std::string& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}

}  // namespace

TEST(Idx, RoundTripsImagesAndLabels) {
    TempDir dir;
    std::vector<std::uint8_t> data(3 * 4 * 5);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::uint8_t>(i * 7);
    writeIdxGz(dir.file("img.gz"), {3, 4, 5}, data);
    const IdxArray a = readIdx(dir.file("img.gz"), 3);
    EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{3, 4, 5}));
    EXPECT_EQ(a.data, data);
    writeIdxGz(dir.file("lab.gz"), {3}, {1, 2, 9});
    EXPECT_EQ(readIdx(dir.file("lab.gz"), 1).data, (std::vector<std::uint8_t>{1, 2, 9}));
}

TEST(Idx, WrongMagicIsNamed) {
    TempDir dir;
    writeIdxGz(dir.file("lab.gz"), {3}, {1, 2, 3});
    const std::string e = errorOf(dir.file("lab.gz"), 3);  // labels where images are expected
    EXPECT_NE(e.find("wrong IDX magic number 0x00000801 (expected 0x00000803"), std::string::npos)
        << e;
    writeGz(dir.file("junk.gz"), "PK\x03\x04 this is a zip file, not IDX");
    EXPECT_NE(errorOf(dir.file("junk.gz"), 1).find("wrong IDX magic"), std::string::npos);
}

TEST(Idx, TruncatedGzipIsNamed) {
    TempDir dir;
    std::vector<std::uint8_t> data(10 * 28 * 28, 200);
    writeIdxGz(dir.file("img.gz"), {10, 28, 28}, data);
    std::string bytes = runboard::test::readFile(dir.file("img.gz"));
    runboard::test::writeFile(dir.file("cut.gz"), bytes.substr(0, bytes.size() / 2));
    const std::string e = errorOf(dir.file("cut.gz"), 3);
    EXPECT_NE(e.find("truncated"), std::string::npos) << e;
    EXPECT_NE(e.find("cut.gz"), std::string::npos) << e;
}

TEST(Idx, ShortDataAndTrailingBytesAreNamed) {
    TempDir dir;
    writeIdxGz(dir.file("short.gz"), {10}, {1, 2, 3});  // header says 10 labels, 3 follow
    EXPECT_NE(errorOf(dir.file("short.gz"), 1).find("truncated: the data needs 10 bytes"),
              std::string::npos);
    writeIdxGz(dir.file("long.gz"), {2}, {1, 2, 3});
    EXPECT_NE(errorOf(dir.file("long.gz"), 1).find("longer than its header says"),
              std::string::npos);
    EXPECT_NE(errorOf(dir.file("missing.gz"), 1).find("not found"), std::string::npos);
}

TEST(Idx, RealFashionMnistFiles) {
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    if (!std::filesystem::exists(dir + "train-images-idx3-ubyte.gz"))
        GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    const IdxArray images = readIdx(dir + "train-images-idx3-ubyte.gz", 3);
    EXPECT_EQ(images.dims, (std::vector<std::uint32_t>{60000, 28, 28}));
    const IdxArray labels = readIdx(dir + "t10k-labels-idx1-ubyte.gz", 1);
    EXPECT_EQ(labels.dims, (std::vector<std::uint32_t>{10000}));
    std::vector<int> counts(10, 0);
    for (auto l : labels.data)
        counts.at(l)++;
    for (int c : counts)
        EXPECT_EQ(c, 1000);  // the test set is balanced
}

TEST(Idx, AHeaderThatClaimsTooMuchFailsBeforeAllocatingIt) {
    TempDir dir;
    // 2^28 x 64 x 1 bytes (16 GB, the largest accepted) and no data: plain and gzipped, and the
    // 20-byte input with which tests/fuzz/fuzz_idx found it.
    const std::string header("\x00\x00\x08\x03\x10\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x01",
                             16);
    runboard::test::writeFile(dir.file("plain"), header);
    writeGz(dir.file("zipped.gz"), header + "abc");
    runboard::test::writeFile(
        dir.file("fuzz"),
        std::string("\x00\x00\x08\x03\x00\x14\x00\x00\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x00",
                    19));
    for (const char* name : {"plain", "zipped.gz", "fuzz"}) {
        gLargest = 0;
        gWatch = true;
        const std::string e = errorOf(dir.file(name), 3);
        gWatch = false;
        EXPECT_NE(e.find("truncated: the data needs "), std::string::npos) << name << ": " << e;
        EXPECT_LE(gLargest.load(), std::size_t{64} << 20) << name;
    }
    EXPECT_NE(errorOf(dir.file("plain"), 3).find("needs 17179869184 bytes, the file ends after 0"),
              std::string::npos);
    EXPECT_NE(errorOf(dir.file("zipped.gz"), 3).find("the file ends after 3"), std::string::npos);
}

TEST(Idx, DataLongerThanOneReadStepRoundTrips) {
    TempDir dir;
    std::vector<std::uint8_t> data(std::size_t{40} * 1024 * 1024 + 7);  // 2.5 steps of 16 MB
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::uint8_t>(i % 251);
    writeIdxGz(dir.file("big.gz"), {static_cast<std::uint32_t>(data.size()), 1, 1}, data);
    const IdxArray a = readIdx(dir.file("big.gz"), 3);
    EXPECT_EQ(a.data, data);
    // Cut inside the third step: the message counts every byte read.
    writeIdxGz(dir.file("cut.gz"), {static_cast<std::uint32_t>(data.size() + 5), 1, 1}, data);
    EXPECT_NE(errorOf(dir.file("cut.gz"), 3)
                  .find("needs " + std::to_string(data.size() + 5) +
                        " bytes, the file ends after " + std::to_string(data.size())),
              std::string::npos);
}
