#pragma once
// One model with its optimizer and schedule: the building blocks the trainer loops over. Each
// piece is public so that later checks (one-batch overfit, gradient accumulation) and the LR
// finder reuse exactly the trainer's own step. Include only in Torch translation units.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "engine/augment.h"
#include "engine/dataset.h"
#include "engine/models.h"
#include "engine/observer.h"
#include "engine/schedule.h"
#include "engine/train_options.h"

namespace runboard::engine {

struct StepOutput {
    double loss = 0;  // detached: a plain double, never a tensor holding the graph
    // The global L2 norm of the gradients, on the steps the config's log.grad_norm_every picks:
    // every step it cost the MLP 4% of its step time (one more pass over every gradient).
    std::optional<double> gradNorm;
    std::int64_t correct = 0;  // right answers in the batch (the train accuracy's count)
    double lr = 0;             // the learning rate this step used
    bool finite = true;
    // Seconds of this step's forward pass, loss (with reading it), backward pass (with the
    // gradient norm) and optimizer step; the trainer adds the rest (StepPhases).
    double forward = 0, lossTime = 0, backward = 0, optimizer = 0;
    double sync = 0;  // data-parallel: the gradient allreduce (Session::setGradientSync)
};

// The batch's right answers: argmax(logits, 1) == targets, counted. CPU float logits are read
// directly, because argmax, eq and sum were three more parallel kernels a step: 1-2% of the MLP's
// step time for 128x10 numbers. Ties go to the first class and a NaN wins, as in torch's argmax.
std::int64_t countCorrect(const torch::Tensor& logits, const torch::Tensor& targets);

struct EvalOutput {
    double loss = 0;  // mean cross-entropy without label smoothing
    double accuracy = 0;
    // The sums behind them, over the samples evaluated: a data-parallel evaluation adds each
    // rank's share, so that its accuracy is one process's exactly.
    double lossSum = 0;
    std::int64_t correct = 0, count = 0;
    Predictions predictions;  // filled when asked for
    bool stopped = false;     // a stop request ended it early: loss and accuracy are NaN
};

// Everything the next training step depends on, beyond the model and optimizer: a run resumed
// from it continues bit for bit as if it had never stopped (engine/resume.h).
struct CheckpointState {
    int epoch = 0;          // epochs complete
    std::int64_t step = 0;  // global steps taken
    std::string rngState;   // the trainer's shuffling/augmentation RNG, after the last step
    // Inside epoch + 1: the steps of it already taken (0 at an epoch's end), the epoch's order
    // of training samples, and its running sums for the epoch's train loss and accuracy.
    std::int64_t position = 0;
    std::vector<std::int64_t> order;
    double lossSum = 0;
    std::int64_t correct = 0, seen = 0;
    double seconds = 0;       // of training before this checkpoint (wall clock)
    std::string fingerprint;  // the config and data it trained on (engine/resume.h)
};

// What a checkpoint file holds, for its record: its size and CRC-32 (engine/data/checksum.h).
struct SavedFile {
    std::uint32_t crc32 = 0;
    std::int64_t bytes = 0;
};

// bf16 autocast for the forward pass; the cache of cast weights is cleared on exit, as Python's
// torch.autocast does, so updated weights are never served stale.
class AutocastGuard {
public:
    explicit AutocastGuard(bool enabled);
    ~AutocastGuard();
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;

private:
    bool enabled_;
    bool previous_ = false;
};

// The training batches, as the trainer draws them: each epoch a shuffled order from the given RNG,
// the last partial batch dropped, augmented as the config says (with the same RNG).
class TrainBatches {
public:
    TrainBatches(const Dataset& data, const TrainOptions& options, std::mt19937_64& rng);
    ~TrainBatches();

    std::int64_t batchSize() const { return batch_; }
    std::int64_t stepsPerEpoch() const { return stepsPerEpoch_; }
    // Data-parallel: this rank trains on its share of each epoch's order, as PyTorch's
    // DistributedSampler deals it (engine/dist/shard.h): every W-th sample from the rank's,
    // padded to ceil(n / W) with the order's first samples. Before the first shuffle.
    void shard(int worldSize, int rank);
    // A new epoch: a new order.
    void shuffle();
    // The current epoch's order (a checkpoint keeps it), and a saved one to continue from
    // `position` (a resumed run).
    const std::vector<std::int64_t>& order() const { return order_; }
    void resume(std::vector<std::int64_t> order, std::int64_t position);
    // The s-th batch of the current order (0 <= s < stepsPerEpoch()): images, labels. A
    // streamed folder's batches are decoded ahead by data.workers threads, kBatchesAhead at most:
    // asked for in order, get() rarely waits.
    std::pair<torch::Tensor, torch::Tensor> get(std::int64_t s);
    // Text: the last get()'s tokens and its padded size (batch x longest): the padding share.
    std::int64_t lastTokens() const { return lastTokens_; }
    std::int64_t lastPadded() const { return lastPadded_; }
    // Called inside each get(): the tests' planted slow loader (TrainerOptions::fetchHook).
    void setFetchHook(std::function<void()> hook) { fetchHook_ = std::move(hook); }

    static constexpr std::size_t kBatchesAhead = 4;

private:
    // Each step's files, in the current order (a streamed folder's prefetcher decodes them).
    std::vector<std::vector<std::size_t>> fileBatches() const;
    const SplitData& train_;
    std::unique_ptr<BatchPrefetcher> prefetch_;
    std::mt19937_64& rng_;
    AugmentOptions augment_;
    std::int64_t batch_ = 0, stepsPerEpoch_ = 0;
    int world_ = 1, rank_ = 0;
    std::vector<std::int64_t> order_;
    torch::Tensor perm_;
    std::function<void()> fetchHook_;
    // Text with data.bucketing: each sample's tokens, for length-grouped batches.
    bool bucketing_ = false;
    std::vector<std::int64_t> lengths_;
    std::int64_t lastTokens_ = 0, lastPadded_ = 0;
};

class Session {
public:
    // A built-in model (options.model) for samples of the given shape.
    Session(const TrainOptions& options, int numClasses, std::int64_t stepsPerEpoch,
            const SampleShape& shape = kFashionMnistShape);
    // With a given model (the checks' planted bugs); the options' head initialisation applies.
    Session(const TrainOptions& options, std::shared_ptr<ClassifierImpl> model,
            std::int64_t stepsPerEpoch);

    ClassifierImpl& model() { return *model_; }
    std::shared_ptr<ClassifierImpl> modelPtr() { return model_; }
    torch::optim::Optimizer& optimizer() { return *optimizer_; }
    bool bf16() const { return bf16_; }
    std::int64_t step() const { return step_; }
    const ScheduleOptions& schedule() const { return schedule_; }

    // Logits in float32, under autocast when bf16 is on.
    torch::Tensor forward(const torch::Tensor& x);
    // The training criterion: cross-entropy with the config's label smoothing.
    torch::Tensor criterion(const torch::Tensor& logits, const torch::Tensor& targets) const;
    // Clears gradients (to None) before every step: no accumulation across steps.
    void prepareStep();
    // Sets lr (and momentum, for onecycle) for the current step.
    ScheduledValues applySchedule();
    double gradNorm() const;
    // Whether the step about to be taken reports its gradient norm: the first, every N-th, and
    // one asked for (unless N is 0: never).
    bool measuresGradNorm() const;
    // The next step reports its gradient norm: the trainer asks for each epoch's last step, so
    // the latest value is the run's last step whatever N is (two runs that differ only in N
    // compare equal).
    void measureGradNormNextStep() { gradNormAsked_ = true; }
    // prepareStep, schedule, forward, loss, backward, optimizer step. A non-finite loss skips the
    // optimizer step and reports finite = false.
    StepOutput trainStep(const torch::Tensor& x, const torch::Tensor& y);
    // The same step at a given learning rate instead of the schedule's (the LR finder's).
    StepOutput trainStepAt(const torch::Tensor& x, const torch::Tensor& y, double lr);
    // eval() mode and NoGradGuard; restores the previous mode afterwards. A stop request is
    // honoured between batches (a test pass over 10k samples takes seconds to minutes).
    // `first` and `count` pick a contiguous share of the samples (count < 0: to the end).
    EvalOutput evaluate(const SplitData& data, Split split, bool keepPredictions,
                        std::int64_t batchSize, const std::atomic<bool>* stop = nullptr,
                        std::int64_t first = 0, std::int64_t count = -1);
    // Data-parallel: runs after each step's backward pass (also after a non-finite loss, which
    // has no gradients) and before the optimizer step, which is taken only when it returns true.
    // It averages the gradients over the ranks and may replace the step's loss and count by the
    // job's (engine/data_parallel.h).
    using GradientSync = std::function<bool(StepOutput&)>;
    void setGradientSync(GradientSync sync) { sync_ = std::move(sync); }

    // Model, optimizer, schedule step and RNG state; written atomically (temp file, fsync,
    // rename). The archive is built in memory first: LibTorch's file writer finishes the file in
    // its destructor and throws from there on a full disk, which is std::terminate. Throws
    // OutputError naming the file and the cause; the temporary file is removed.
    SavedFile save(const std::string& path, const CheckpointState& state);
    CheckpointState load(const std::string& path);
    // The same state in memory (and the torch RNG), to put back after a trial such as an LR
    // sweep: the optimizer's state is cleared before it is restored, so nothing of the trial
    // stays.
    std::string snapshot();
    void restore(const std::string& snapshot);

private:
    static constexpr double kBatchNormMomentum = 0.1;  // PyTorch's default
    StepOutput step(const torch::Tensor& x, const torch::Tensor& y, double lr);
    void settleBatchNorm();
    void write(torch::serialize::OutputArchive& archive, const CheckpointState& state);
    CheckpointState read(torch::serialize::InputArchive& archive);

    std::shared_ptr<ClassifierImpl> model_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    config::OptimizerKind optimizerKind_ = config::OptimizerKind::Sgd;
    ScheduleOptions schedule_;
    double labelSmoothing_ = 0;
    std::int64_t gradNormEvery_ = 0;
    bool gradNormAsked_ = false;
    bool bf16_ = false;
    std::int64_t step_ = 0;
    bool batchNormSettled_ = false;
    GradientSync sync_;
};

}  // namespace runboard::engine
