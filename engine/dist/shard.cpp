#include "engine/dist/shard.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace runboard::engine::dist {
namespace {

void checkRank(int world, int rank) {
    if (world < 1 || rank < 0 || rank >= world)
        throw std::invalid_argument("rank " + std::to_string(rank) + " of a world of " +
                                    std::to_string(world));
}

}  // namespace

std::vector<std::int64_t> trainShard(const std::vector<std::int64_t>& order, int world, int rank) {
    checkRank(world, rank);
    const auto n = static_cast<std::int64_t>(order.size());
    if (n == 0) return {};
    const std::int64_t perRank = (n + world - 1) / world;
    std::vector<std::int64_t> out;
    out.reserve(static_cast<std::size_t>(perRank));
    // Position p of the padded order is order[p mod n]: the padding repeats the start, and
    // repeats it again when there are fewer samples than ranks.
    for (std::int64_t i = 0; i < perRank; ++i)
        out.push_back(order[static_cast<std::size_t>((rank + i * world) % n)]);
    return out;
}

Span evalShard(std::int64_t n, int world, int rank) {
    checkRank(world, rank);
    if (n < 0) throw std::invalid_argument("a set of " + std::to_string(n) + " samples");
    const std::int64_t base = n / world, extra = n % world;
    // The first `extra` ranks take one sample more.
    const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
    return {begin, begin + base + (rank < extra ? 1 : 0)};
}

std::vector<std::vector<std::size_t>> gradientBuckets(const std::vector<std::int64_t>& bytes,
                                                      std::int64_t capBytes) {
    std::vector<std::vector<std::size_t>> buckets;
    std::int64_t filled = 0;
    for (std::size_t k = bytes.size(); k-- > 0;) {
        if (buckets.empty() || (filled > 0 && filled + bytes[k] > capBytes)) {
            buckets.emplace_back();
            filled = 0;
        }
        buckets.back().push_back(k);
        filled += bytes[k];
    }
    return buckets;
}

}  // namespace runboard::engine::dist
