#pragma once
// Classification data held in memory as tensors: images (the IDX files) or the encoded rows of a
// CSV table. Every sample keeps a stable id (its index in the IDX file, its row in the table),
// so predictions and label flags refer to the same sample across runs.

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/data/data_checks.h"
#include "engine/data/idx.h"
#include "engine/data/sample_images.h"
#include "engine/train_options.h"

namespace runboard::engine {

struct SplitData {
    // float32 [N, C, H, W] images or [N, F] table rows, normalized with the train part's
    // statistics (one mean/std for IDX images, per feature for tables); or, for image folders,
    // uint8 [N, C, H, W] pixels (a quarter of the memory) that batch() and slice() normalize
    // per channel with pixelMean/pixelStd ([1, C, 1, 1], of pixel / 255).
    torch::Tensor inputs;
    torch::Tensor labels;   // int64 [N]
    torch::Tensor indices;  // int64 [N]: the stable id (IDX index, table row, path hash)
    torch::Tensor pixelMean, pixelStd;
    std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
    // The model's float inputs of the samples at `positions`, or of [begin, begin + length).
    torch::Tensor batch(const torch::Tensor& positions) const;
    torch::Tensor slice(std::int64_t begin, std::int64_t length) const;
};

struct Dataset {
    SplitData train, val, test;
    int numClasses = 10;
    std::vector<std::string> classNames;
    std::vector<std::int64_t> sampleShape{1, 28, 28};  // {C, H, W} or {F}
    std::vector<std::string> featureNames;             // tables: one per encoded feature
    // IDX images: the pixels' (0 and 1 for tables and folders, whose background is the mean)
    float mean = 0, stdev = 1;
    // What loading found that the checklist reports (an image folder's scan and quarantine).
    std::vector<CheckResult> loadChecks;
    bool isImage() const { return sampleShape.size() == 3; }
};

// The dataset that options.source names; throws DataError naming the file and the problem.
Dataset loadDataset(const DataOptions& options);
// Loads the four gzipped IDX files from options.dir; throws DataError.
Dataset loadFashionMnist(const DataOptions& options);
// Reads the CSV table options.path (see engine/data/tabular.h for the encoding) and carves the
// test part (options.testShare) and then the validation part (options.valShare of the rest) by
// options.splitSeed; the encoding is fitted on the training part only.
Dataset loadCsvDataset(const DataOptions& options);
// Lists and decodes the image folder options.dir (engine/images/image_folder.h): its own
// train/ (val/) test/ parts, or the test part (options.testShare) and the validation part
// (options.valShare of the rest) carved by options.splitSeed. Pixels stay uint8; the per-channel
// statistics come from the training part. `progress` sees the scan's files done and total.
Dataset loadFolderDataset(const DataOptions& options,
                          const std::function<void(std::size_t, std::size_t)>& progress = {});

// The parts of n samples that have no split of their own: test first (testShare of n, so the
// same rows for every validation share), then validation (valShare of the rest); each sorted.
struct Carved {
    std::vector<std::int64_t> train, val, test;
};
Carved carveSplits(std::int64_t n, double testShare, double valShare, std::uint64_t splitSeed);
// data.limit for tables and folders: `limit` of `indices` drawn by splitSeed (in their order), so
// every class keeps its share; all of them when limit is 0 or not smaller. (The IDX file is
// shuffled already: its train part keeps its first `limit` samples.)
std::vector<std::int64_t> limitedSample(const std::vector<std::int64_t>& indices,
                                        std::int64_t limit, std::uint64_t splitSeed);

// Builds the splits from already-read arrays (the loader's second half; used by tests).
Dataset makeDataset(const IdxArray& trainImages, const IdxArray& trainLabels,
                    const IdxArray& testImages, const IdxArray& testLabels,
                    const DataOptions& options, const std::string& origin);

// The deterministic train/val partition of n samples: a Fisher-Yates permutation from splitSeed
// (independent of the C++ library and of Torch), val = its first valSize, both sorted.
void splitIndices(std::int64_t n, std::int64_t valSize, std::uint64_t splitSeed,
                  std::vector<std::int64_t>& train, std::vector<std::int64_t>& val);

}  // namespace runboard::engine
