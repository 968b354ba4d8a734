#pragma once
// The learning-rate finder on a run config, behind a Torch-free facade: the config's model,
// optimizer, data and augmentation, trained one mini-batch per LR of the sweep (the schedule is
// replaced by the sweep's LR; momentum stays the config's).

#include <atomic>
#include <functional>
#include <memory>

#include "engine/config/config.h"
#include "engine/sweep/lr_sweep.h"

namespace runboard::engine {

struct LrFinderInfo {
    std::int64_t trainSize = 0;
    std::int64_t batchSize = 0;
    std::int64_t parameters = 0;
    std::string precision;  // fp32 | bf16
};

struct LrFinderCallbacks {
    std::function<void(const LrFinderInfo&)> onStart;
    std::function<void(const sweep::Point&)> onPoint;
};

// Validates the options and the config on construction (throws config::ConfigError or
// EngineError). loadData() reads the data (throws DataError); run() calls it when needed, sweeps,
// and restores the model, the optimizer and the torch RNG to their state before the sweep.
// `stop` is honoured between steps.
class LrFinder {
public:
    LrFinder(config::Config config, sweep::Options options);
    ~LrFinder();
    LrFinder(const LrFinder&) = delete;
    LrFinder& operator=(const LrFinder&) = delete;

    void loadData();
    sweep::Result run(const LrFinderCallbacks& callbacks = {},
                      const std::atomic<bool>* stop = nullptr);

    const config::Config& config() const;
    const sweep::Options& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace runboard::engine
