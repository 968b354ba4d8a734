#include "engine/lr_finder.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "engine/errors.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "engine/torch_errors.h"

namespace runboard::engine {

struct LrFinder::Impl {
    config::Config config;
    TrainOptions train;  // the config, parsed once
    sweep::Options options;
    std::optional<Dataset> data;
};

LrFinder::LrFinder(config::Config config, sweep::Options options)
    : impl_(std::make_unique<Impl>()) {
    if (const std::string problem = sweep::validate(options); !problem.empty())
        throw EngineError(problem);
    impl_->train = TrainOptions::fromConfig(config);  // validates
    impl_->config = std::move(config);
    impl_->options = options;
}

LrFinder::~LrFinder() = default;

const config::Config& LrFinder::config() const {
    return impl_->config;
}

const sweep::Options& LrFinder::options() const {
    return impl_->options;
}

void LrFinder::loadData() {
    if (impl_->data) return;
    impl_->data = loadDataset(impl_->train.data);
    resolveModel(impl_->train, impl_->config, impl_->data->sampleShape);
    impl_->train.model.vocabSize = static_cast<std::int64_t>(impl_->data->vocabulary.size());
    const ModelOptions& m = impl_->train.model;  // as Trainer::loadData: checked before writing
    (void)makeModel(m.kind, m.path, impl_->data->numClasses, m.dropout, impl_->data->sampleShape,
                    m.vocabSize);
}

sweep::Result LrFinder::run(const LrFinderCallbacks& callbacks, const std::atomic<bool>* stop) try {
    const TrainOptions& train = impl_->train;
    const sweep::Options& options = impl_->options;
    (void)configureRuntime(train.threads);
    loadData();
    const Dataset& data = *impl_->data;

    torch::manual_seed(train.seed);
    std::mt19937_64 rng(train.seed);
    TrainBatches batches(data, train, rng);
    Session session(train, data.numClasses, batches.stepsPerEpoch(), data.sampleShape);
    session.model().train();

    LrFinderInfo info;
    info.trainSize = data.train.size();
    info.batchSize = batches.batchSize();
    for (const auto& p : session.model().parameters())
        info.parameters += p.numel();
    info.precision = session.bf16() ? "bf16" : "fp32";
    if (callbacks.onStart) callbacks.onStart(info);
    spdlog::info("lr sweep: {} {} from {:g} to {:g} over at most {} steps of {} samples ({})",
                 config::kModelNames.name(train.model.kind),
                 config::kOptimizerNames.name(train.optimizer.kind), options.start, options.end,
                 options.steps, info.batchSize, info.precision);

    const std::string before = session.snapshot();
    std::int64_t step = 0;
    sweep::Result result = sweep::run(
        options,
        [&](double lr) {
            const std::int64_t s = step++ % batches.stepsPerEpoch();
            if (s == 0) batches.shuffle();
            const auto [x, y] = batches.get(s);
            return session.trainStepAt(x, y, lr).loss;
        },
        callbacks.onPoint, stop);
    session.restore(before);
    spdlog::info("lr sweep {} at step {} (lr {:g})", sweep::toString(result.stop.reason),
                 result.stop.step, result.stop.lr);
    return result;
} catch (const c10::Error& e) {
    throw EngineError(torchErrorMessage("the LR sweep", e));
}

}  // namespace runboard::engine
