// The IDX reader on generated fixtures (valid, wrong magic, truncated, too long) and on the real
// Fashion-MNIST files when Debian's package is installed.

#include "engine/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "engine/errors.h"
#include "support/fixtures.h"

using namespace runboard::engine;
using runboard::test::TempDir;

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
