#pragma once
// Which samples each rank of a data-parallel run takes, and how its gradients are cut into
// buckets (issue 19).
//
// Training follows PyTorch's DistributedSampler, so that a run here and a DDP script split an
// epoch the same way: every rank builds the same seeded order, the order is padded by repeating
// its start up to a multiple of the world size, and rank r takes every W-th sample from position
// r. Every rank then takes the same number of steps (a rank with one step fewer would wait in the
// last allreduce for the whole timeout).
//
// Evaluation cannot pad: a repeated sample would be counted twice, and the reduced accuracy would
// differ from one process's. It splits the set into contiguous parts that differ by at most one
// sample; counts and loss sums reduced over the ranks then equal a single process's exactly.

#include <cstdint>
#include <vector>

namespace runboard::engine::dist {

// Rank `rank`'s samples of one epoch's `order` (the same on every rank), ceil(n / world) of them.
std::vector<std::int64_t> trainShard(const std::vector<std::int64_t>& order, int world, int rank);

// Positions [begin, end) of an evaluation set of `n` samples that rank `rank` evaluates.
struct Span {
    std::int64_t begin = 0;
    std::int64_t end = 0;
    [[nodiscard]] std::int64_t size() const { return end - begin; }
};
Span evalShard(std::int64_t n, int world, int rank);

// Gradients are averaged in buckets of about `capBytes`, as DDP does (25 MB by default): one
// allreduce per parameter costs a round trip each (the cnn has 10 parameters, a resnet 60), one
// for the whole model can start only after the whole backward. The buckets take the parameters
// in reverse order, the order backward produces their gradients, so that a bucket is complete as
// early as possible. A parameter larger than the cap is a bucket of its own. Each bucket lists
// indices into `bytes`.
std::vector<std::vector<std::size_t>> gradientBuckets(const std::vector<std::int64_t>& bytes,
                                                      std::int64_t capBytes);

}  // namespace runboard::engine::dist
