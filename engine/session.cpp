#include "engine/session.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "engine/data/atomic_file.h"
#include "engine/data/checksum.h"
#include "engine/dist/shard.h"
#include "engine/errors.h"
#include "engine/phase_range.h"
#include "engine/runtime.h"
#include "engine/text/bucketing.h"

namespace runboard::engine {

AutocastGuard::AutocastGuard(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    previous_ = at::autocast::is_cpu_enabled();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(previous_);
}

namespace {

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const OptimizerOptions& o,
                                                       torch::nn::Module& model) {
    // Weight decay on weights only: decaying biases and BatchNorm scales only hurts.
    std::vector<torch::Tensor> decay, noDecay;
    for (auto& p : model.parameters())
        (p.dim() > 1 ? decay : noDecay).push_back(p);
    auto groups = [&](auto options) {
        std::vector<torch::optim::OptimizerParamGroup> g;
        auto withDecay = std::make_unique<decltype(options)>(options);
        withDecay->weight_decay(o.weightDecay);
        auto without = std::make_unique<decltype(options)>(options);
        without->weight_decay(0.0);
        g.emplace_back(decay, std::move(withDecay));
        g.emplace_back(noDecay, std::move(without));
        return g;
    };
    switch (o.kind) {
        case config::OptimizerKind::Sgd: {
            auto sgd = torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov);
            return std::make_unique<torch::optim::SGD>(groups(sgd), sgd);
        }
        case config::OptimizerKind::Adam: {
            auto adam = torch::optim::AdamOptions(o.lr).betas({o.momentum, 0.999});
            return std::make_unique<torch::optim::Adam>(groups(adam), adam);
        }
        case config::OptimizerKind::AdamW:
            break;
    }
    auto adamw = torch::optim::AdamWOptions(o.lr).betas({o.momentum, 0.999});
    return std::make_unique<torch::optim::AdamW>(groups(adamw), adamw);
}

}  // namespace

Session::Session(const TrainOptions& o, int numClasses, std::int64_t stepsPerEpoch,
                 const SampleShape& shape)
    : Session(o,
              makeModel(o.model.kind, o.model.path, numClasses, o.model.dropout, shape,
                        o.model.vocabSize),
              stepsPerEpoch) {}

Session::Session(const TrainOptions& o, std::shared_ptr<ClassifierImpl> model,
                 std::int64_t stepsPerEpoch)
    : model_(std::move(model)),
      optimizerKind_(o.optimizer.kind),
      schedule_(o.schedule),
      labelSmoothing_(o.labelSmoothing),
      gradNormEvery_(o.gradNormEvery),
      bf16_(resolvePrecision(o.precision) == config::Precision::Bf16) {
    if (o.model.head == config::HeadInit::Small) {
        // Zero bias, small weights: every class gets nearly the same logit, so the initial loss is
        // ln K; the weights are not zero, or no gradient would reach the layers before.
        torch::NoGradGuard noGrad;
        if (auto bias = model_->headBias(); bias.defined()) bias.zero_();
        if (auto weight = model_->headWeight(); weight.defined()) weight.mul_(0.01);
    }
    optimizer_ = makeOptimizer(o.optimizer, *model_);
    schedule_.stepsPerEpoch = stepsPerEpoch;
    schedule_.totalSteps = stepsPerEpoch * o.epochs;
}

torch::Tensor Session::forward(const torch::Tensor& x) {
    AutocastGuard autocast(bf16_);
    return model_->forward(x).to(torch::kFloat32);
}

torch::Tensor Session::criterion(const torch::Tensor& logits, const torch::Tensor& targets) const {
    namespace F = torch::nn::functional;
    return F::cross_entropy(logits, targets,
                            F::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

void Session::prepareStep() {
    // zero_grad with set_to_none semantics (LibTorch 1.13's zero_grad() only zeroes in place).
    for (auto& group : optimizer_->param_groups())
        for (auto& p : group.params())
            if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
}

ScheduledValues Session::applySchedule() {
    const ScheduledValues v = scheduleAt(schedule_, step_);
    for (auto& group : optimizer_->param_groups()) {
        group.options().set_lr(v.lr);
        if (!v.momentum) continue;
        switch (optimizerKind_) {
            case config::OptimizerKind::Sgd:
                static_cast<torch::optim::SGDOptions&>(group.options()).momentum(*v.momentum);
                break;
            case config::OptimizerKind::Adam: {
                auto& o = static_cast<torch::optim::AdamOptions&>(group.options());
                o.betas({*v.momentum, std::get<1>(o.betas())});
                break;
            }
            case config::OptimizerKind::AdamW: {
                auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
                o.betas({*v.momentum, std::get<1>(o.betas())});
                break;
            }
        }
    }
    return v;
}

double Session::gradNorm() const {
    // One fused kernel for every parameter's norm, one reduction, one read: on the MLP's fast
    // steps the per-parameter norms were part of the engine's per-step overhead.
    std::vector<torch::Tensor> grads;
    for (const auto& p : model_->parameters())
        if (p.grad().defined()) grads.push_back(p.grad());
    if (grads.empty()) return 0;
    return torch::stack(at::_foreach_norm(grads, 2)).norm().item<double>();
}

bool Session::measuresGradNorm() const {
    const std::int64_t next = step_ + 1;
    return gradNormEvery_ > 0 && (next == 1 || next % gradNormEvery_ == 0 || gradNormAsked_);
}

std::int64_t countCorrect(const torch::Tensor& logits, const torch::Tensor& targets) {
    if (logits.dim() != 2 || targets.dim() != 1 || logits.size(1) == 0 ||
        logits.scalar_type() != torch::kFloat32 || targets.scalar_type() != torch::kInt64 ||
        !logits.device().is_cpu())
        return logits.argmax(1).eq(targets).sum().item<std::int64_t>();
    const torch::Tensor l = logits.detach().contiguous(), t = targets.contiguous();
    const std::int64_t n = l.size(0), k = l.size(1);
    const float* row = l.data_ptr<float>();
    const std::int64_t* target = t.data_ptr<std::int64_t>();
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < n; ++i, row += k) {
        std::int64_t best = 0;
        for (std::int64_t j = 1; j < k && !std::isnan(row[best]); ++j)
            if (row[j] > row[best] || std::isnan(row[j])) best = j;
        correct += best == target[i] ? 1 : 0;
    }
    return correct;
}

StepOutput Session::trainStep(const torch::Tensor& x, const torch::Tensor& y) {
    prepareStep();
    return step(x, y, applySchedule().lr);
}

StepOutput Session::trainStepAt(const torch::Tensor& x, const torch::Tensor& y, double lr) {
    prepareStep();
    for (auto& group : optimizer_->param_groups())
        group.options().set_lr(lr);
    return step(x, y, lr);
}

void Session::settleBatchNorm() {
    // BatchNorm's running statistics start at mean 0, variance 1 and move by momentum 0.1 a
    // step: after 15 steps 21% of the initial values remain, the running variances were 1.6-2.5x
    // the true ones, and evaluation sat at chance. For the first batches each layer averages
    // cumulatively (momentum 1/(n+1)), then runs as usual: a long run's statistics are the same.
    if (batchNormSettled_ || !model_->is_training()) return;
    bool settled = true;
    for (const auto& m : model_->modules(false)) {
        auto* bn = m->as<torch::nn::BatchNorm2dImpl>();
        if (bn == nullptr || !bn->num_batches_tracked.defined()) continue;
        const double n = static_cast<double>(bn->num_batches_tracked.item<std::int64_t>());
        bn->options.momentum(std::max(kBatchNormMomentum, 1.0 / (n + 1.0)));
        settled = settled && 1.0 / (n + 1.0) <= kBatchNormMomentum;
    }
    batchNormSettled_ = settled;
}

StepOutput Session::step(const torch::Tensor& x, const torch::Tensor& y, double lr) {
    // Five clock reads a step (31 ns each here): the always-on phase breakdown.
    using Clock = std::chrono::steady_clock;
    const auto seconds = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    };
    settleBatchNorm();
    StepOutput out;
    const auto t0 = Clock::now();
    PhaseRange forwardRange("forward");
    const torch::Tensor logits = forward(x);
    forwardRange.end();
    const auto t1 = Clock::now();
    PhaseRange lossRange("loss");
    const torch::Tensor loss = criterion(logits, y);
    out.lr = lr;
    out.loss = loss.item<double>();
    out.finite = std::isfinite(out.loss);
    lossRange.end();
    const auto t2 = Clock::now();
    out.forward = seconds(t0, t1);
    out.lossTime = seconds(t1, t2);
    if (sync_) {
        // Data-parallel: every rank reaches the allreduce, a rank whose loss is not finite
        // too (with no gradients), and all of them step, or none does.
        if (out.finite) {
            PhaseRange backwardRange("backward");
            loss.backward();
        }
        const auto t3 = Clock::now();
        out.backward = seconds(t2, t3);
        out.correct = countCorrect(logits, y);
        PhaseRange syncRange("allreduce");
        out.finite = sync_(out);
        syncRange.end();
        if (out.finite && measuresGradNorm()) out.gradNorm = gradNorm();
        const auto t4 = Clock::now();
        out.sync = seconds(t3, t4);
        if (out.finite) {
            PhaseRange optimizerRange("optimizer");
            optimizer_->step();
            optimizerRange.end();
            out.optimizer = seconds(t4, Clock::now());
        }
    } else {
        if (out.finite) {
            PhaseRange backwardRange("backward");
            loss.backward();
            if (measuresGradNorm()) out.gradNorm = gradNorm();
            backwardRange.end();
            const auto t3 = Clock::now();
            PhaseRange optimizerRange("optimizer");
            optimizer_->step();
            optimizerRange.end();
            out.backward = seconds(t2, t3);
            out.optimizer = seconds(t3, Clock::now());
        }
        out.correct = countCorrect(logits, y);
    }
    gradNormAsked_ = false;
    ++step_;
    return out;
}

EvalOutput Session::evaluate(const SplitData& data, Split split, bool keepPredictions,
                             std::int64_t batchSize, const std::atomic<bool>* stop,
                             std::int64_t first, std::int64_t count) {
    const bool wasTraining = model_->is_training();
    model_->eval();
    torch::NoGradGuard noGrad;
    first = std::clamp<std::int64_t>(first, 0, data.size());
    const std::int64_t n = count < 0 ? data.size() - first : std::min(count, data.size() - first);
    EvalOutput out;
    Predictions& p = out.predictions;
    const int k = static_cast<int>(model_->classes());
    if (keepPredictions) {
        p.split = split;
        p.numClasses = k;
        p.sampleIndex.assign(data.indices.data_ptr<std::int64_t>() + first,
                             data.indices.data_ptr<std::int64_t>() + first + n);
        p.target.resize(static_cast<std::size_t>(n));
        p.predicted.resize(static_cast<std::size_t>(n));
        p.confidence.resize(static_cast<std::size_t>(n));
        p.loss.resize(static_cast<std::size_t>(n));
        p.probs.resize(static_cast<std::size_t>(n * k));
    }
    double lossSum = 0;
    std::int64_t correct = 0;
    for (std::int64_t begin = 0; begin < n; begin += batchSize) {
        if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
            out.stopped = true;
            break;
        }
        const std::int64_t len = std::min(batchSize, n - begin);
        const auto x = data.slice(first + begin, len);
        const auto y = data.labels.narrow(0, first + begin, len);
        const auto logp = torch::log_softmax(forward(x), 1);
        const auto nll = -logp.gather(1, y.unsqueeze(1)).squeeze(1);
        const auto [conf, pred] = logp.max(1);
        lossSum += nll.sum().item<double>();
        correct += pred.eq(y).sum().item<std::int64_t>();
        if (!keepPredictions) continue;
        const auto probs = logp.exp().contiguous();
        const auto confP = conf.exp().contiguous();
        const auto predC = pred.to(torch::kInt32).contiguous();
        const auto yC = y.to(torch::kInt32).contiguous();
        const auto nllC = nll.contiguous();
        const auto b = static_cast<std::size_t>(begin), l = static_cast<std::size_t>(len);
        std::copy_n(probs.data_ptr<float>(), l * static_cast<std::size_t>(k),
                    p.probs.begin() + b * static_cast<std::size_t>(k));
        std::copy_n(confP.data_ptr<float>(), l, p.confidence.begin() + b);
        std::copy_n(predC.data_ptr<std::int32_t>(), l, p.predicted.begin() + b);
        std::copy_n(yC.data_ptr<std::int32_t>(), l, p.target.begin() + b);
        std::copy_n(nllC.data_ptr<float>(), l, p.loss.begin() + b);
    }
    out.lossSum = lossSum;
    out.correct = correct;
    out.count = n;
    out.loss = n > 0 && !out.stopped ? lossSum / static_cast<double>(n) : std::nan("");
    out.accuracy = n > 0 && !out.stopped ? static_cast<double>(correct) / static_cast<double>(n)
                                         : std::nan("");
    model_->train(wasTraining);
    return out;
}

void Session::write(torch::serialize::OutputArchive& archive, const CheckpointState& state) {
    torch::serialize::OutputArchive modelArchive, optimArchive;
    model_->save(modelArchive);
    optimizer_->save(optimArchive);
    archive.write("model", modelArchive);
    archive.write("optimizer", optimArchive);
    archive.write("epoch", torch::tensor(static_cast<std::int64_t>(state.epoch)));
    archive.write("step", torch::tensor(state.step));
    archive.write("schedule_step", torch::tensor(step_));
    std::vector<std::uint8_t> rng(state.rngState.begin(), state.rngState.end());
    archive.write("rng", torch::tensor(torch::ArrayRef<std::uint8_t>(rng)).clone());
    archive.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    // Added with resuming (schema v9); read only when present, so older checkpoints load.
    archive.write("position", torch::tensor(state.position));
    archive.write("order", torch::tensor(torch::ArrayRef<std::int64_t>(state.order)).clone());
    archive.write("loss_sum", torch::tensor(state.lossSum, torch::kFloat64));
    archive.write("correct", torch::tensor(state.correct));
    archive.write("seen", torch::tensor(state.seen));
    archive.write("seconds", torch::tensor(state.seconds, torch::kFloat64));
    std::vector<std::uint8_t> print(state.fingerprint.begin(), state.fingerprint.end());
    archive.write("fingerprint", torch::tensor(torch::ArrayRef<std::uint8_t>(print)).clone());
}

CheckpointState Session::read(torch::serialize::InputArchive& archive) {
    batchNormSettled_ = false;  // the loaded statistics have their own batch counts
    torch::serialize::InputArchive modelArchive, optimArchive;
    archive.read("model", modelArchive);
    archive.read("optimizer", optimArchive);
    model_->load(modelArchive);
    optimizer_->state().clear();  // a loaded state replaces the current one, not merges into it
    optimizer_->load(optimArchive);
    // A fresh tensor per field: reading into a defined tensor would set_() its storage.
    auto field = [&](const char* key) {
        torch::Tensor t;
        archive.read(key, t);
        return t;
    };
    CheckpointState s;
    s.epoch = static_cast<int>(field("epoch").item<std::int64_t>());
    s.step = field("step").item<std::int64_t>();
    step_ = field("schedule_step").item<std::int64_t>();
    const torch::Tensor rng = field("rng").contiguous();
    s.rngState.assign(reinterpret_cast<const char*>(rng.data_ptr<std::uint8_t>()),
                      static_cast<std::size_t>(rng.numel()));
    auto gen = at::detail::getDefaultCPUGenerator();
    {
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(field("torch_rng"));
    }
    auto optional = [&](const char* key) {
        c10::IValue v;
        return archive.try_read(key, v) && v.isTensor() ? v.toTensor() : torch::Tensor();
    };
    if (const auto t = optional("position"); t.defined()) {
        s.position = t.item<std::int64_t>();
        const auto order = optional("order").contiguous();
        s.order.assign(order.data_ptr<std::int64_t>(),
                       order.data_ptr<std::int64_t>() + order.numel());
        s.lossSum = optional("loss_sum").item<double>();
        s.correct = optional("correct").item<std::int64_t>();
        s.seen = optional("seen").item<std::int64_t>();
        s.seconds = optional("seconds").item<double>();
        const auto print = optional("fingerprint").contiguous();
        s.fingerprint.assign(reinterpret_cast<const char*>(print.data_ptr<std::uint8_t>()),
                             static_cast<std::size_t>(print.numel()));
    }
    return s;
}

SavedFile Session::save(const std::string& path, const CheckpointState& state) {
    torch::serialize::OutputArchive archive;
    write(archive, state);
    std::ostringstream out;
    archive.save_to(out);
    const std::string bytes = std::move(out).str();
    const SavedFile saved{crc32Of(bytes), static_cast<std::int64_t>(bytes.size())};
    writeFileAtomically(path, bytes, "checkpoint");
    return saved;
}

CheckpointState Session::load(const std::string& path) {
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
    } catch (const c10::Error& e) {
        throw EngineError("cannot read checkpoint '" + path + "': " + e.what_without_backtrace());
    }
    return read(archive);
}

std::string Session::snapshot() {
    torch::serialize::OutputArchive archive;
    write(archive, {});
    std::ostringstream out;
    archive.save_to(out);
    return std::move(out).str();
}

void Session::restore(const std::string& snapshot) {
    torch::serialize::InputArchive archive;
    std::istringstream in(snapshot);
    archive.load_from(in);
    (void)read(archive);
}

TrainBatches::TrainBatches(const Dataset& data, const TrainOptions& o, std::mt19937_64& rng)
    : train_(data.train), rng_(rng), augment_(data.isImage() ? o.augment : AugmentOptions{}) {
    const std::int64_t n = train_.size();
    batch_ = std::min<std::int64_t>(o.batchSize, n);
    stepsPerEpoch_ = std::max<std::int64_t>(1, n / std::max<std::int64_t>(1, batch_));
    augment_.background = (0.0f - data.mean) / data.stdev;
    order_.resize(static_cast<std::size_t>(n));
    if (data.text && o.data.bucketing && train_.lengths.defined()) {
        bucketing_ = true;
        const torch::Tensor l = train_.lengths.contiguous();
        lengths_.assign(l.data_ptr<std::int64_t>(), l.data_ptr<std::int64_t>() + l.numel());
    }
    if (train_.streamed())
        prefetch_ = std::make_unique<BatchPrefetcher>(train_.stream->spec, kBatchesAhead);
}

TrainBatches::~TrainBatches() = default;

void TrainBatches::shard(int worldSize, int rank) {
    world_ = std::max(1, worldSize);
    rank_ = rank;
    const std::int64_t n = train_.size();
    const std::int64_t share = (n + world_ - 1) / world_;
    batch_ = std::min(batch_, std::max<std::int64_t>(1, share));
    // Length-grouped text: whole global batches, each cut into the ranks' parts (below).
    stepsPerEpoch_ = std::max<std::int64_t>(1, bucketing_ ? n / (batch_ * world_) : share / batch_);
}

void TrainBatches::shuffle() {
    if (bucketing_) {
        // Seeded from the trainer's RNG, so a checkpoint's RNG state replays it. The one short
        // batch (the last mega-batch's remainder) goes last, where the epoch drops it, as every
        // source drops its last partial batch. Data-parallel: the groups are the job's global
        // batches and each rank takes its part of each, so every rank's batch is of one length
        // group (dealing every W-th sample instead mixed W groups: 25% padding, not 12%) and the
        // job trains on the batches one process of the global batch would.
        const std::int64_t global = batch_ * world_;
        const auto batches = text::lengthGroupedBatches(lengths_, global, rng_(), 0);
        order_.clear();
        for (const bool full : {true, false})
            for (const auto& b : batches)
                if ((static_cast<std::int64_t>(b.size()) == global) == full) {
                    if (world_ == 1 || !full) {
                        if (world_ == 1) order_.insert(order_.end(), b.begin(), b.end());
                        continue;
                    }
                    const auto part = b.begin() + rank_ * batch_;
                    order_.insert(order_.end(), part, part + batch_);
                }
        while (world_ > 1 && static_cast<std::int64_t>(order_.size()) < stepsPerEpoch_ * batch_)
            order_.push_back(order_[order_.size() % static_cast<std::size_t>(batch_)]);
    } else {
        order_.resize(static_cast<std::size_t>(train_.size()));  // a shard's was shorter
        std::iota(order_.begin(), order_.end(), 0);
        std::shuffle(order_.begin(), order_.end(), rng_);
    }
    if (world_ > 1 && !bucketing_) order_ = dist::trainShard(order_, world_, rank_);
    perm_ =
        torch::from_blob(order_.data(), {static_cast<std::int64_t>(order_.size())}, torch::kInt64);
    if (prefetch_) prefetch_->start(fileBatches());
}

std::vector<std::vector<std::size_t>> TrainBatches::fileBatches() const {
    std::vector<std::vector<std::size_t>> batches(static_cast<std::size_t>(stepsPerEpoch_));
    for (std::size_t s = 0; s < batches.size(); ++s)
        for (std::int64_t i = 0; i < batch_; ++i)
            batches[s].push_back(train_.files[static_cast<std::size_t>(
                order_[s * static_cast<std::size_t>(batch_) + static_cast<std::size_t>(i)])]);
    return batches;
}

void TrainBatches::resume(std::vector<std::int64_t> order, std::int64_t position) {
    if (static_cast<std::int64_t>(order.size()) != train_.size())
        throw EngineError("the checkpoint's order has " + std::to_string(order.size()) +
                          " training samples, the data has " + std::to_string(train_.size()));
    order_ = std::move(order);
    perm_ =
        torch::from_blob(order_.data(), {static_cast<std::int64_t>(order_.size())}, torch::kInt64);
    if (prefetch_) prefetch_->start(fileBatches(), static_cast<std::size_t>(position));
}

std::pair<torch::Tensor, torch::Tensor> TrainBatches::get(std::int64_t s) {
    if (fetchHook_) fetchHook_();
    if (!perm_.defined()) shuffle();
    const torch::Tensor idx = perm_.narrow(0, s * batch_, batch_);
    torch::Tensor x;
    if (prefetch_) {
        const auto& spec = train_.stream->spec;
        auto pixels = std::make_shared<std::vector<std::uint8_t>>(
            prefetch_->take(static_cast<std::size_t>(s)));
        x = train_.normalize(torch::from_blob(
            pixels->data(), {batch_, spec.channels, spec.size, spec.size}, [pixels](void*) {},
            torch::kUInt8));
    } else {
        x = train_.batch(idx);
    }
    if (train_.lengths.defined()) {
        lastTokens_ = train_.lengths.index_select(0, idx).sum().item<std::int64_t>();
        lastPadded_ = x.size(0) * x.size(1);
    }
    if (augment_.enabled()) x = augmentBatch(x, augment_, rng_);
    return {std::move(x), train_.labels.index_select(0, idx)};
}

}  // namespace runboard::engine
