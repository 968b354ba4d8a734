#pragma once
// Test helpers: temporary directories, a small generated Fashion-MNIST look-alike, file hashes.

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/config/config.h"

namespace runboard::test {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// Writes the four gzipped IDX files of a learnable 10-class problem: class k has a bright
// horizontal bar at row 2 + 2k, plus noise. Sizes are the sample counts of each file.
void writeFakeFashionMnist(const std::filesystem::path& dir, std::uint32_t trainSize = 600,
                           std::uint32_t testSize = 200, std::uint32_t seed = 7);

// The defaults on data from writeFakeFashionMnist in `dataDir`: 100 validation samples, batches
// of 50, 2 threads, fp32, one epoch.
config::Config tinyConfig(const std::filesystem::path& dataDir, const std::string& model = "cnn");

// Writes a learnable 3-class CSV table of `rows` rows: header x1,x2,colour,size,species. Class
// k's x1 and x2 scatter around (3k, -3k); colour is a text column (red/green/blue, mostly the
// class's own); size is numeric noise; species is "setosa", "versicolor" or "virginica".
void writeBlobsCsv(const std::string& path, int rows = 300, std::uint32_t seed = 5);
// The defaults on writeBlobsCsv's table: source csv, mlp, batches of 32, 1 thread, fp32.
config::Config tinyCsvConfig(const std::string& csvPath);

// A hash of a file's bytes (FNV-1a), to prove a file was left untouched.
std::uint64_t fileHash(const std::string& path);
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);

}  // namespace runboard::test
