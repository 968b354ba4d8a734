#pragma once
// Writes what the engine reports into the run store, through the batched writer: the training
// thread only appends to the writer's queue.

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

#include "engine/observer.h"
#include "storage/writer.h"

namespace runboard::app {

// Thrown from an observer callback when the writer has failed for good (a full disk, the run
// deleted under it): training stops at once instead of computing what cannot be stored.
struct StoreFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class RunRecorder : public engine::Observer {
public:
    // `stop`: the run's stop flag; a checkpoint's flush waits for a busy database only until it
    // is set (then for the writer's stop grace), so a stop request always ends the run.
    RunRecorder(storage::Writer& writer, std::int64_t runId,
                const std::atomic<bool>* stop = nullptr);

    void onStep(const engine::StepEvent& e) override;
    void onEpoch(const engine::EpochEvent& e) override;
    void onPredictions(const engine::Predictions& p) override;
    void onCheckpoint(const engine::CheckpointEvent& e) override;
    void onFinish(const engine::RunResult& r) override;

private:
    double now() const;
    void log(storage::KeyHandle key, std::int64_t step, double value);
    void throwIfFailed() const;

    storage::Writer& writer_;
    std::int64_t runId_;
    const std::atomic<bool>* stop_;
    std::int64_t lastStep_ = 0;
    storage::KeyHandle trainLoss_, trainLr_, gradNorm_, samplesPerSecond_, trainAccuracy_,
        trainEpochLoss_, valLoss_, valAccuracy_, epoch_, testLoss_, testAccuracy_, padding_,
        tokensPerSecond_;  // text only
    // The epoch's mean step by phase (ms), its validation (s) and the peak RSS (MB).
    std::array<storage::KeyHandle, 10> timing_;
    // Data-parallel only: the allreduce phase (ms) and each rank's step until it (ms,
    // "time/rank<R>"), keyed at the first epoch that has them.
    std::optional<storage::KeyHandle> allreduce_;
    std::vector<storage::KeyHandle> rankTimes_;
};

}  // namespace runboard::app
