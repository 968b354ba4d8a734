#pragma once
// One model with its optimizer and schedule: the building blocks the trainer loops over. Each
// piece is public so that later checks (one-batch overfit, gradient accumulation) and the LR
// finder reuse exactly the trainer's own step. Include only in Torch translation units.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/dataset.h"
#include "engine/models.h"
#include "engine/observer.h"
#include "engine/schedule.h"

namespace runboard::engine {

struct StepOutput {
    double loss = 0;  // detached: a plain double, never a tensor holding the graph
    double gradNorm = 0;
    std::int64_t correct = 0;
    double lr = 0;  // the learning rate this step used
    bool finite = true;
};

struct EvalOutput {
    double loss = 0;  // mean cross-entropy without label smoothing
    double accuracy = 0;
    Predictions predictions;  // filled when asked for
};

struct CheckpointState {
    int epoch = 0;
    std::int64_t step = 0;
    std::string rngState;  // the trainer's shuffling/augmentation RNG
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

class Session {
public:
    Session(const config::Config& config, int numClasses, std::int64_t stepsPerEpoch);

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
    // prepareStep, schedule, forward, loss, backward, optimizer step. A non-finite loss skips the
    // optimizer step and reports finite = false.
    StepOutput trainStep(const torch::Tensor& x, const torch::Tensor& y);
    // eval() mode and NoGradGuard; restores the previous mode afterwards.
    EvalOutput evaluate(const SplitData& data, Split split, bool keepPredictions,
                        std::int64_t batchSize);

    // Model, optimizer, schedule step and RNG state; written atomically (temp file + rename).
    void save(const std::string& path, const CheckpointState& state);
    CheckpointState load(const std::string& path);

private:
    std::shared_ptr<ClassifierImpl> model_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    std::string optimizerName_;
    ScheduleOptions schedule_;
    double labelSmoothing_ = 0;
    bool bf16_ = false;
    std::int64_t step_ = 0;
};

}  // namespace runboard::engine
