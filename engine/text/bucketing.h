#pragma once
// Smart padding: batches of samples of similar length, so that compute is not spent on padding.
// Built as Hugging Face's LengthGroupedSampler does, with the batch order shuffled too:
//   1. the training samples shuffled by (seed, epoch);
//   2. cut into mega-batches of `megaBatches` batches (50);
//   3. each mega-batch sorted by length, longest first, and cut into batches;
//   4. the batches' order shuffled, then the batch holding the longest sample moved first, so
//      that a length that does not fit in memory fails at step 1, not hours in.
// Every sample appears in exactly one batch per epoch; every batch holds `batchSize` samples but
// the last one cut from the last mega-batch, which may hold fewer. Deterministic per seed and
// epoch on any machine (a SplitMix64 stream and Fisher-Yates, no std:: distribution).

#include <cstdint>
#include <vector>

namespace runboard::engine::text {

using Batches = std::vector<std::vector<std::int64_t>>;

// `lengths[i]`: sample i's tokens (after truncation).
Batches lengthGroupedBatches(const std::vector<std::int64_t>& lengths, std::int64_t batchSize,
                             std::uint64_t seed, std::int64_t epoch, std::int64_t megaBatches = 50);
// Without bucketing: the shuffled order cut into batches (the same shuffle as step 1).
Batches shuffledBatches(std::int64_t samples, std::int64_t batchSize, std::uint64_t seed,
                        std::int64_t epoch);

// The share of pad tokens when each batch is padded to its longest sample.
double paddingShare(const Batches& batches, const std::vector<std::int64_t>& lengths);

}  // namespace runboard::engine::text
