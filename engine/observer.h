#pragma once
// What the engine reports while it trains: plain value structs, no Torch, no Qt, so that they can
// be copied across threads (the GUI's queued signals) or written to storage by the app.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/names.h"
#include "engine/profile/cost.h"
#include "engine/profile/profile.h"

namespace runboard::engine {

struct RunInfo {
    std::int64_t trainSize = 0, valSize = 0, testSize = 0;
    std::int64_t stepsPerEpoch = 0, totalSteps = 0;
    int epochs = 0;
    int numClasses = 0;
    std::vector<std::string> classNames;
    std::string sourceName;  // tables and text: Dataset::sourceName (empty for the others)
    std::string precision;   // the resolved one: fp32 | bf16
    int threads = 0;         // each process's
    int worldSize = 1;       // data-parallel processes; the global batch is batch x worldSize
    std::int64_t parameters = 0;
    // A resumed run: the step it continues after (its first StepEvent is the next one), and how
    // many epochs were complete then. 0 for a run from the start.
    std::int64_t resumedAtStep = 0;
    int resumedAtEpoch = 0;
};

struct StepEvent {
    std::int64_t step = 0;  // 1-based global step
    int epoch = 0;          // 1-based
    double loss = 0;        // detached
    double lr = 0;
    std::optional<double> gradNorm;  // on step 1 and every log.grad_norm_every-th step
    double samplesPerSecond = 0;
    // Text: the share of pad tokens in the batch and the real tokens per second; else empty.
    std::optional<double> padding, tokensPerSecond;
};

// Where training steps' wall time went, in seconds: waiting for the batch, forward pass, loss,
// backward pass (with the gradient norm when measured), optimizer step, the observers (logging,
// checkpoints) and the rest (the schedule, zeroing gradients, counting right answers). `other`
// is the step's wall time less the others, so the parts add up to it exactly.
struct StepPhases {
    // allreduce: data-parallel only, the gradient average (and the rank waiting for the others).
    double data = 0, forward = 0, loss = 0, backward = 0, allreduce = 0, optimizer = 0,
           observer = 0, other = 0;
    double total() const {
        return data + forward + loss + backward + allreduce + optimizer + observer + other;
    }
    StepPhases& operator+=(const StepPhases& o);
    StepPhases operator/(double n) const;
};

struct EpochEvent {
    int epoch = 0;
    std::int64_t step = 0;
    double trainLoss = 0, trainAccuracy = 0;
    double valLoss = 0, valAccuracy = 0;  // NaN when there is no validation part
    double seconds = 0;                   // since the run started
    // The mean step of this epoch's steps (those this process took: a resumed epoch's), the
    // validation pass's seconds, and the process's peak resident memory so far.
    StepPhases stepPhases;
    double evalSeconds = 0;
    double peakRssMb = 0;
    // Data-parallel: each rank's mean seconds a step until the allreduce (rank order), so a
    // straggler shows; empty for one process.
    std::vector<double> rankStepSeconds;
};

enum class Split { Train, Val, Test };
inline constexpr auto kSplitNames =
    config::nameTable<Split>({{Split::Train, "train"}, {Split::Val, "val"}, {Split::Test, "test"}});
// The names are literals, so the pointer is null-terminated and lives forever.
inline const char* splitName(Split split) {
    return kSplitNames.name(split).data();
}

// Every prediction of one evaluation, in the order of `sampleIndex`.
struct Predictions {
    Split split = Split::Val;
    int epoch = 0;
    std::int64_t step = 0;
    int numClasses = 0;
    std::vector<std::int64_t> sampleIndex;  // index in the original dataset file
    std::vector<std::int32_t> target, predicted;
    std::vector<float> confidence, loss;
    std::vector<float> probs;  // row-major, size() * numClasses
    std::size_t size() const { return sampleIndex.size(); }
};

struct CheckpointEvent {
    int epoch = 0;          // epochs complete (a checkpoint within an epoch is inside epoch + 1)
    std::int64_t step = 0;  // steps taken
    std::string path;
    std::uint32_t crc32 = 0;  // of the file's bytes (engine/data/checksum.h)
    std::int64_t bytes = 0;
    // Older checkpoints to delete to keep the last few. `path` is on disk when the event is
    // made; the files in `removed` are deleted only after onCheckpoint returns, so an observer
    // that records checkpoints confirms the new one (and may throw) while the old ones still exist.
    std::vector<std::string> removed;
};

// The model's cost per layer and the machine's limit, once after onStart: with the batch size and
// precision, a run's achieved GFLOP/s is its training FLOPs per step over its step time.
struct CostEvent {
    profile::ModelCost cost;
    profile::MachinePeak peak;
    std::int64_t batchSize = 0;
    std::string precision;  // fp32 | bf16
};

enum class Outcome { Finished, Stopped, Diverged };

struct RunResult {
    Outcome outcome = Outcome::Finished;
    std::string message;
    std::int64_t steps = 0;
    int epochs = 0;
    double seconds = 0;
    double testLoss = 0, testAccuracy = 0;  // NaN unless finished
};

// Callbacks are made on the training thread; implementations must be quick (queue, don't wait).
class Observer {
public:
    virtual ~Observer() = default;
    virtual void onStart(const RunInfo&) {}
    virtual void onStep(const StepEvent&) {}
    virtual void onEpoch(const EpochEvent&) {}
    virtual void onPredictions(const Predictions&) {}
    virtual void onCheckpoint(const CheckpointEvent&) {}
    virtual void onCost(const CostEvent&) {}
    // An op profiler window (profile.steps, or a request), once its last step is done.
    virtual void onProfile(const profile::Window&) {}
    virtual void onFinish(const RunResult&) {}
};

inline StepPhases& StepPhases::operator+=(const StepPhases& o) {
    data += o.data, forward += o.forward, loss += o.loss, backward += o.backward;
    allreduce += o.allreduce, optimizer += o.optimizer, observer += o.observer, other += o.other;
    return *this;
}

inline StepPhases StepPhases::operator/(double n) const {
    return {data / n,      forward / n,   loss / n,     backward / n,
            allreduce / n, optimizer / n, observer / n, other / n};
}

}  // namespace runboard::engine

namespace runboard::engine {

// Forwards every event to several observers, in order.
class ObserverList : public Observer {
public:
    explicit ObserverList(std::vector<Observer*> observers) : observers_(std::move(observers)) {}
    void onStart(const RunInfo& e) override {
        each([&](Observer& o) { o.onStart(e); });
    }
    void onStep(const StepEvent& e) override {
        each([&](Observer& o) { o.onStep(e); });
    }
    void onEpoch(const EpochEvent& e) override {
        each([&](Observer& o) { o.onEpoch(e); });
    }
    void onPredictions(const Predictions& e) override {
        each([&](Observer& o) { o.onPredictions(e); });
    }
    void onCheckpoint(const CheckpointEvent& e) override {
        each([&](Observer& o) { o.onCheckpoint(e); });
    }
    void onCost(const CostEvent& e) override {
        each([&](Observer& o) { o.onCost(e); });
    }
    void onProfile(const profile::Window& e) override {
        each([&](Observer& o) { o.onProfile(e); });
    }
    void onFinish(const RunResult& e) override {
        each([&](Observer& o) { o.onFinish(e); });
    }

private:
    template <class F>
    void each(F&& f) {
        for (Observer* o : observers_)
            f(*o);
    }
    std::vector<Observer*> observers_;
};

}  // namespace runboard::engine
