// The Torch-free half of data-parallel training: the launch read from torchrun's variables and the
// command line, checked in words; the training shards against a brute-force DistributedSampler;
// the evaluation split; the gradient buckets.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

#include "engine/dist/launch.h"
#include "engine/dist/shard.h"

using namespace runboard::engine::dist;

namespace {

Getenv envOf(const std::map<std::string, std::string>& vars) {
    return [vars](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

std::string errorOf(const LaunchArgs& args, const std::map<std::string, std::string>& env) {
    const auto r = resolveLaunch(args, envOf(env));
    const auto* e = std::get_if<std::string>(&r);
    return e == nullptr ? "" : *e;
}

}  // namespace

TEST(DistLaunch, NothingGivenIsOneProcess) {
    const auto r = resolveLaunch({}, envOf({}));
    ASSERT_TRUE(std::holds_alternative<Launch>(r));
    EXPECT_FALSE(std::get<Launch>(r).distributed());
    EXPECT_EQ(std::get<Launch>(r).rank, 0);
}

TEST(DistLaunch, TorchrunsVariablesAreReadAndOptionsWinOverThem) {
    const auto env = envOf({{"WORLD_SIZE", "4"},
                            {"RANK", "3"},
                            {"LOCAL_RANK", "1"},
                            {"MASTER_ADDR", "node7"},
                            {"MASTER_PORT", "29511"}});
    const auto r = resolveLaunch({}, env);
    ASSERT_TRUE(std::holds_alternative<Launch>(r)) << std::get<std::string>(r);
    const Launch l = std::get<Launch>(r);
    EXPECT_EQ(l.worldSize, 4);
    EXPECT_EQ(l.rank, 3);
    EXPECT_EQ(l.localRank, 1);
    EXPECT_EQ(l.masterAddr, "node7");
    EXPECT_EQ(l.masterPort, 29511);
    LaunchArgs args;
    args.rank = "2";
    args.masterAddr = "10.0.0.1";
    args.masterPort = "4000";
    const Launch o = std::get<Launch>(resolveLaunch(args, env));
    EXPECT_EQ(o.rank, 2);
    EXPECT_EQ(o.worldSize, 4);
    EXPECT_EQ(o.masterAddr, "10.0.0.1");
    EXPECT_EQ(o.masterPort, 4000);
    // LOCAL_RANK defaults to the rank.
    const Launch d = std::get<Launch>(
        resolveLaunch({}, envOf({{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_PORT", "29500"}})));
    EXPECT_EQ(d.localRank, 1);
    EXPECT_EQ(d.masterAddr, "127.0.0.1");
}

TEST(DistLaunch, MistakesNameTheVariableOrOptionAndWhatItHolds) {
    EXPECT_EQ(errorOf({}, {{"WORLD_SIZE", "two"}}),
              "the environment's WORLD_SIZE is 'two': the number of processes must be a whole "
              "number from 1 to 1024");
    EXPECT_EQ(errorOf({}, {{"WORLD_SIZE", "2"}, {"MASTER_PORT", "29500"}}),
              "a world of 2 processes needs this process's rank: --rank R or RANK (0 to 1)");
    LaunchArgs rank2;
    rank2.worldSize = "2";
    rank2.rank = "2";
    EXPECT_EQ(errorOf(rank2, {{"MASTER_PORT", "1"}}),
              "--rank is '2': the rank (below the world size) must be a whole number from 0 to 1");
    EXPECT_EQ(errorOf({}, {{"WORLD_SIZE", "2"}, {"RANK", "0"}}),
              "a world of 2 processes needs rank 0's port: --master-port PORT or MASTER_PORT "
              "(1-65535)");
    EXPECT_NE(errorOf({}, {{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "70000"}})
                  .find("MASTER_PORT is '70000'"),
              std::string::npos);
    EXPECT_NE(
        errorOf(
            {},
            {{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "29500"}, {"LOCAL_RANK", "-1"}})
            .find("LOCAL_RANK is '-1'"),
        std::string::npos);
    EXPECT_NE(errorOf({}, {{"MASTER_ADDR", "a b"}}).find("MASTER_ADDR is 'a b'"),
              std::string::npos);
    EXPECT_NE(errorOf({}, {{"WORLD_SIZE", "2 "}}).find("WORLD_SIZE is '2 '"), std::string::npos);
    EXPECT_NE(errorOf({}, {{"WORLD_SIZE", "0"}}).find("from 1 to 1024"), std::string::npos);
    EXPECT_NE(errorOf({}, {{"WORLD_SIZE", "99999999999"}}).find("from 1 to 1024"),
              std::string::npos);
}

// PyTorch's DistributedSampler written out the slow way: pad the order with its start (again and
// again when it is shorter than the world), then take every world-th position from the rank.
TEST(DistShard, TrainShardsAreDistributedSamplersOnEveryRank) {
    std::mt19937 rng(3);
    for (int trial = 0; trial < 400; ++trial) {
        const int n = std::uniform_int_distribution<int>(0, 40)(rng);
        const int world = std::uniform_int_distribution<int>(1, 9)(rng);
        std::vector<std::int64_t> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 100);
        std::shuffle(order.begin(), order.end(), rng);
        std::vector<std::int64_t> padded = order;
        const std::size_t total = (order.size() + world - 1) / world * world;
        while (!order.empty() && padded.size() < total)
            padded.push_back(order[padded.size() % order.size()]);
        std::map<std::int64_t, int> seen;
        for (int rank = 0; rank < world; ++rank) {
            std::vector<std::int64_t> expected;
            for (std::size_t p = static_cast<std::size_t>(rank); p < padded.size(); p += world)
                expected.push_back(padded[p]);
            const auto shard = trainShard(order, world, rank);
            ASSERT_EQ(shard, expected) << "n " << n << " world " << world << " rank " << rank;
            ASSERT_EQ(shard.size(), total / world);  // every rank takes as many steps
            for (auto s : shard)
                ++seen[s];
        }
        for (auto s : order)
            EXPECT_GE(seen[s], 1) << "every sample is trained on";
        if (n % world == 0) {
            for (const auto& [s, count] : seen)
                EXPECT_EQ(count, 1) << "no padding when the world divides the set";
        }
    }
}

TEST(DistShard, EvaluationSplitsTileTheSetWithoutRepeats) {
    for (std::int64_t n = 0; n <= 40; ++n)
        for (int world = 1; world <= 9; ++world) {
            std::int64_t next = 0, smallest = n, largest = 0;
            for (int rank = 0; rank < world; ++rank) {
                const Span s = evalShard(n, world, rank);
                ASSERT_EQ(s.begin, next) << n << " " << world << " " << rank;
                ASSERT_GE(s.size(), 0);
                next = s.end;
                smallest = std::min(smallest, s.size());
                largest = std::max(largest, s.size());
            }
            EXPECT_EQ(next, n);
            EXPECT_LE(largest - smallest, 1);
        }
    EXPECT_THROW(evalShard(10, 2, 2), std::invalid_argument);
    EXPECT_THROW(trainShard({1, 2}, 0, 0), std::invalid_argument);
}

TEST(DistShard, GradientBucketsTakeParametersFromTheLastAndFillUpToTheCap) {
    std::mt19937 rng(9);
    for (int trial = 0; trial < 300; ++trial) {
        const int count = std::uniform_int_distribution<int>(0, 30)(rng);
        const std::int64_t cap = std::uniform_int_distribution<std::int64_t>(1, 1000)(rng);
        std::vector<std::int64_t> bytes(static_cast<std::size_t>(count));
        for (auto& b : bytes)
            b = std::uniform_int_distribution<std::int64_t>(1, 600)(rng);
        const auto buckets = gradientBuckets(bytes, cap);
        std::vector<std::size_t> flat;
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            ASSERT_FALSE(buckets[b].empty());
            std::int64_t sum = 0;
            for (auto k : buckets[b]) {
                flat.push_back(k);
                sum += bytes[k];
            }
            if (buckets[b].size() > 1) {
                EXPECT_LE(sum, cap);
            }
            // Greedy: the next bucket's first parameter did not fit in this one.
            if (b + 1 < buckets.size()) {
                EXPECT_GT(sum + bytes[buckets[b + 1].front()], cap);
            }
        }
        std::vector<std::size_t> reversed(bytes.size());
        std::iota(reversed.rbegin(), reversed.rend(), std::size_t{0});
        EXPECT_EQ(flat, reversed);
    }
}
