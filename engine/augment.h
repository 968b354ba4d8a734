#pragma once
// Training-time augmentation of a batch of images: random horizontal flips, random shifts of up
// to N pixels (filled with the background) and random erasing of one patch. Deterministic for a
// given RNG state.

#include <torch/types.h>

#include <random>

#include "engine/train_options.h"

namespace runboard::engine {

// `batch` is float32 [N, C, H, W]; returns a new tensor.
torch::Tensor augmentBatch(const torch::Tensor& batch, const AugmentOptions& options,
                           std::mt19937_64& rng);

}  // namespace runboard::engine
