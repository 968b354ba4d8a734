#include "engine/lr_finder.h"

#include <spdlog/spdlog.h>

#include "engine/errors.h"
#include "engine/runtime.h"
#include "engine/session.h"

namespace runboard::engine {

sweep::Result findLr(const config::Config& config, const sweep::Options& options,
                     const LrFinderCallbacks& callbacks, const std::atomic<bool>* stop) {
    if (const std::string problem = sweep::validate(options); !problem.empty())
        throw EngineError(problem);
    config.validate();
    (void)configureRuntime(static_cast<int>(config.integer("threads")));
    const Dataset data = loadFashionMnist(dataOptions(config));

    const auto seed = static_cast<std::uint64_t>(config.integer("seed"));
    torch::manual_seed(seed);
    std::mt19937_64 rng(seed);
    TrainBatches batches(data, config, rng);
    Session session(config, data.numClasses, batches.stepsPerEpoch());
    session.model().train();

    LrFinderInfo info;
    info.trainSize = data.train.size();
    info.batchSize = batches.batchSize();
    for (const auto& p : session.model().parameters())
        info.parameters += p.numel();
    info.precision = session.bf16() ? "bf16" : "fp32";
    if (callbacks.onStart) callbacks.onStart(info);
    spdlog::info("lr sweep: {} {} from {:g} to {:g} over at most {} steps of {} samples ({})",
                 config.text("model"), config.text("optimizer"), options.start, options.end,
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
}

}  // namespace runboard::engine
