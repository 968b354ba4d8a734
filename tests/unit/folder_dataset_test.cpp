// data.source = folder through the engine: the splits (train/ and test/, validation carved from
// train/; or all three carved), the stable ids, the uint8 pixels normalized per channel with the
// training part's statistics, and the scan's check result.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"
#include "engine/session.h"
#include "engine/train_options.h"
#include "support/fixtures.h"
#include "support/image_fixtures.h"

using namespace runboard;
using namespace runboard::engine;

namespace {

// The options of a folder source on `root`, which holds writeBarFolder's bars (20 train and 5
// test images per class).
DataOptions barFolder(const std::filesystem::path& root) {
    test::writeBarFolder(root, 20, "png", 5);
    DataOptions o;
    o.source = config::DataSource::Folder;
    o.dir = root.string();
    return o;
}

}  // namespace

TEST(FolderDataset, SplitsIdsAndPerChannelNormalization) {
    test::TempDir dir;
    const auto root = dir.path() / "bars";
    DataOptions o = barFolder(root);
    o.valShare = 0.1;
    const Dataset d = loadFolderDataset(o);
    EXPECT_EQ(d.train.size(), 180);
    EXPECT_EQ(d.val.size(), 20);
    EXPECT_EQ(d.test.size(), 50);
    EXPECT_EQ(d.sampleShape, (std::vector<std::int64_t>{1, 28, 28}));
    EXPECT_EQ(d.classNames.front(), "class0");
    EXPECT_EQ(d.train.inputs.scalar_type(), torch::kUInt8);
    EXPECT_EQ(d.test.indices[0].item<std::int64_t>(), folderSampleId("test/class0/00000.png"));
    // The training part's batches come out standardized; a test pixel by hand.
    const auto x = d.train.slice(0, d.train.size());
    EXPECT_NEAR(x.mean().item<double>(), 0.0, 1e-4);
    EXPECT_NEAR(x.std(/*unbiased=*/false).item<double>(), 1.0, 1e-3);
    const double raw = d.test.inputs[3][0][5][7].item<std::uint8_t>() / 255.0;
    const double expected = (raw - d.test.pixelMean.flatten()[0].item<double>()) /
                            d.test.pixelStd.flatten()[0].item<double>();
    EXPECT_NEAR(d.test.batch(torch::tensor({3}, torch::kInt64))[0][0][5][7].item<double>(),
                expected, 1e-5);
    ASSERT_EQ(d.loadChecks.size(), 1u);
    EXPECT_EQ(d.loadChecks[0].name, "data.scan");
    EXPECT_EQ(d.loadChecks[0].status, CheckStatus::Pass);

    // Without train/ and test/: all three parts carved, disjoint, from the same files.
    const auto flat = dir.path() / "flat";
    test::writeBarFolder(flat, 10);
    o.dir = flat.string();
    const Dataset f = loadFolderDataset(o);
    EXPECT_EQ(f.test.size(), 20);  // 20% of 100
    EXPECT_EQ(f.val.size(), 8);    // 10% of the other 80
    EXPECT_EQ(f.train.size(), 72);
    auto all = torch::cat({f.train.indices, f.val.indices, f.test.indices});
    EXPECT_EQ(std::get<0>(torch::_unique(all)).size(0), 100);
}

// data.limit draws its samples by the seed, so every class keeps its share; a class whose every
// training file is broken is refused.
TEST(FolderDataset, LimitKeepsEveryClassAndAClassOfBrokenFilesIsRefused) {
    test::TempDir dir;
    const auto root = dir.path() / "bars";
    DataOptions o = barFolder(root);
    o.limit = 40;
    const Dataset d = loadFolderDataset(o);
    EXPECT_EQ(d.train.size(), 40);
    const auto counts = torch::bincount(d.train.labels, {}, 10);
    for (int k = 0; k < 10; ++k)
        EXPECT_GT(counts[k].item<std::int64_t>(), 0) << "class " << k;

    for (const auto& f : std::filesystem::directory_iterator(root / "train/class4"))
        test::writeFile(f.path().string(), "broken");
    o.limit = 0;
    try {
        (void)loadFolderDataset(o);
        FAIL() << "a class without one decodable training image must be refused";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("class 'class4' has no training image"),
                  std::string::npos)
            << e.what();
    }
}

// The loader tests: the same seed gives the same batches whether the pixels are kept in
// memory or streamed from the files (data.cache_mb), and on 1 or 2 decoding workers; the
// normalisation and the evaluation slices agree to the last bit.
TEST(FolderDataset, CachedAndStreamedGiveIdenticalBatchesOnAnyWorkerCount) {
    test::TempDir dir;
    DataOptions o = barFolder(dir.path() / "bars");
    o.imageSize = 24;
    const Dataset cached = loadFolderDataset(o);
    ASSERT_FALSE(cached.train.streamed());
    TrainOptions train = TrainOptions::fromConfig(config::Config::defaults());
    train.batchSize = 16;
    train.augment = {.flip = true, .shift = 2, .erase = 0.5};
    auto epochs = [&](const Dataset& d) {
        std::mt19937_64 rng(7);
        TrainBatches batches(d, train, rng);
        std::vector<torch::Tensor> out;
        for (int epoch = 0; epoch < 2; ++epoch) {
            batches.shuffle();
            for (std::int64_t s = 0; s < batches.stepsPerEpoch(); ++s) {
                auto [x, y] = batches.get(s);
                out.push_back(x);
                out.push_back(y.to(torch::kFloat32));
            }
        }
        return out;
    };
    const auto expected = epochs(cached);
    ASSERT_EQ(expected.size(), 2u * 2 * (180 / 16));
    for (int workers : {1, 2}) {
        o.cacheMb = 0;  // nothing fits: streamed
        o.workers = workers;
        const Dataset streamed = loadFolderDataset(o);
        ASSERT_TRUE(streamed.train.streamed());
        EXPECT_FALSE(streamed.train.inputs.defined());
        EXPECT_TRUE(torch::equal(streamed.train.pixelMean, cached.train.pixelMean));
        EXPECT_TRUE(torch::equal(streamed.train.pixelStd, cached.train.pixelStd));
        EXPECT_EQ(streamed.fingerprint, cached.fingerprint);
        const auto got = epochs(streamed);
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            ASSERT_TRUE(torch::equal(got[i], expected[i])) << workers << " workers, tensor " << i;
        EXPECT_TRUE(torch::equal(streamed.test.slice(3, 20), cached.test.slice(3, 20)));
        EXPECT_TRUE(torch::equal(streamed.val.batch(torch::tensor({5, 1, 9}, torch::kInt64)),
                                 cached.val.batch(torch::tensor({5, 1, 9}, torch::kInt64))));
        const auto& lines = streamed.loadChecks.at(0).details;
        EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
            return line.starts_with("streamed from the files");
        }));
    }
    // The scan check carries the normalisation and the fingerprint stored with the run.
    const auto& details = cached.loadChecks.at(0).details;
    EXPECT_TRUE(std::any_of(details.begin(), details.end(), [&](const std::string& line) {
        return line.find("fingerprint " + cached.fingerprint) != std::string::npos;
    }));
    EXPECT_TRUE(std::any_of(details.begin(), details.end(), [&](const std::string& line) {
        return line.starts_with("normalisation") &&
               line.find(fmt::format("{:.4f}", cached.channelMean[0])) != std::string::npos;
    }));
    // A file rewritten changes the fingerprint.
    test::writeSolidImage(dir.path() / "bars/train/class1/00003.png", 28, 28, true, 9);
    EXPECT_NE(loadFolderDataset(o).fingerprint, cached.fingerprint);
}
