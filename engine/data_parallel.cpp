#include "engine/data_parallel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "engine/dist/shard.h"
#include "engine/errors.h"

namespace runboard::engine {

namespace {

// The extras each step's allreduce carries after the gradients, then one time per rank.
enum Extra : std::size_t { kLoss, kCorrect, kNonFinite, kStop, kRankTimes };

}  // namespace

DataParallel::DataParallel(const TrainOptions& train, const DistOptions& options)
    : options_(options) {
    if (!options.launch)
        throw EngineError(fmt::format(
            "ddp.world_size is {}: start the run with runboard train --nproc {} (this machine), "
            "or one process per rank with --world-size, --rank, --master-addr and --master-port "
            "(or torchrun's variables)",
            train.worldSize, train.worldSize));
    if (options.launch->worldSize != train.worldSize)
        throw EngineError(fmt::format("ddp.world_size is {} but the job has {} processes",
                                      train.worldSize, options.launch->worldSize));
    const auto timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(train.ddpTimeoutSeconds * 1000));
    group_ = DistGroup::join(*options.launch, timeout, options.onListening, options.ranksGone);
    rank_ = group_->rank();
    world_ = group_->worldSize();
    rankSeconds_.assign(static_cast<std::size_t>(world_), 0.0);
}

void DataParallel::verify(const std::string& config, std::int64_t trainSize,
                          std::int64_t numClasses) {
    const std::uint64_t h = std::hash<std::string>{}(config);
    const std::vector<double> mine{static_cast<double>(h & 0xffffffffu),
                                   static_cast<double>(h >> 32), static_cast<double>(trainSize),
                                   static_cast<double>(numClasses)};
    auto rank0 = torch::tensor(mine, torch::kFloat64);
    group_->broadcast({rank0});
    const auto* r0 = rank0.data_ptr<double>();
    std::string differs;
    if (r0[0] != mine[0] || r0[1] != mine[1])
        differs =
            "its config differs from rank 0's (every rank must be given the same config; "
            "only threads and ddp.timeout may differ)";
    else if (r0[2] != mine[2] || r0[3] != mine[3])
        differs = fmt::format(
            "its data has {} training samples in {} classes, rank 0's {} in {} (every rank must "
            "read the same data)",
            trainSize, numClasses, static_cast<std::int64_t>(r0[2]),
            static_cast<std::int64_t>(r0[3]));
    const auto count = group_->sum({differs.empty() ? 0.0 : 1.0});
    if (!differs.empty())
        throw EngineError("data-parallel rank " + std::to_string(rank_) + ": " + differs);
    if (count[0] > 0)
        throw EngineError(
            fmt::format("data-parallel: {} rank(s) have another config or data "
                        "than this one",
                        count[0]));
}

void DataParallel::broadcast(ClassifierImpl& model) {
    std::vector<at::Tensor> state = model.parameters();
    for (const auto& b : model.buffers())
        state.push_back(b);
    torch::NoGradGuard noGrad;
    group_->broadcast(state);
}

void DataParallel::attach(Session& session, const std::atomic<bool>* stop) {
    for (const auto& p : session.model().parameters())
        if (p.requires_grad()) parameters_.push_back(p);
    session.setGradientSync([this, stop](StepOutput& out) {
        const auto w = static_cast<std::size_t>(world_);
        std::vector<double> extras(kRankTimes + w, 0.0);
        extras[kLoss] = out.finite ? out.loss : 0.0;
        extras[kCorrect] = static_cast<double>(out.correct);
        extras[kNonFinite] = out.finite ? 0.0 : 1.0;
        extras[kStop] = stop != nullptr && stop->load(std::memory_order_relaxed) ? 1.0 : 0.0;
        extras[kRankTimes + static_cast<std::size_t>(rank_)] =
            std::chrono::duration<double>(Clock::now() - stepStart_).count();
        group_->averageGradients(parameters_, 25 << 20, &extras);
        const bool finite = extras[kNonFinite] == 0.0;
        if (finite) out.loss = extras[kLoss] / static_cast<double>(world_);
        out.finite = finite;
        out.correct = std::llround(extras[kCorrect]);
        stopAgreed_ = extras[kStop] > 0.0;
        for (std::size_t r = 0; r < w; ++r)
            rankSeconds_[r] += extras[kRankTimes + r];
        ++steps_;
        return finite;
    });
}

std::vector<double> DataParallel::takeRankSeconds() {
    std::vector<double> out = rankSeconds_;
    for (auto& s : out)
        s = steps_ > 0 ? s / static_cast<double>(steps_) : std::nan("");
    std::fill(rankSeconds_.begin(), rankSeconds_.end(), 0.0);
    steps_ = 0;
    return out;
}

EvalOutput DataParallel::evaluate(Session& session, const SplitData& data, Split split,
                                  bool keepPredictions, std::int64_t batchSize,
                                  const std::atomic<bool>* stop) {
    const std::int64_t n = data.size();
    const dist::Span span = dist::evalShard(n, world_, rank_);
    EvalOutput mine =
        session.evaluate(data, split, keepPredictions, batchSize, stop, span.begin, span.size());
    const auto sums =
        group_->sum({mine.lossSum, static_cast<double>(mine.correct), mine.stopped ? 1.0 : 0.0});
    EvalOutput out;
    out.stopped = sums[2] > 0;
    out.lossSum = sums[0];
    out.correct = std::llround(sums[1]);
    out.count = n;
    const bool valid = n > 0 && !out.stopped;
    out.loss = valid ? out.lossSum / static_cast<double>(n) : std::nan("");
    out.accuracy = valid ? static_cast<double>(out.correct) / static_cast<double>(n) : std::nan("");
    if (keepPredictions && !out.stopped)
        out.predictions = gatherPredictions(mine.predictions, data, split,
                                            static_cast<int>(session.model().classes()));
    return out;
}

Predictions DataParallel::gatherPredictions(const Predictions& mine, const SplitData& data,
                                            Split split, int numClasses) {
    // One float32 row a sample: predicted class, confidence, loss, then the probabilities; every
    // rank's block padded to rank 0's share (the largest), as a gather wants equal shapes.
    const std::int64_t n = data.size();
    const std::int64_t k = numClasses, width = 3 + k;
    const std::int64_t rows = dist::evalShard(n, world_, 0).size();
    auto block = torch::zeros({rows, width}, torch::kFloat32);
    auto* b = block.data_ptr<float>();
    for (std::size_t i = 0; i < mine.size(); ++i) {
        float* row = b + static_cast<std::int64_t>(i) * width;
        row[0] = static_cast<float>(mine.predicted[i]);
        row[1] = mine.confidence[i];
        row[2] = mine.loss[i];
        std::copy_n(mine.probs.begin() + static_cast<std::ptrdiff_t>(i) * k, k, row + 3);
    }
    const std::vector<at::Tensor> blocks = group_->gather(block);
    Predictions all;
    if (rank_ != 0) return all;
    all.split = split;
    all.numClasses = numClasses;
    const auto indices = data.indices.contiguous();
    const auto labels = data.labels.to(torch::kInt32).contiguous();
    all.sampleIndex.assign(indices.data_ptr<std::int64_t>(), indices.data_ptr<std::int64_t>() + n);
    all.target.assign(labels.data_ptr<std::int32_t>(), labels.data_ptr<std::int32_t>() + n);
    all.predicted.reserve(static_cast<std::size_t>(n));
    all.confidence.reserve(static_cast<std::size_t>(n));
    all.loss.reserve(static_cast<std::size_t>(n));
    all.probs.reserve(static_cast<std::size_t>(n * k));
    for (int r = 0; r < world_; ++r) {
        const std::int64_t size = dist::evalShard(n, world_, r).size();
        const float* from = blocks[static_cast<std::size_t>(r)].data_ptr<float>();
        for (std::int64_t i = 0; i < size; ++i) {
            const float* row = from + i * width;
            all.predicted.push_back(static_cast<std::int32_t>(row[0]));
            all.confidence.push_back(row[1]);
            all.loss.push_back(row[2]);
            all.probs.insert(all.probs.end(), row + 3, row + width);
        }
    }
    return all;
}

std::string DataParallel::fail(const std::string& message) noexcept {
    std::string why = message;
    try {
        if (group_ && rank_ != 0) {
            group_->reportFailure(message);
        } else if (group_) {
            // Another rank's own words beat Gloo's "connection closed" here; a rank that died
            // without a word is named by whoever started it (the --nproc launcher).
            const auto reports = group_->failureReports(std::chrono::milliseconds(500));
            std::string cause = fmt::format("{}", fmt::join(reports, "; "));
            if (cause.empty() && options_.explainFailure) cause = options_.explainFailure();
            if (!cause.empty()) why = "data-parallel " + cause + " (rank 0 then: " + message + ")";
        }
    } catch (...) {  // keep the message we have
    }
    group_.reset();
    return why;
}

}  // namespace runboard::engine
