#include "engine/trainer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>

#include "engine/check_hooks.h"
#include "engine/data/atomic_file.h"
#include "engine/errors.h"
#include "engine/runtime.h"
#include "engine/scripted_model.h"
#include "engine/session.h"
#include "engine/torch_errors.h"

namespace runboard::engine {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string rngState(const std::mt19937_64& rng) {
    std::ostringstream os;
    os << rng;
    return os.str();
}

}  // namespace

struct Trainer::Impl {
    config::Config config;
    TrainOptions train;  // the config, parsed once
    TrainerOptions options;
    std::optional<Dataset> data;
    std::vector<std::string> checkpoints;

    bool stopRequested() const {
        return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
    }

    void checkpoint(Session& session, int epoch, const std::mt19937_64& rng, Observer& observer) {
        const std::int64_t keep = train.checkpointKeep;
        if (options.checkpointDir.empty() || keep == 0) return;
        std::error_code ec;
        std::filesystem::create_directories(options.checkpointDir, ec);
        if (ec)
            throw OutputError("cannot create the checkpoint folder '" + options.checkpointDir +
                              "': " + describeIoError(ec.value()));
        CheckpointEvent ev{epoch,
                           session.step(),
                           (std::filesystem::path(options.checkpointDir) /
                            ("epoch-" + std::to_string(epoch) + ".pt"))
                               .string(),
                           {}};
        // The new file lands whole (or throws, and nothing else changes); the observer records
        // it, and the removal of the oldest, and confirms (a recorder commits); only then are
        // the oldest deleted. So a failure writing or recording the new checkpoint leaves every
        // old one on disk, and the store never lists a file that is gone.
        session.save(ev.path, {epoch, session.step(), rngState(rng)});
        // A TorchScript model is also saved whole, trained, as model.pt (the latest epoch's):
        // torch.jit.load reads it back with identical outputs. Written beside, then renamed.
        const auto scripted = std::filesystem::path(options.checkpointDir) / "model.pt";
        if (saveScriptedModel(session.model(), scripted.string() + ".tmp")) {
            std::filesystem::rename(scripted.string() + ".tmp", scripted, ec);
            if (ec)
                throw OutputError("cannot write the TorchScript model '" + scripted.string() +
                                  "': " + ec.message());
        }
        const auto excess =
            static_cast<std::int64_t>(checkpoints.size()) + 1 - std::max<std::int64_t>(keep, 1);
        if (excess > 0) ev.removed.assign(checkpoints.begin(), checkpoints.begin() + excess);
        observer.onCheckpoint(ev);
        checkpoints.erase(checkpoints.begin(),
                          checkpoints.begin() + static_cast<std::ptrdiff_t>(ev.removed.size()));
        checkpoints.push_back(ev.path);
        for (const auto& old : ev.removed) {
            std::error_code ec;
            std::filesystem::remove(old, ec);
            if (ec)  // recorded as removed already: a file left over, not a record of a lost one
                spdlog::warn("could not delete the old checkpoint '{}': {}", old,
                             describeIoError(ec.value()));
        }
    }
};

Trainer::Trainer(config::Config config, TrainerOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->train = TrainOptions::fromConfig(config);  // validates
    impl_->config = std::move(config);
    impl_->options = std::move(options);
}

Trainer::~Trainer() = default;

const config::Config& Trainer::config() const {
    return impl_->config;
}

const std::atomic<bool>* Trainer::stopFlag() const {
    return impl_->options.stop;
}

void Trainer::setCheckpointDir(std::string dir) {
    impl_->options.checkpointDir = std::move(dir);
}

const Dataset* Trainer::data() const {
    return impl_->data ? &*impl_->data : nullptr;
}

std::vector<CheckResult> Trainer::loadChecks() const {
    return impl_->data ? impl_->data->loadChecks : std::vector<CheckResult>{};
}

void Trainer::loadData() {
    if (impl_->data) return;
    impl_->data = loadDataset(impl_->train.data);
    resolveModel(impl_->train, impl_->config, impl_->data->sampleShape);
    // The model must take the data before anything is written: a TorchScript file is read and
    // run on a batch now (DataError), not after the run exists.
    const ModelOptions& m = impl_->train.model;
    const auto model =
        makeModel(m.kind, m.path, impl_->data->numClasses, m.dropout, impl_->data->sampleShape);
    impl_->data->loadChecks.push_back(layersCheck(*model, config::kModelNames.name(m.kind)));
}

RunResult Trainer::run(Observer& observer) try {
    const auto start = Clock::now();
    const TrainOptions& o = impl_->train;
    const RuntimeSettings rt = configureRuntime(o.threads);
    loadData();
    const Dataset& data = *impl_->data;

    const std::int64_t n = data.train.size();
    const int epochs = o.epochs;

    torch::manual_seed(o.seed);
    std::mt19937_64 rng(o.seed);
    TrainBatches batches(data, o, rng);
    const std::int64_t batch = batches.batchSize();
    const std::int64_t stepsPerEpoch = batches.stepsPerEpoch();
    Session session(o, data.numClasses, stepsPerEpoch, data.sampleShape);
    session.model().train();

    RunInfo info;
    info.trainSize = n;
    info.valSize = data.val.size();
    info.testSize = data.test.size();
    info.stepsPerEpoch = stepsPerEpoch;
    info.totalSteps = stepsPerEpoch * epochs;
    info.epochs = epochs;
    info.numClasses = data.numClasses;
    info.classNames = data.classNames;
    info.precision = session.bf16() ? "bf16" : "fp32";
    info.threads = rt.threads;
    for (const auto& p : session.model().parameters())
        info.parameters += p.numel();
    observer.onStart(info);
    spdlog::info(
        "training {} ({} parameters) on {} samples, {} val, {} test; {} epochs x {} steps, "
        "{}, {} threads",
        config::kModelNames.name(o.model.kind), info.parameters, n, info.valSize, info.testSize,
        epochs, stepsPerEpoch, info.precision, rt.threads);

    const bool logPredictions = o.logPredictions;
    const std::int64_t evalBatch = o.evalBatchSize;

    RunResult result;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        batches.shuffle();
        double lossSum = 0;
        std::int64_t correct = 0, seen = 0;
        for (std::int64_t s = 0; s < stepsPerEpoch; ++s) {
            if (impl_->stopRequested()) {
                result.outcome = Outcome::Stopped;
                result.message = "stopped by request at step " + std::to_string(session.step());
                break;
            }
            const auto t0 = Clock::now();
            const auto [x, y] = batches.get(s);
            if (s + 1 == stepsPerEpoch) session.measureGradNormNextStep();
            const StepOutput out = session.trainStep(x, y);

            StepEvent ev{session.step(), epoch,
                         out.loss,       out.lr,
                         out.gradNorm,   static_cast<double>(batch) / secondsSince(t0)};
            observer.onStep(ev);
            if (!out.finite) {
                result.outcome = Outcome::Diverged;
                result.message = "the loss became " +
                                 std::string(std::isnan(out.loss) ? "NaN" : "infinite") +
                                 " at step " + std::to_string(session.step()) + " (epoch " +
                                 std::to_string(epoch) + ", lr " + std::to_string(out.lr) +
                                 "); try a lower learning rate";
                break;
            }
            lossSum += out.loss * static_cast<double>(batch);
            correct += out.correct;
            seen += batch;
        }
        if (result.outcome != Outcome::Finished) break;

        EpochEvent ep;
        ep.epoch = epoch;
        ep.step = session.step();
        ep.trainLoss = lossSum / static_cast<double>(seen);
        ep.trainAccuracy = static_cast<double>(correct) / static_cast<double>(seen);
        ep.valLoss = ep.valAccuracy = std::nan("");
        if (data.val.size() > 0) {
            EvalOutput val = session.evaluate(data.val, Split::Val, logPredictions, evalBatch,
                                              impl_->options.stop);
            if (val.stopped) {
                result.outcome = Outcome::Stopped;
                result.message = "stopped by request during validation after epoch " +
                                 std::to_string(epoch) + " (step " +
                                 std::to_string(session.step()) + ")";
                break;
            }
            ep.valLoss = val.loss;
            ep.valAccuracy = val.accuracy;
            if (logPredictions) {
                val.predictions.epoch = epoch;
                val.predictions.step = session.step();
                observer.onPredictions(val.predictions);
            }
        }
        ep.seconds = secondsSince(start);
        observer.onEpoch(ep);
        spdlog::info(
            "epoch {}/{}: train loss {:.4f} acc {:.4f}, val loss {:.4f} acc {:.4f}, {:.0f} s",
            epoch, epochs, ep.trainLoss, ep.trainAccuracy, ep.valLoss, ep.valAccuracy, ep.seconds);
        impl_->checkpoint(session, epoch, rng, observer);
        result.epochs = epoch;
    }

    result.steps = session.step();
    result.testLoss = result.testAccuracy = std::nan("");
    if (result.outcome == Outcome::Finished) {
        EvalOutput test = session.evaluate(data.test, Split::Test, logPredictions, evalBatch,
                                           impl_->options.stop);
        if (test.stopped) {
            result.outcome = Outcome::Stopped;
            result.message = "stopped by request during the final test evaluation";
        } else {
            result.testLoss = test.loss;
            result.testAccuracy = test.accuracy;
        }
        if (logPredictions && !test.stopped) {
            test.predictions.epoch = result.epochs;
            test.predictions.step = session.step();
            observer.onPredictions(test.predictions);
        }
    }
    result.seconds = secondsSince(start);
    observer.onFinish(result);
    return result;
} catch (const c10::Error& e) {
    throw EngineError(torchErrorMessage("training", e));
}

}  // namespace runboard::engine
