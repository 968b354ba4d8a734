#include "engine/trainer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "engine/check_hooks.h"
#include "engine/data/atomic_file.h"
#include "engine/data_parallel.h"
#include "engine/errors.h"
#include "engine/model_cost.h"
#include "engine/peak.h"
#include "engine/phase_range.h"
#include "engine/resume.h"
#include "engine/runtime.h"
#include "engine/scripted_model.h"
#include "engine/session.h"
#include "engine/step_profiler.h"
#include "engine/torch_errors.h"

namespace runboard::engine {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

double secondsSince(Clock::time_point t) {
    return seconds(t, Clock::now());
}

// The process's peak resident memory so far (getrusage: Linux reports KiB).
double peakRssMb() {
    rusage usage{};
    return getrusage(RUSAGE_SELF, &usage) == 0 ? static_cast<double>(usage.ru_maxrss) / 1024.0
                                               : std::nan("");
}

std::string rngState(const std::mt19937_64& rng) {
    std::ostringstream os;
    os << rng;
    return os.str();
}

void setRngState(std::mt19937_64& rng, const std::string& state) {
    std::istringstream is(state);
    is >> rng;
    if (!is) throw EngineError("the checkpoint's sample-order RNG state cannot be read");
}

}  // namespace

struct Trainer::Impl {
    config::Config config;
    TrainOptions train;  // the config, parsed once
    TrainerOptions options;
    std::optional<Dataset> data;
    std::string resumeFrom;  // a checkpoint to continue from
    struct File {
        std::string path;
        std::int64_t step = 0;
        bool epochEnd = false;
    };
    std::vector<File> checkpoints;  // on disk and recorded, oldest first
    std::vector<KnownCheckpoint> known;
    std::int64_t lastCheckpointStep = -1;
    Clock::time_point lastCheckpointAt = Clock::now();

    bool stopRequested() const {
        return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
    }

    // Which files a new checkpoint makes redundant: epoch checkpoints beyond checkpoint.keep, and
    // any mid-epoch one that is not among the two newest (the older is the fallback should the
    // newest be damaged).
    std::vector<std::string> redundant(const File& added) const {
        std::vector<File> all = checkpoints;
        all.push_back(added);
        const std::int64_t keep = train.checkpointKeep;
        std::int64_t epochEnds = 0;
        std::vector<std::string> out;
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
            const auto newer = static_cast<std::size_t>(it - all.rbegin());
            if (it->epochEnd ? ++epochEnds > keep : newer >= 2) out.push_back(it->path);
        }
        std::reverse(out.begin(), out.end());
        return out;
    }

    // Writes a checkpoint after `state.step` steps; no file when checkpoint.keep is 0 or the run
    // has no checkpoint folder.
    void checkpoint(Session& session, CheckpointState state, Observer& observer) {
        if (options.checkpointDir.empty() || train.checkpointKeep == 0) return;
        std::error_code ec;
        std::filesystem::create_directories(options.checkpointDir, ec);
        if (ec)
            throw OutputError("cannot create the checkpoint folder '" + options.checkpointDir +
                              "': " + describeIoError(ec.value()));
        const bool epochEnd = state.position == 0;
        const std::string name = epochEnd ? "epoch-" + std::to_string(state.epoch) + ".pt"
                                          : "step-" + std::to_string(state.step) + ".pt";
        CheckpointEvent ev{state.epoch, state.step,
                           (std::filesystem::path(options.checkpointDir) / name).string()};
        // The new file lands whole (or throws, and nothing else changes); the observer records
        // it, and the removal of the redundant ones, and confirms (a recorder commits everything
        // logged so far with it); only then are those deleted. So a failure writing or recording
        // the new checkpoint leaves every old one on disk, the store never lists a file that is
        // gone, and a run resumed from a recorded checkpoint finds every row logged before it.
        const SavedFile saved = session.save(ev.path, state);
        ev.crc32 = saved.crc32;
        ev.bytes = saved.bytes;
        // A TorchScript model is also saved whole, trained, as model.pt (the latest epoch's):
        // torch.jit.load reads it back with identical outputs. Written beside, then renamed.
        const auto scripted = std::filesystem::path(options.checkpointDir) / "model.pt";
        if (epochEnd && saveScriptedModel(session.model(), scripted.string() + ".tmp")) {
            std::filesystem::rename(scripted.string() + ".tmp", scripted, ec);
            if (ec)
                throw OutputError("cannot write the TorchScript model '" + scripted.string() +
                                  "': " + ec.message());
        }
        const File added{ev.path, state.step, epochEnd};
        ev.removed = redundant(added);
        std::erase(ev.removed, ev.path);  // the same name written again (a resumed run)
        observer.onCheckpoint(ev);
        std::erase_if(checkpoints, [&](const File& f) {
            return f.path == ev.path ||
                   std::find(ev.removed.begin(), ev.removed.end(), f.path) != ev.removed.end();
        });
        checkpoints.push_back(added);
        lastCheckpointStep = state.step;
        lastCheckpointAt = Clock::now();
        for (const auto& old : ev.removed) {
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
    impl_->train.model.vocabSize = static_cast<std::int64_t>(impl_->data->vocabulary.size());
    // The model must take the data before anything is written: a TorchScript file is read and
    // run on a batch now (DataError), not after the run exists.
    const ModelOptions& m = impl_->train.model;
    const auto model = makeModel(m.kind, m.path, impl_->data->numClasses, m.dropout,
                                 impl_->data->sampleShape, m.vocabSize);
    impl_->data->loadChecks.push_back(layersCheck(*model, config::kModelNames.name(m.kind)));
}

void Trainer::resumeFrom(const std::string& checkpoint, std::vector<KnownCheckpoint> existing) {
    if (impl_->train.worldSize > 1)  // each rank's order and BatchNorm statistics are not saved
        throw ResumeRefused(fmt::format(
            "it trained data-parallel (ddp.world_size = {}), and resuming such a run is not "
            "supported yet: start a new run with its config",
            impl_->train.worldSize));
    loadData();
    const Dataset& data = *impl_->data;
    CheckpointState saved;
    bool bf16 = false;
    try {
        // A throwaway session reads the file; run() reads it again into the real one.
        Session probe(impl_->train, data.numClasses, 1, data.sampleShape);
        saved = probe.load(checkpoint);
        bf16 = probe.bf16();
    } catch (const c10::Error& e) {
        throw EngineError("the checkpoint '" + checkpoint +
                          "' cannot be read: " + torchErrorLine(e.what_without_backtrace()));
    }
    if (saved.fingerprint.empty()) {
        spdlog::warn(
            "checkpoint '{}' predates fingerprints: its config and data cannot be "
            "compared with the run's",
            checkpoint);
    } else {
        const int threads = configureRuntime(impl_->train.threads).threads;
        const std::string now =
            resumeFingerprint(impl_->config, data, bf16 ? "bf16" : "fp32", threads);
        const auto differences = fingerprintDifferences(saved.fingerprint, now);
        if (!differences.empty())
            throw ResumeRefused(
                fmt::format("the run cannot continue from its checkpoint at step {}: since then {}",
                            saved.step, fmt::join(differences, "; ")));
        for (const auto& d : fingerprintDifferences(saved.fingerprint, now, /*runtime=*/true))
            spdlog::warn(
                "{}: the resumed steps will match an uninterrupted run's to rounding, "
                "not bit for bit (sums run in another order)",
                d);
    }
    impl_->resumeFrom = checkpoint;
    impl_->known = std::move(existing);
}

RunResult Trainer::run(Observer& observer) {
    std::unique_ptr<DataParallel> dp;
    try {
        return train(observer, dp);
    } catch (const c10::Error& e) {
        const std::string message = torchErrorMessage("training", e);
        throw EngineError(dp ? dp->fail(message) : message);
    } catch (const std::exception& e) {
        if (!dp) throw;
        // This rank's own failure keeps its type (a full disk stays an OutputError); another
        // rank's is said in its words.
        if (const std::string why = dp->fail(e.what()); why != e.what()) throw EngineError(why);
        throw;
    }
}

RunResult Trainer::train(Observer& observer, std::unique_ptr<DataParallel>& dp) {
    const auto start = Clock::now();
    const TrainOptions& o = impl_->train;
    const RuntimeSettings rt = configureRuntime(o.threads);
    loadData();
    const Dataset& data = *impl_->data;
    // Data-parallel: joined after the data (and rank 0's checklist): the other ranks load theirs
    // meanwhile. Only rank 0 writes files.
    if (o.worldSize > 1) {
        dp = std::make_unique<DataParallel>(o, impl_->options.dist);
        config::Config shared = impl_->config;  // what may differ per rank left out
        shared.set("threads", std::int64_t{0});
        shared.set("ddp.timeout", 60.0);
        dp->verify(shared.toJson(), data.train.size(), data.numClasses);
        if (dp->rank() != 0) {
            impl_->options.checkpointDir.clear();
            impl_->options.profileRequest = nullptr;
        }
    }
    const int world = dp ? dp->worldSize() : 1;

    const std::int64_t n = data.train.size();
    const int epochs = o.epochs;

    torch::manual_seed(o.seed);
    std::mt19937_64 rng(o.seed);
    TrainBatches batches(data, o, rng);
    batches.setFetchHook(impl_->options.fetchHook);
    if (dp) batches.shard(world, dp->rank());
    const std::int64_t batch = batches.batchSize();
    const std::int64_t globalBatch = batch * world;
    const std::int64_t stepsPerEpoch = batches.stepsPerEpoch();
    Session session(o, data.numClasses, stepsPerEpoch, data.sampleShape);
    session.model().train();
    if (dp) {
        dp->broadcast(session.model());
        dp->attach(session, impl_->options.stop);
    }
    const std::string precision = session.bf16() ? "bf16" : "fp32";
    // Only with checkpoints: one pass over the data.
    const bool checkpoints = !impl_->options.checkpointDir.empty() && o.checkpointKeep > 0;
    const std::string fingerprint =
        checkpoints ? resumeFingerprint(impl_->config, data, precision, rt.threads) : std::string();

    // Where training starts: step 0, or a checkpoint's state (every RNG, the epoch's order).
    CheckpointState at;
    if (!impl_->resumeFrom.empty()) {
        at = session.load(impl_->resumeFrom);
        setRngState(rng, at.rngState);
        if (at.position > 0) batches.resume(at.order, at.position);
        for (const auto& k : impl_->known)
            impl_->checkpoints.push_back(
                {k.path, k.step, k.step == k.epoch * stepsPerEpoch && k.step <= at.step});
        impl_->lastCheckpointStep = at.step;
        spdlog::info("resuming after step {} (epoch {}, step {} of {}) from '{}'", at.step,
                     at.epoch + 1, at.position, stepsPerEpoch, impl_->resumeFrom);
    }
    impl_->lastCheckpointAt = Clock::now();
    const double secondsBefore = at.seconds;
    const auto elapsed = [&] { return secondsBefore + secondsSince(start); };

    // Text: the vocabulary beside the run's checkpoints, so that its predictions can be shown
    // as the tokens the model read (<unk> where it knew no word).
    if (data.text && !impl_->options.checkpointDir.empty()) {
        std::filesystem::create_directories(impl_->options.checkpointDir);
        writeFileAtomically(
            (std::filesystem::path(impl_->options.checkpointDir) / "vocabulary.json").string(),
            nlohmann::json(data.vocabulary).dump(), "vocabulary");
    }

    RunInfo info;
    info.trainSize = n;
    info.valSize = data.val.size();
    info.testSize = data.test.size();
    info.stepsPerEpoch = stepsPerEpoch;
    info.totalSteps = stepsPerEpoch * epochs;
    info.epochs = epochs;
    info.numClasses = data.numClasses;
    info.classNames = data.classNames;
    info.sourceName = data.sourceName;
    info.precision = precision;
    info.threads = rt.threads;
    info.worldSize = world;
    info.resumedAtStep = at.step;
    info.resumedAtEpoch = at.epoch;
    for (const auto& p : session.model().parameters())
        info.parameters += p.numel();
    observer.onStart(info);
    // A diagnosis, never a reason to stop: a model whose forward pass fails on one sample (a
    // scripted one may assume a larger batch) trains without its layer table.
    std::optional<CostEvent> cost;
    try {
        // Text: a sample of the training part's mean length.
        const SampleShape shape =
            data.text
                ? SampleShape{std::max<std::int64_t>(
                      1, std::llround(data.train.lengths.to(torch::kDouble).mean().item<double>()))}
                : data.sampleShape;
        cost = CostEvent{measureModelCost(session.model(), shape, data.text),
                         machinePeak(rt.threads), batch, precision};
    } catch (const std::exception& e) {
        spdlog::warn("no layer table for this model: {}", e.what());
    }
    if (cost) observer.onCost(*cost);
    spdlog::info(
        "training {} ({} parameters) on {} samples, {} val, {} test; {} epochs x {} steps, "
        "{}, {} threads{}",
        config::kModelNames.name(o.model.kind), info.parameters, n, info.valSize, info.testSize,
        epochs, stepsPerEpoch, info.precision, rt.threads,
        dp ? fmt::format("; rank {} of {} data-parallel processes, global batch {} x {} = {}",
                         dp->rank(), world, world, batch, globalBatch)
           : std::string());

    const bool logPredictions = o.logPredictions;
    const std::int64_t evalBatch = o.evalBatchSize;
    // The state a checkpoint written now holds.
    const auto state = [&](int epochsDone, std::int64_t position, double lossSum,
                           std::int64_t correct, std::int64_t seen) {
        CheckpointState c{epochsDone, session.step(), rngState(rng), position,  {},
                          lossSum,    correct,        seen,          elapsed(), fingerprint};
        if (position > 0) c.order = batches.order();
        return c;
    };

    StepProfiler profiler({dp && dp->rank() != 0 ? 0 : o.profileSteps, o.profileWarmup,
                           o.profileTraceMb << 20, impl_->options.checkpointDir,
                           impl_->options.profileRequest});
    const auto reportWindow = [&](std::optional<profile::Window> w) {
        if (w) observer.onProfile(*w);
    };

    RunResult result;
    for (int epoch = at.epoch + 1; epoch <= epochs; ++epoch) {
        const bool resumedInside = epoch == at.epoch + 1 && at.position > 0;
        if (!resumedInside) batches.shuffle();
        StepPhases phases;  // summed over this epoch's steps
        std::int64_t timed = 0;
        double lossSum = resumedInside ? at.lossSum : 0;
        std::int64_t correct = resumedInside ? at.correct : 0;
        std::int64_t seen = resumedInside ? at.seen : 0;
        for (std::int64_t s = resumedInside ? at.position : 0; s < stepsPerEpoch; ++s) {
            if (dp ? dp->stopAgreed() : impl_->stopRequested()) {
                result.outcome = Outcome::Stopped;
                result.message = "stopped by request at step " + std::to_string(session.step());
                // Progress since the last checkpoint is kept: a resume continues right here.
                if (session.step() > impl_->lastCheckpointStep && s > 0)
                    impl_->checkpoint(session, state(epoch - 1, s, lossSum, correct, seen),
                                      observer);
                break;
            }
            profiler.beforeStep(session.step() + 1);
            const auto t0 = Clock::now();
            if (dp) dp->beginStep();
            PhaseRange stepRange("step");
            PhaseRange dataRange("data");
            const auto [x, y] = batches.get(s);
            dataRange.end();
            const auto fetched = Clock::now();
            if (s + 1 == stepsPerEpoch) session.measureGradNormNextStep();
            const StepOutput out = session.trainStep(x, y);
            const auto trained = Clock::now();
            PhaseRange observerRange("observer");

            StepEvent ev{session.step(), epoch,
                         out.loss,       out.lr,
                         out.gradNorm,   static_cast<double>(globalBatch) / secondsSince(t0)};
            if (data.text && batches.lastPadded() > 0) {
                ev.padding = 1.0 - static_cast<double>(batches.lastTokens()) /
                                       static_cast<double>(batches.lastPadded());
                ev.tokensPerSecond = static_cast<double>(batches.lastTokens()) / secondsSince(t0);
            }
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
            lossSum += out.loss * static_cast<double>(globalBatch);
            correct += out.correct;
            seen += globalBatch;
            // Within the epoch (its end has its own checkpoint, after validation).
            const bool due = o.checkpointEverySteps > 0
                                 ? session.step() % o.checkpointEverySteps == 0
                                 : secondsSince(impl_->lastCheckpointAt) >= kCheckpointSeconds;
            if (due && s + 1 < stepsPerEpoch)
                impl_->checkpoint(session, state(epoch - 1, s + 1, lossSum, correct, seen),
                                  observer);
            const StepPhases p{seconds(t0, fetched),
                               out.forward,
                               out.lossTime,
                               out.backward,
                               out.sync,
                               out.optimizer,
                               seconds(trained, Clock::now())};
            observerRange.end();
            stepRange.end();
            phases += p;
            phases.other += secondsSince(t0) - p.total();
            ++timed;
            reportWindow(profiler.afterStep());
        }
        reportWindow(profiler.close());
        if (result.outcome != Outcome::Finished) break;

        EpochEvent ep;
        ep.epoch = epoch;
        ep.step = session.step();
        ep.trainLoss = lossSum / static_cast<double>(seen);
        ep.trainAccuracy = static_cast<double>(correct) / static_cast<double>(seen);
        ep.valLoss = ep.valAccuracy = std::nan("");
        if (timed > 0) ep.stepPhases = phases / static_cast<double>(timed);
        if (dp) ep.rankStepSeconds = dp->takeRankSeconds();
        const auto evalStart = Clock::now();
        // Data-parallel: each rank evaluates its share and rank 0 reports the job's sums.
        const auto evaluate = [&](const SplitData& split, Split which) {
            return dp ? dp->evaluate(session, split, which, logPredictions, evalBatch,
                                     impl_->options.stop)
                      : session.evaluate(split, which, logPredictions, evalBatch,
                                         impl_->options.stop);
        };
        if (data.val.size() > 0) {
            EvalOutput val = evaluate(data.val, Split::Val);
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
        ep.evalSeconds = secondsSince(evalStart);
        ep.peakRssMb = peakRssMb();
        ep.seconds = elapsed();
        observer.onEpoch(ep);
        spdlog::info(
            "epoch {}/{}: train loss {:.4f} acc {:.4f}, val loss {:.4f} acc {:.4f}, {:.0f} s",
            epoch, epochs, ep.trainLoss, ep.trainAccuracy, ep.valLoss, ep.valAccuracy, ep.seconds);
        impl_->checkpoint(session, state(epoch, 0, 0, 0, 0), observer);
        result.epochs = epoch;
    }
    if (result.outcome == Outcome::Finished) result.epochs = epochs;
    if (profiler.scheduledPending())
        spdlog::warn(
            "profile.steps: no window was recorded: this process trained {} steps, "
            "fewer than profile.warmup = {}",
            session.step() - at.step, profiler.warmup());

    result.steps = session.step();
    result.testLoss = result.testAccuracy = std::nan("");
    if (result.outcome == Outcome::Finished) {
        EvalOutput test = dp ? dp->evaluate(session, data.test, Split::Test, logPredictions,
                                            evalBatch, impl_->options.stop)
                             : session.evaluate(data.test, Split::Test, logPredictions, evalBatch,
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
    result.seconds = elapsed();
    observer.onFinish(result);
    return result;
}

}  // namespace runboard::engine
