// The data-parallel process group over c10d's Gloo, two ranks as two threads of this process on
// loopback: rank 0's values broadcast bit for bit, gradients averaged in buckets, sums, the core
// of DDP's equality (two ranks on half batches take the steps one process takes on the whole
// batch), and a rank that never comes or leaves reported within the timeout, never Gloo's 30 min.

#include "engine/dist_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <future>
#include <thread>

#include "engine/errors.h"

using namespace runboard;
using engine::DistGroup;
using std::chrono::milliseconds;

namespace {

// Runs `body(group)` on rank 0 and rank 1 of a world of 2, each in its own thread; rethrows the
// first failure.
void onTwoRanks(const std::function<void(DistGroup&)>& body,
                milliseconds timeout = milliseconds(20'000)) {
    std::promise<int> port;
    auto portReady = port.get_future();
    auto rank = [&](int r) {
        int p = 0;
        if (r == 1) p = portReady.get();
        auto group = DistGroup::join(engine::dist::localLaunch(2, r, p), timeout,
                                     [&](int listening) { port.set_value(listening); });
        body(*group);
    };
    auto other = std::async(std::launch::async, rank, 1);
    std::exception_ptr first;
    try {
        rank(0);
    } catch (...) {
        first = std::current_exception();
        try {  // rank 0 failed before it listened: rank 1 must not wait for its port forever
            port.set_exception(first);
        } catch (const std::future_error&) {
        }
    }
    try {
        other.get();
    } catch (...) {
        if (!first) first = std::current_exception();
    }
    if (first) std::rethrow_exception(first);
}

std::vector<torch::Tensor> tensorsOf(torch::nn::Module& m) {
    std::vector<torch::Tensor> out = m.parameters();
    for (auto& b : m.buffers())
        out.push_back(b);
    return out;
}

}  // namespace

TEST(DistGroup, RankZerosParametersAndBuffersReachTheOtherRankBitForBit) {
    std::array<torch::Tensor, 2> after;
    onTwoRanks([&](DistGroup& g) {
        torch::manual_seed(100 + g.rank());  // different weights on each rank
        torch::nn::Sequential net(torch::nn::Linear(5, 7), torch::nn::BatchNorm1d(7));
        net->train();
        net->forward(torch::randn({4, 5}));  // buffers (running stats, an int64 count) differ too
        const auto before = torch::cat({net->parameters()[0].flatten().clone()});
        g.broadcast(tensorsOf(*net));
        std::vector<torch::Tensor> flat;
        for (auto& t : tensorsOf(*net))
            flat.push_back(t.detach().flatten().to(torch::kDouble));
        after[static_cast<std::size_t>(g.rank())] = torch::cat(flat);
        if (g.rank() == 0) {
            EXPECT_TRUE(torch::equal(before, net->parameters()[0].flatten()));
        }
    });
    EXPECT_TRUE(torch::equal(after[0], after[1]));
}

TEST(DistGroup, GradientsBecomeTheirMeanInEveryBucketAndMissingOnesCountAsZero) {
    std::array<std::vector<torch::Tensor>, 2> grads;
    onTwoRanks([&](DistGroup& g) {
        std::vector<torch::Tensor> params;
        for (int k = 0; k < 5; ++k)
            params.push_back(torch::zeros({k + 2, 3}, torch::requires_grad()));
        for (int k = 0; k < 5; ++k)
            if (!(g.rank() == 1 && k == 2))  // rank 1 has no gradient for parameter 2
                params[static_cast<std::size_t>(k)].mutable_grad() =
                    torch::full({k + 2, 3}, 10.0 * k + 4 * g.rank());
        g.averageGradients(params, /*bucketBytes=*/40);  // several buckets
        for (auto& p : params)
            grads[static_cast<std::size_t>(g.rank())].push_back(p.grad().clone());
    });
    for (int k = 0; k < 5; ++k) {
        const double expected = k == 2 ? 10.0 * k / 2 : 10.0 * k + 2;
        for (int r = 0; r < 2; ++r)
            EXPECT_TRUE(torch::allclose(grads[static_cast<std::size_t>(r)][k],
                                        torch::full({k + 2, 3}, expected)))
                << "parameter " << k << " rank " << r;
    }
}

TEST(DistGroup, SumsAddUpOverTheRanks) {
    onTwoRanks([&](DistGroup& g) {
        const auto s = g.sum({1.0, static_cast<double>(g.rank()), 0.5});
        EXPECT_EQ(s, (std::vector<double>{2.0, 1.0, 1.0}));
        EXPECT_TRUE(g.sum({}).empty());
    });
}

// DDP's promise: two ranks on half batches each, gradients averaged, take the steps one process
// takes on the whole batch (a mean loss; the sums differ only in their order).
TEST(DistGroup, TwoRanksOnHalfBatchesTrainAsOneProcessOnTheWholeBatch) {
    torch::manual_seed(7);
    const auto x = torch::randn({64, 6});
    const auto y = torch::randint(0, 3, {64});
    auto makeNet = [] {
        torch::manual_seed(11);
        return torch::nn::Sequential(torch::nn::Linear(6, 16), torch::nn::ReLU(),
                                     torch::nn::Linear(16, 3));
    };
    auto train = [&](torch::nn::Sequential& net, DistGroup* g, const torch::Tensor& xs,
                     const torch::Tensor& ys) {
        torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
        for (int step = 0; step < 50; ++step) {
            opt.zero_grad();
            torch::nn::functional::cross_entropy(net->forward(xs), ys).backward();
            if (g != nullptr) g->averageGradients(net->parameters());
            opt.step();
        }
    };
    auto single = makeNet();
    train(single, nullptr, x, y);
    std::array<torch::Tensor, 2> weights;
    onTwoRanks([&](DistGroup& g) {
        auto net = makeNet();
        g.broadcast(net->parameters());
        const auto half = torch::arange(g.rank(), 64, 2);  // every second sample, as the shards
        train(net, &g, x.index_select(0, half), y.index_select(0, half));
        std::vector<torch::Tensor> flat;
        for (auto& p : net->parameters())
            flat.push_back(p.detach().flatten());
        weights[static_cast<std::size_t>(g.rank())] = torch::cat(flat);
    });
    std::vector<torch::Tensor> flat;
    for (auto& p : single->parameters())
        flat.push_back(p.detach().flatten());
    const auto expected = torch::cat(flat);
    EXPECT_TRUE(torch::equal(weights[0], weights[1])) << "the ranks stay identical";
    EXPECT_TRUE(torch::allclose(weights[0], expected, 1e-5, 1e-6))
        << (weights[0] - expected).abs().max().item<float>();
}

TEST(DistGroup, ARankThatNeverComesIsReportedWithinTheTimeout) {
    const auto start = std::chrono::steady_clock::now();
    try {
        DistGroup::join(engine::dist::localLaunch(2, 0, 0), milliseconds(2'000));
        FAIL() << "joined a world of 2 alone";
    } catch (const engine::EngineError& e) {
        EXPECT_NE(std::string(e.what()).find("data-parallel rank 0 of 2: meeting the other 1"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("after ddp.timeout = 2 s"), std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(DistGroup, ARankThatLeavesStopsTheOtherWithinTheTimeout) {
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    EXPECT_THROW(onTwoRanks(
                     [&](DistGroup& g) {
                         if (g.rank() == 1) return;  // leaves: its group closes its connections
                         try {
                             for (int i = 0; i < 100; ++i)
                                 g.sum({1.0});
                         } catch (const engine::EngineError& e) {
                             message = e.what();
                             throw;
                         }
                     },
                     milliseconds(3'000)),
                 engine::EngineError);
    EXPECT_NE(message.find("rank 0 of 2: summing over ranks failed"), std::string::npos) << message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(DistGroup, ExtrasRideTheGradientAllreduceAndComeBackSummed) {
    std::array<std::vector<double>, 2> sums;
    std::array<float, 2> grads{};
    onTwoRanks([&](DistGroup& g) {
        auto w = torch::full({3}, 1.0, torch::requires_grad());
        (w * static_cast<double>(g.rank() + 1)).sum().backward();  // grads 1 and 2
        std::vector<double> extras{0.5 + g.rank(), 64, g.rank() == 1 ? 1.0 : 0.0};
        g.averageGradients({w}, 25 << 20, &extras);
        sums[static_cast<std::size_t>(g.rank())] = extras;
        grads[static_cast<std::size_t>(g.rank())] = w.grad()[0].item<float>();
    });
    for (const auto& s : sums) {
        EXPECT_EQ(s, (std::vector<double>{2.0, 128, 1.0}));  // summed, not averaged
    }
    EXPECT_EQ(grads[0], 1.5f);  // the gradients averaged
    EXPECT_EQ(grads[1], 1.5f);
}

TEST(DistGroup, AFailingRankSaysWhyAndRankZeroReadsIt) {
    std::vector<std::string> reports;
    onTwoRanks([&](DistGroup& g) {
        if (g.rank() == 1) g.reportFailure("the data ran out");
        g.sum({1.0});  // both have reached this point: the report is in the store
        if (g.rank() == 0) reports = g.failureReports(milliseconds(500));
    });
    EXPECT_EQ(reports, (std::vector<std::string>{"rank 1: the data ran out"}));
}

TEST(DistGroup, GatherBringsEveryRanksTensorToRankZeroInRankOrder) {
    std::array<std::vector<torch::Tensor>, 2> got;
    onTwoRanks([&](DistGroup& g) {
        got[static_cast<std::size_t>(g.rank())] =
            g.gather(torch::full({2, 3}, static_cast<float>(g.rank() + 1)));
    });
    ASSERT_EQ(got[0].size(), 2u);
    EXPECT_TRUE(torch::equal(got[0][0], torch::full({2, 3}, 1.0f)));
    EXPECT_TRUE(torch::equal(got[0][1], torch::full({2, 3}, 2.0f)));
    EXPECT_TRUE(got[1].empty());
}
