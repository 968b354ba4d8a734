#include "support/fixtures.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "engine/data/idx.h"

namespace runboard::test {

TempDir::TempDir() {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto p = std::filesystem::temp_directory_path() /
                 ("runboard-test-" + std::to_string(rd()) + std::to_string(attempt));
        if (std::filesystem::create_directory(p)) {
            path_ = p;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void writeFakeFashionMnist(const std::filesystem::path& dir, std::uint32_t trainSize,
                           std::uint32_t testSize, std::uint32_t seed) {
    std::filesystem::create_directories(dir);
    std::mt19937 rng(seed);
    auto make = [&](std::uint32_t n, const std::string& prefix) {
        std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 28 * 28), labels(n);
        std::uniform_int_distribution<int> noise(0, 60), cls(0, 9);
        for (std::uint32_t i = 0; i < n; ++i) {
            const int k = cls(rng);
            labels[i] = static_cast<std::uint8_t>(k);
            for (int y = 0; y < 28; ++y)
                for (int x = 0; x < 28; ++x) {
                    int v = noise(rng);
                    if (y == 2 + 2 * k || y == 3 + 2 * k) v += 180;
                    images[(static_cast<std::size_t>(i) * 28 + y) * 28 + x] =
                        static_cast<std::uint8_t>(v);
                }
        }
        engine::writeIdxGz((dir / (prefix + "-images-idx3-ubyte.gz")).string(), {n, 28, 28},
                           images);
        engine::writeIdxGz((dir / (prefix + "-labels-idx1-ubyte.gz")).string(), {n}, labels);
    };
    make(trainSize, "train");
    make(testSize, "t10k");
}

std::uint64_t fileHash(const std::string& path) {
    const std::string bytes = readFile(path);
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : bytes)
        h = (h ^ c) * 1099511628211ULL;
    return h ^ bytes.size();
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

void writeBlobsCsv(const std::string& path, int rows, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    const char* species[] = {"setosa", "versicolor", "virginica"};
    const char* colours[] = {"red", "green", "blue"};
    std::string text = "x1,x2,colour,size,species\n";
    for (int i = 0; i < rows; ++i) {
        const int k = i % 3;
        const int colour = rng() % 4 == 0 ? static_cast<int>(rng() % 3) : k;
        char line[160];
        std::snprintf(line, sizeof line, "%.4f,%.4f,%s,%.3f,%s\n", 3.0 * k + noise(rng),
                      -3.0 * k + noise(rng), colours[colour], 10 + noise(rng), species[k]);
        text += line;
    }
    writeFile(path, text);
}

config::Config tinyCsvConfig(const std::string& csvPath) {
    config::Config c = config::Config::defaults();
    c.set("data.source", std::string("csv"));
    c.set("data.path", csvPath);
    c.set("model", std::string("mlp"));
    c.set("epochs", std::int64_t{1});
    c.set("batch_size", std::int64_t{32});
    c.set("threads", std::int64_t{1});
    c.set("precision", std::string("fp32"));
    return c;
}

config::Config tinyConfig(const std::filesystem::path& dataDir, const std::string& model) {
    config::Config c = config::Config::defaults();
    c.set("data.dir", dataDir.string());
    c.set("data.val_size", std::int64_t{100});
    c.set("model", model);
    c.set("epochs", std::int64_t{1});
    c.set("batch_size", std::int64_t{50});
    c.set("threads", std::int64_t{1});  // ctest runs two tests at a time on two cores
    c.set("precision", std::string("fp32"));
    return c;
}

}  // namespace runboard::test
