#include "engine/text/bucketing.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace runboard::engine::text {

namespace {

struct SplitMix64 {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n) by rejection: no modulo bias, the same draws everywhere.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
        std::uint64_t x = 0;
        do {
            x = next();
        } while (x >= limit);
        return x % n;
    }
};

template <class T>
void fisherYates(std::vector<T>& v, SplitMix64& rng) {
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[rng.below(i)]);
}

SplitMix64 streamFor(std::uint64_t seed, std::int64_t epoch) {
    SplitMix64 mix{seed};
    SplitMix64 rng{mix.next() ^ (static_cast<std::uint64_t>(epoch) * 0xD1B54A32D192ED03ull)};
    rng.next();
    return rng;
}

std::vector<std::int64_t> shuffled(std::int64_t n, SplitMix64& rng) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    fisherYates(order, rng);
    return order;
}

void checkBatch(std::int64_t batchSize) {
    if (batchSize <= 0) throw std::invalid_argument("batch size must be positive");
}

}  // namespace

Batches shuffledBatches(std::int64_t samples, std::int64_t batchSize, std::uint64_t seed,
                        std::int64_t epoch) {
    checkBatch(batchSize);
    SplitMix64 rng = streamFor(seed, epoch);
    const auto order = shuffled(samples, rng);
    Batches out;
    for (std::size_t at = 0; at < order.size(); at += static_cast<std::size_t>(batchSize))
        out.emplace_back(
            order.begin() + static_cast<std::ptrdiff_t>(at),
            order.begin() + static_cast<std::ptrdiff_t>(
                                std::min(order.size(), at + static_cast<std::size_t>(batchSize))));
    return out;
}

Batches lengthGroupedBatches(const std::vector<std::int64_t>& lengths, std::int64_t batchSize,
                             std::uint64_t seed, std::int64_t epoch, std::int64_t megaBatches) {
    checkBatch(batchSize);
    SplitMix64 rng = streamFor(seed, epoch);
    const auto order = shuffled(static_cast<std::int64_t>(lengths.size()), rng);
    const std::size_t mega =
        static_cast<std::size_t>(batchSize * std::max<std::int64_t>(1, megaBatches));
    const auto b = static_cast<std::size_t>(batchSize);
    Batches out;
    for (std::size_t at = 0; at < order.size(); at += mega) {
        std::vector<std::int64_t> group(
            order.begin() + static_cast<std::ptrdiff_t>(at),
            order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), at + mega)));
        // Longest first; equal lengths keep the shuffled order.
        std::stable_sort(group.begin(), group.end(), [&](std::int64_t x, std::int64_t y) {
            return lengths[static_cast<std::size_t>(x)] > lengths[static_cast<std::size_t>(y)];
        });
        for (std::size_t i = 0; i < group.size(); i += b)
            out.emplace_back(
                group.begin() + static_cast<std::ptrdiff_t>(i),
                group.begin() + static_cast<std::ptrdiff_t>(std::min(group.size(), i + b)));
    }
    fisherYates(out, rng);
    // The batch with the longest sample (the first such) goes first.
    std::size_t longest = 0;
    std::int64_t best = -1;
    for (std::size_t i = 0; i < out.size(); ++i)
        for (std::int64_t s : out[i])
            if (lengths[static_cast<std::size_t>(s)] > best) {
                best = lengths[static_cast<std::size_t>(s)];
                longest = i;
            }
    if (!out.empty())
        std::rotate(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(longest),
                    out.begin() + static_cast<std::ptrdiff_t>(longest) + 1);
    return out;
}

double paddingShare(const Batches& batches, const std::vector<std::int64_t>& lengths) {
    double padded = 0, real = 0;
    for (const auto& batch : batches) {
        std::int64_t longest = 0, sum = 0;
        for (std::int64_t s : batch) {
            longest = std::max(longest, lengths[static_cast<std::size_t>(s)]);
            sum += lengths[static_cast<std::size_t>(s)];
        }
        padded += static_cast<double>(longest) * static_cast<double>(batch.size());
        real += static_cast<double>(sum);
    }
    return padded > 0 ? 1 - real / padded : 0;
}

}  // namespace runboard::engine::text
