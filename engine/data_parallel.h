#pragma once
// What the trainer does differently when ddp.world_size > 1 (issue 19), in one place: PyTorch
// DDP's semantics over engine/dist_group's collectives.
//
// - At the start rank 0's parameters and buffers are copied to every rank.
// - Each step, after backward, the gradients are averaged over the ranks in buckets, and the
//   same allreduce carries the step's loss, right answers, non-finite count, stop flag and each
//   rank's time to that point: every rank sees the job's loss, all step or none does (a NaN on
//   one rank diverges the run on all), and a stop asked of any rank ends every rank after the
//   same step. One extra allreduce a step would cost about 0.1 ms on loopback.
// - Evaluation is sharded contiguously with no padding (dist::evalShard) and its loss sums and
//   counts are added, so accuracy equals one process's on the same weights exactly; rank 0
//   gathers every prediction and alone reports them (each stored once).
// - BatchNorm's running statistics stay each rank's, as in DDP; rank 0's are evaluated (and
//   saved).
//
// Include only in Torch translation units (engine/trainer.cpp).

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/dist_group.h"
#include "engine/session.h"
#include "engine/trainer.h"

namespace runboard::engine {

class DataParallel {
public:
    // Joins the job (EngineError when a rank does not come within ddp.timeout).
    DataParallel(const TrainOptions& train, const DistOptions& options);

    int rank() const { return rank_; }
    int worldSize() const { return world_; }

    // Every rank must train the same config on the same data: each compares its own with rank
    // 0's (`config`: the config's text without the keys that may differ per rank) before any
    // collective whose size depends on them, and a mismatch fails the run on every rank, in
    // words, instead of Gloo aborting the process on a size mismatch.
    void verify(const std::string& config, std::int64_t trainSize, std::int64_t numClasses);
    // DDP's start: rank 0's parameters and buffers on every rank.
    void broadcast(ClassifierImpl& model);
    // Installs the per-step allreduce on `session` (Session::setGradientSync); `stop` is this
    // rank's own stop flag.
    void attach(Session& session, const std::atomic<bool>* stop);
    // The start of a step, for the per-rank time the allreduce carries.
    void beginStep() { stepStart_ = Clock::now(); }
    // Whether any rank asked to stop, as of the last step's allreduce.
    bool stopAgreed() const { return stopAgreed_; }
    // Each rank's mean seconds a step until its allreduce (a straggler's are the longest), and
    // the mean allreduce seconds here, over the steps since the last call.
    std::vector<double> takeRankSeconds();

    // A sharded evaluation with the job's loss and accuracy; rank 0's predictions are every
    // rank's (the others' are empty). A stop asked of any rank stops every rank's.
    EvalOutput evaluate(Session& session, const SplitData& data, Split split, bool keepPredictions,
                        std::int64_t batchSize, const std::atomic<bool>* stop);

    // After an exception on this rank: says why to rank 0 (another rank), or, on rank 0, finds
    // which rank failed first (its own report, or DistOptions::explainFailure). Then leaves the
    // job, so the other ranks' next collective fails at once instead of after the timeout.
    // Returns the message to fail the run with.
    std::string fail(const std::string& message) noexcept;

private:
    using Clock = std::chrono::steady_clock;
    Predictions gatherPredictions(const Predictions& mine, const SplitData& data, Split split,
                                  int numClasses);

    DistOptions options_;
    std::unique_ptr<DistGroup> group_;
    int rank_ = 0, world_ = 1;
    std::vector<at::Tensor> parameters_;
    Clock::time_point stepStart_ = Clock::now();
    bool stopAgreed_ = false;
    std::vector<double> rankSeconds_;
    std::int64_t steps_ = 0;
};

}  // namespace runboard::engine
