#include "app/core/recorder.h"

#include <array>
#include <span>

namespace runboard::app {

RunRecorder::RunRecorder(storage::Writer& writer, std::int64_t runId, const std::atomic<bool>* stop)
    : writer_(writer),
      runId_(runId),
      stop_(stop),
      trainLoss_(writer.key("train/loss")),
      trainLr_(writer.key("train/lr")),
      gradNorm_(writer.key("train/grad_norm")),
      samplesPerSecond_(writer.key("train/samples_per_s")),
      trainAccuracy_(writer.key("train/accuracy")),
      trainEpochLoss_(writer.key("train/epoch_loss")),
      valLoss_(writer.key("val/loss")),
      valAccuracy_(writer.key("val/accuracy")),
      epoch_(writer.key("epoch")),
      testLoss_(writer.key("test/loss")),
      testAccuracy_(writer.key("test/accuracy")),
      padding_(writer.key("train/padding")),
      tokensPerSecond_(writer.key("train/tokens_per_s")),
      timing_{writer.key("time/step"),     writer.key("time/data"),
              writer.key("time/forward"),  writer.key("time/loss"),
              writer.key("time/backward"), writer.key("time/optimizer"),
              writer.key("time/observer"), writer.key("time/other"),
              writer.key("time/eval"),     writer.key("memory/peak_rss_mb")} {}

double RunRecorder::now() const {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

void RunRecorder::log(storage::KeyHandle key, std::int64_t step, double value) {
    writer_.metric(runId_, key, step, value, now());
}

void RunRecorder::throwIfFailed() const {
    // One relaxed atomic load: the error itself is read only once it is there.
    if (writer_.failed()) throw StoreFailed(writer_.lastError().error().message);
}

void RunRecorder::onStep(const engine::StepEvent& e) {
    throwIfFailed();
    lastStep_ = e.step;
    const std::array<std::pair<storage::KeyHandle, double>, 4> values{
        {{trainLoss_, e.loss},
         {trainLr_, e.lr},
         {samplesPerSecond_, e.samplesPerSecond},
         {gradNorm_, e.gradNorm.value_or(0)}}};
    // The gradient norm is last, so a step without one stores the first three.
    writer_.metrics(runId_, e.step, now(), std::span(values).first(e.gradNorm ? 4 : 3));
    if (e.padding && e.tokensPerSecond) {
        const std::array<std::pair<storage::KeyHandle, double>, 2> text{
            {{padding_, *e.padding}, {tokensPerSecond_, *e.tokensPerSecond}}};
        writer_.metrics(runId_, e.step, now(), text);
    }
}

void RunRecorder::onEpoch(const engine::EpochEvent& e) {
    throwIfFailed();
    log(epoch_, e.step, e.epoch);
    log(trainAccuracy_, e.step, e.trainAccuracy);
    log(trainEpochLoss_, e.step, e.trainLoss);
    if (!std::isnan(e.valAccuracy)) {
        log(valLoss_, e.step, e.valLoss);
        log(valAccuracy_, e.step, e.valAccuracy);
    }
    const engine::StepPhases& p = e.stepPhases;
    const std::array<double, 10> values{p.total(),     p.data,      p.forward,  p.loss,
                                        p.backward,    p.optimizer, p.observer, p.other,
                                        e.evalSeconds, e.peakRssMb};
    for (std::size_t i = 0; i < values.size(); ++i)
        log(timing_[i], e.step, i < 8 ? values[i] * 1000.0 : values[i]);
    if (e.rankStepSeconds.empty()) return;
    if (!allreduce_) allreduce_ = writer_.key("time/allreduce");
    log(*allreduce_, e.step, p.allreduce * 1000.0);
    for (std::size_t r = rankTimes_.size(); r < e.rankStepSeconds.size(); ++r)
        rankTimes_.push_back(writer_.key("time/rank" + std::to_string(r)));
    for (std::size_t r = 0; r < e.rankStepSeconds.size(); ++r)
        log(rankTimes_[r], e.step, e.rankStepSeconds[r] * 1000.0);
}

void RunRecorder::onPredictions(const engine::Predictions& p) {
    const auto k = static_cast<std::size_t>(p.numClasses);
    std::vector<storage::PredictionRow> rows(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        storage::PredictionRow& row = rows[i];
        row.runId = runId_;
        row.split = engine::splitName(p.split);
        row.epoch = p.epoch;
        row.sampleIndex = p.sampleIndex[i];
        row.target = p.target[i];
        row.predicted = p.predicted[i];
        row.confidence = p.confidence[i];
        row.loss = p.loss[i];
        row.probs.assign(p.probs.begin() + static_cast<std::ptrdiff_t>(i * k),
                         p.probs.begin() + static_cast<std::ptrdiff_t>((i + 1) * k));
    }
    writer_.predictions(std::move(rows));
}

void RunRecorder::onCheckpoint(const engine::CheckpointEvent& e) {
    throwIfFailed();
    writer_.checkpointAdded(runId_, e.epoch, e.step, e.path, e.crc32, e.bytes);
    for (const auto& path : e.removed)
        writer_.checkpointRemoved(path);
    // The trainer deletes e.removed when this returns: the new checkpoint must be stored first.
    if (auto s = writer_.flush(stop_); !s) throw StoreFailed(s.error().message);
}

void RunRecorder::onFinish(const engine::RunResult& r) {
    if (r.outcome != engine::Outcome::Finished) return;
    log(testLoss_, r.steps, r.testLoss);
    log(testAccuracy_, r.steps, r.testAccuracy);
}

}  // namespace runboard::app
