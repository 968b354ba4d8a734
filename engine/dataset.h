#pragma once
// Image classification data held in memory as tensors. Every sample keeps its index in the
// original file, so predictions and label flags refer to the same sample across runs.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/idx.h"
#include "engine/data/sample_images.h"
#include "engine/train_options.h"

namespace runboard::engine {

struct SplitData {
    torch::Tensor images;   // float32 [N, C, H, W], normalized with the train part's mean/std
    torch::Tensor labels;   // int64 [N]
    torch::Tensor indices;  // int64 [N], index in the original file
    std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct Dataset {
    SplitData train, val, test;
    int numClasses = 10;
    std::vector<std::string> classNames;
    float mean = 0, stdev = 1;
};

// Loads the four gzipped IDX files from options.dir; throws DataError.
Dataset loadFashionMnist(const DataOptions& options);

// Builds the splits from already-read arrays (the loader's second half; used by tests).
Dataset makeDataset(const IdxArray& trainImages, const IdxArray& trainLabels,
                    const IdxArray& testImages, const IdxArray& testLabels,
                    const DataOptions& options, const std::string& origin);

// The deterministic train/val partition of n samples: a Fisher-Yates permutation from splitSeed
// (independent of the C++ library and of Torch), val = its first valSize, both sorted.
void splitIndices(std::int64_t n, std::int64_t valSize, std::uint64_t splitSeed,
                  std::vector<std::int64_t>& train, std::vector<std::int64_t>& val);

}  // namespace runboard::engine
