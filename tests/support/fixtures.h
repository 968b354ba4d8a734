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

// A hash of a file's bytes (FNV-1a), to prove a file was left untouched.
std::uint64_t fileHash(const std::string& path);
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);

}  // namespace runboard::test
