// Data-parallel training's costs (issue 19), before the trainer uses it: the default cnn's bare
// training step (forward, cross-entropy, backward, SGD with momentum) on one rank of a job, with
// its gradients averaged over the job by engine/dist_group (flattened buckets over Gloo). Each
// rank reads its place from torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), as
// a launcher would start it; run_dist_bench.sh starts the ranks. Random Fashion-MNIST-shaped
// batches: the compute per step is the real one, the data loader is not measured here. fp32,
// with the trainer's runtime settings (engine/runtime.h).
//
//   dist_bench [--steps 200] [--warmup 20] [--batch 128] [--threads 1] [--model cnn|mlp]
//       [--overlap KB]
//
// --overlap KB: each bucket of about KB kilobytes of gradients starts its allreduce from an
// autograd hook as soon as backward has produced all of its gradients (last layer first), while
// backward goes on; the step waits for them all after backward. Without it, one allreduce per
// 25 MB bucket after backward, as the trainer does.
//
// Rank 0 prints one line: world, threads, per-rank batch, samples/s of the whole job, and the
// mean milliseconds per step of compute and of the gradient allreduce.

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/dist/launch.h"
#include "engine/dist/shard.h"
#include "engine/dist_group.h"
#include "engine/models.h"
#include "engine/runtime.h"

using namespace runboard::engine;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    int steps = 200, warmup = 20, threads = 1, overlapKb = 0;
    std::int64_t batch = 128;
    std::string model = "cnn";
    try {
        for (int i = 1; i < argc; i += 2) {
            if (i + 1 == argc) {
                std::fprintf(stderr, "%s needs a value\n", argv[i]);
                return 2;
            }
            const std::string key = argv[i], value = argv[i + 1];
            if (key == "--steps")
                steps = std::stoi(value);
            else if (key == "--warmup")
                warmup = std::stoi(value);
            else if (key == "--batch")
                batch = std::stoll(value);
            else if (key == "--threads")
                threads = std::stoi(value);
            else if (key == "--overlap")
                overlapKb = std::stoi(value);
            else if (key == "--model")
                model = value;
            else {
                std::fprintf(stderr, "unknown option %s\n", key.c_str());
                return 2;
            }
        }
    } catch (const std::exception&) {  // std::stoi: not a number, or out of range
        std::fprintf(stderr, "each option takes a whole number (--model: cnn or mlp)\n");
        return 2;
    }
    if (steps < 1 || warmup < 0 || batch < 1 || threads < 1 || overlapKb < 0) {
        std::fprintf(stderr,
                     "--steps, --batch and --threads must be positive, --warmup not negative\n");
        return 2;
    }
    const auto resolved = dist::resolveLaunch({}, [](const char* n) { return std::getenv(n); });
    if (const auto* e = std::get_if<std::string>(&resolved)) {
        std::fprintf(stderr, "%s\n", e->c_str());
        return 2;
    }
    const dist::Launch launch = std::get<dist::Launch>(resolved);
    try {
        configureRuntime(threads);  // as the trainer: OpenBLAS on one thread, malloc kept
        std::unique_ptr<DistGroup> group;
        if (launch.distributed()) group = DistGroup::join(launch, std::chrono::seconds(60));
        torch::manual_seed(1 + launch.rank);
        auto net = makeModel(
            model == "mlp" ? runboard::config::ModelKind::Mlp : runboard::config::ModelKind::Cnn,
            10, 0.0);
        std::vector<torch::Tensor> state = net->parameters();
        for (auto& b : net->buffers())
            state.push_back(b);
        if (group) group->broadcast(state);
        torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
        // --overlap: a flat buffer per bucket, filled by the gradients' hooks.
        const auto params = net->parameters();
        std::vector<std::int64_t> paramBytes;
        for (const auto& p : params)
            paramBytes.push_back(p.numel() * 4);
        const auto buckets = dist::gradientBuckets(paramBytes, std::int64_t{overlapKb} << 10);
        std::vector<torch::Tensor> flat;
        std::vector<int> remaining(buckets.size());
        if (group && overlapKb > 0) {
            for (std::size_t b = 0; b < buckets.size(); ++b) {
                std::int64_t size = 0;
                for (const auto k : buckets[b]) {
                    const std::int64_t offset = size, n = params[k].numel();
                    size += n;
                    params[k].register_hook([&, b, offset, n](const torch::Tensor& g) {
                        flat[b].narrow(0, offset, n).copy_(g.reshape({-1}));
                        if (--remaining[b] == 0) group->startSum(flat[b]);
                    });
                }
                flat.push_back(torch::zeros({size}));
            }
        }
        const auto x = torch::randn({batch, 1, 28, 28});
        const auto y = torch::randint(0, 10, {batch});
        double compute = 0, reduce = 0;
        Clock::time_point start;
        for (int s = 0; s < warmup + steps; ++s) {
            if (s == warmup) {
                if (group) group->sum({0.0});  // every rank starts the clock together
                start = Clock::now();
                compute = reduce = 0;
            }
            const auto t0 = Clock::now();
            opt.zero_grad();
            for (std::size_t b = 0; b < buckets.size(); ++b)
                remaining[b] = static_cast<int>(buckets[b].size());
            torch::nn::functional::cross_entropy(net->forward(x), y).backward();
            const auto t1 = Clock::now();
            if (group && overlapKb > 0) {
                group->waitStarted();
                for (std::size_t b = 0; b < buckets.size(); ++b) {
                    flat[b].div_(launch.worldSize);
                    std::int64_t offset = 0;
                    for (const auto k : buckets[b]) {
                        const auto n = params[k].numel();
                        params[k].mutable_grad().copy_(
                            flat[b].narrow(0, offset, n).view(params[k].sizes()));
                        offset += n;
                    }
                }
            } else if (group) {
                group->averageGradients(net->parameters());
            }
            const auto t2 = Clock::now();
            opt.step();
            compute += std::chrono::duration<double>(t1 - t0).count();
            reduce += std::chrono::duration<double>(t2 - t1).count();
        }
        if (group) group->sum({0.0});
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::int64_t bytes = 0;
        for (const auto& p : net->parameters())
            bytes += p.numel() * 4;
        if (launch.rank == 0)
            std::printf(
                "world %d threads %d batch %lld model %s overlap_kb %d grad_bytes %lld "
                "samples_per_s %.0f compute_ms %.2f allreduce_ms %.2f allreduce_share %.3f\n",
                launch.worldSize, threads, static_cast<long long>(batch), model.c_str(), overlapKb,
                static_cast<long long>(bytes),
                static_cast<double>(batch) * launch.worldSize * steps / seconds,
                1000 * compute / steps, 1000 * reduce / steps,
                reduce / std::max(1e-12, compute + reduce));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", launch.rank, e.what());
        return 1;
    }
    return 0;
}
