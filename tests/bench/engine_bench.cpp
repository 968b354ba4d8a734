// Training throughput of one configuration, printed as one line of JSON, so that
// run_engine_bench.sh can alternate it with the Python reference in one run.
//
//   engine_bench --mode engine|bare|logging|predict|nolog --model mlp|cnn --precision fp32|bf16
//                [--steps N] [--batch B]
//
// engine:  the real Trainer (schedule, grad norm, observers), throughput of its train steps.
// bare:    a plain LibTorch loop with the same model, optimizer, threads and precision.
// logging / predict / nolog: a whole run (2 epochs, val every epoch, test at the end) with every
//          metric and prediction written to SQLite through the writer, with the predictions only
//          computed, or with nothing recorded.

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "app/core/recorder.h"
#include "engine/dataset.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "storage/run_store.h"
#include "storage/writer.h"

using namespace runboard;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kWarmup = 10;

struct Args {
    std::string mode = "engine", model = "cnn", precision = "fp32";
    int steps = 150, batch = 128;
};

config::Config benchConfig(const Args& a, std::int64_t limit, std::int64_t epochs) {
    config::Config c = config::Config::defaults();
    c.set("model", a.model);
    c.set("precision", a.precision);
    c.set("batch_size", std::int64_t{a.batch});
    c.set("epochs", epochs);
    c.set("data.limit", limit);
    c.set("augment.flip", false);
    c.set("augment.shift", std::int64_t{0});
    c.set("augment.erase", 0.0);
    c.set("checkpoint.keep", std::int64_t{0});
    return c;
}

// Measures the train steps after the warm-up.
struct StepTimer : engine::Observer {
    Clock::time_point t0, t1;
    std::int64_t steps = 0;
    void onStep(const engine::StepEvent& e) override {
        if (e.step == kWarmup) t0 = Clock::now();
        t1 = Clock::now();
        steps = e.step;
    }
};

double runEngine(const Args& a) {
    engine::Trainer t(benchConfig(a, std::int64_t{a.steps} * a.batch, 1), {});
    t.loadData();
    StepTimer timer;
    t.run(timer);
    return static_cast<double>((timer.steps - kWarmup) * a.batch) /
           std::chrono::duration<double>(timer.t1 - timer.t0).count();
}

double runBare(const Args& a) {
    engine::configureRuntime(0);
    engine::DataOptions d;
    d.limit = std::int64_t{a.steps} * a.batch;
    const engine::Dataset data = engine::loadFashionMnist(d);
    torch::manual_seed(1);
    auto model = engine::makeModel(*config::kModelNames.parse(a.model), 10, 0.1);
    torch::optim::SGD opt(
        model->parameters(),
        torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(5e-4));
    const bool bf16 = a.precision == "bf16";
    model->train();
    const auto perm = torch::randperm(data.train.size(), torch::kInt64);
    Clock::time_point t0;
    for (int s = 0; s < a.steps; ++s) {
        if (s == kWarmup) t0 = Clock::now();
        const auto idx = perm.narrow(0, std::int64_t{s} * a.batch, a.batch);
        const auto x = data.train.inputs.index_select(0, idx);
        const auto y = data.train.labels.index_select(0, idx);
        opt.zero_grad();
        torch::Tensor logits;
        {
            engine::AutocastGuard autocast(bf16);
            logits = model->forward(x).to(torch::kFloat32);
        }
        auto loss = torch::nn::functional::cross_entropy(
            logits, y, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.1));
        loss.backward();
        opt.step();
        (void)loss.item<double>();
    }
    return static_cast<double>((a.steps - kWarmup) * a.batch) /
           std::chrono::duration<double>(Clock::now() - t0).count();
}

// Whole-run wall time. logging: every metric and prediction through the writer, including the
// store's creation and the last flush (a user's run pays both); setup and flush are also given
// apart. predict: the predictions computed but not recorded, which splits logging's cost into
// the engine's part and the store's. nolog: neither.
struct WholeRun {
    double seconds = 0, setup = 0, flush = 0;
};

WholeRun runWhole(const Args& a) {
    const bool record = a.mode == "logging";
    config::Config c = benchConfig(a, 10'000, 2);
    c.set("log.predictions", a.mode != "nolog");
    engine::Trainer t(c, {});
    t.loadData();
    const auto dbPath =
        (std::filesystem::temp_directory_path() / "runboard-engine-bench.db").string();
    std::filesystem::remove(dbPath);
    std::filesystem::remove(dbPath + "-wal");
    WholeRun out;
    const auto t0 = Clock::now();
    if (record) {
        auto store = storage::RunStore::open(dbPath);
        auto owned = store->createRun(
            {"bench", std::nullopt, c.toJson(), 1, {}, storage::RunStatus::Running});
        auto writer = storage::Writer::open(dbPath);
        app::RunRecorder recorder(*writer.value(), owned->id);
        out.setup = std::chrono::duration<double>(Clock::now() - t0).count();
        t.run(recorder);
        const auto t1 = Clock::now();
        (void)writer.value()->flush();
        writer.value().reset();
        out.flush = std::chrono::duration<double>(Clock::now() - t1).count();
    } else {
        engine::Observer none;
        t.run(none);
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::filesystem::remove(dbPath);
    std::filesystem::remove(dbPath + "-wal");
    std::filesystem::remove(dbPath + "-shm");
    std::filesystem::remove_all(dbPath + ".files");
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);  // stdout carries only the JSON line
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--mode")
            a.mode = v;
        else if (k == "--model")
            a.model = v;
        else if (k == "--precision")
            a.precision = v;
        else if (k == "--steps")
            a.steps = std::stoi(v);
        else if (k == "--batch")
            a.batch = std::stoi(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (a.mode == "logging" || a.mode == "predict" || a.mode == "nolog") {
        const WholeRun r = runWhole(a);
        std::printf(
            "{\"mode\":\"%s\",\"model\":\"%s\",\"precision\":\"%s\",\"seconds\":%.3f,"
            "\"setup_seconds\":%.3f,\"flush_seconds\":%.3f}\n",
            a.mode.c_str(), a.model.c_str(), a.precision.c_str(), r.seconds, r.setup, r.flush);
        return 0;
    }
    const double sps = a.mode == "bare" ? runBare(a) : runEngine(a);
    std::printf("{\"mode\":\"%s\",\"model\":\"%s\",\"precision\":\"%s\",\"samples_per_s\":%.1f}\n",
                a.mode.c_str(), a.model.c_str(), a.precision.c_str(), sps);
    return 0;
}
