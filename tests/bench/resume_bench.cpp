// What resuming costs a run that never resumes: writing a checkpoint (model, optimizer, RNG
// states, the epoch's order; built in memory, CRC-32, written, fsync'ed, renamed) for each
// built-in model, and the config-and-data fingerprint every checkpointing run computes once
// (a CRC-32 over Fashion-MNIST's 70k images as float32, 220 MB). Median of 5, one thread.
//   resume_bench [FOLDER]   (checkpoints go to FOLDER, default /tmp)

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "engine/resume.h"
#include "engine/runtime.h"
#include "engine/session.h"

using namespace runboard;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double medianMs(F&& f) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
        const auto t0 = Clock::now();
        f();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[2];
}

}  // namespace

int main(int argc, char** argv) {
    engine::configureRuntime(1);
    const std::filesystem::path dir = argc > 1 ? argv[1] : "/tmp";
    config::Config c = config::Config::defaults();
    for (const auto& [model, shape] : std::vector<std::pair<std::string, engine::SampleShape>>{
             {"mlp", engine::kFashionMnistShape},
             {"cnn", engine::kFashionMnistShape},
             {"resnet", {3, 64, 64}}}) {
        c.set("model", model);
        auto options = engine::TrainOptions::fromConfig(c);
        engine::Session session(options, 10, 421, shape);
        // One step, so that the optimizer has its state (momentum buffers) to save.
        session.trainStep(torch::randn({8, shape[0], shape[1], shape[2]}),
                          torch::zeros({8}, torch::kLong));
        engine::CheckpointState state;
        state.order.resize(54000);
        state.position = 100;
        const auto path = (dir / ("resume-bench-" + model + ".pt")).string();
        engine::SavedFile saved;
        const double ms = medianMs([&] { saved = session.save(path, state); });
        std::printf("checkpoint %-6s %8.1f ms  %7.1f MB\n", model.c_str(), ms,
                    static_cast<double>(saved.bytes) / 1e6);
        std::filesystem::remove(path);
    }
    engine::DataOptions data = engine::TrainOptions::fromConfig(config::Config::defaults()).data;
    const auto d = engine::loadFashionMnist(data);
    const double ms = medianMs(
        [&] { (void)engine::resumeFingerprint(config::Config::defaults(), d, "fp32", 1); });
    std::printf("fingerprint of Fashion-MNIST (%lld samples) %.0f ms\n",
                static_cast<long long>(d.train.size() + d.val.size() + d.test.size()), ms);
    return 0;
}
