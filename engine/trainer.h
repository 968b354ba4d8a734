#pragma once
// The training loop behind a Torch-free facade: the app (CLI, GUI worker) includes only this,
// the config and the observer events.

#include <atomic>
#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/data/data_checks.h"
#include "engine/observer.h"

namespace runboard::engine {

struct Dataset;

struct TrainerOptions {
    std::string checkpointDir;                // empty: no checkpoint files
    const std::atomic<bool>* stop = nullptr;  // honoured within one step
};

class Trainer {
public:
    // Validates the config (throws config::ConfigError).
    Trainer(config::Config config, TrainerOptions options);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // Reads the dataset (throws DataError). run() calls it when it has not been called.
    void loadData();
    // The dataset once loaded (else null), for the checklist to use instead of reading it again.
    const Dataset* data() const;
    // What loading found (an image folder's scan and quarantine), stored even without the
    // checklist.
    std::vector<CheckResult> loadChecks() const;
    // Trains, validates every epoch, checkpoints, and tests at the end. Reports through the
    // observer on the calling thread. Throws EngineError/DataError on failures; divergence and
    // stop requests are outcomes, not exceptions.
    RunResult run(Observer& observer);

    const config::Config& config() const;
    // The stop flag run() honours (may be null): the checklist before training honours it too.
    const std::atomic<bool>* stopFlag() const;
    // Where epoch checkpoints go (known only once the run has an id).
    void setCheckpointDir(std::string dir);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace runboard::engine
