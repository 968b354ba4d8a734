#pragma once
// How samples without splits of their own are divided into train, validation and test, and how
// data.limit draws its subset: Torch-free and independent of the C++ library, so the engine, the
// New Run dialog's preview and the checks all see the same parts for the same seed.

#include <cstdint>
#include <vector>

namespace runboard::engine {

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

// The deterministic train/val partition of n samples: a Fisher-Yates permutation from splitSeed
// (independent of the C++ library and of Torch), val = its first valSize, both sorted.
void splitIndices(std::int64_t n, std::int64_t valSize, std::uint64_t splitSeed,
                  std::vector<std::int64_t>& train, std::vector<std::int64_t>& val);

}  // namespace runboard::engine
