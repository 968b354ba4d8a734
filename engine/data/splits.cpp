#include "engine/data/splits.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace runboard::engine {

namespace {

// The share of n as a count: at least 1 when the share is positive and n has 2 or more.
std::int64_t shareOf(std::int64_t n, double share) {
    if (share <= 0 || n < 2) return 0;
    return std::clamp<std::int64_t>(std::llround(static_cast<double>(n) * share), 1, n - 1);
}

}  // namespace

Carved carveSplits(std::int64_t n, double testShare, double valShare, std::uint64_t splitSeed) {
    Carved c;
    std::vector<std::int64_t> rest;
    splitIndices(n, shareOf(n, testShare), splitSeed, rest, c.test);
    std::vector<std::int64_t> trainPos, valPos;
    const auto restCount = static_cast<std::int64_t>(rest.size());
    splitIndices(restCount, shareOf(restCount, valShare), splitSeed + 1, trainPos, valPos);
    for (std::int64_t p : trainPos)
        c.train.push_back(rest[static_cast<std::size_t>(p)]);
    for (std::int64_t p : valPos)
        c.val.push_back(rest[static_cast<std::size_t>(p)]);
    return c;
}

std::vector<std::int64_t> limitedSample(const std::vector<std::int64_t>& indices,
                                        std::int64_t limit, std::uint64_t splitSeed) {
    const auto n = static_cast<std::int64_t>(indices.size());
    if (limit <= 0 || limit >= n) return indices;
    std::vector<std::int64_t> rest, chosen;
    splitIndices(n, limit, splitSeed + 2, rest, chosen);
    std::vector<std::int64_t> out;
    out.reserve(chosen.size());
    for (std::int64_t p : chosen)
        out.push_back(indices[static_cast<std::size_t>(p)]);
    return out;
}

void splitIndices(std::int64_t n, std::int64_t valSize, std::uint64_t splitSeed,
                  std::vector<std::int64_t>& train, std::vector<std::int64_t>& val) {
    std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        perm[static_cast<std::size_t>(i)] = i;
    std::mt19937_64 rng(splitSeed);
    for (std::int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
        std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(j)]);
    }
    val.assign(perm.begin(), perm.begin() + valSize);
    train.assign(perm.begin() + valSize, perm.end());
    std::sort(val.begin(), val.end());
    std::sort(train.begin(), train.end());
}

}  // namespace runboard::engine
