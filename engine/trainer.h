#pragma once
// The training loop behind a Torch-free facade: the app (CLI, GUI worker) includes only this,
// the config and the observer events.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/data/data_checks.h"
#include "engine/dist/launch.h"
#include "engine/observer.h"

namespace runboard::engine {

struct Dataset;
class DataParallel;

// Data-parallel (ddp.world_size > 1): this process's place in the job, and the launcher's hooks.
struct DistOptions {
    std::optional<dist::Launch> launch;  // required when ddp.world_size > 1
    // Rank 0, once it listens on `port` and before it waits for the others: the --nproc launcher
    // starts them here (after rank 0's checklist, so the checks run once).
    std::function<void(int port)> onListening;
    // Rank 0, when a collective fails and no rank said why: the launcher's account of its
    // processes ("rank 1 (pid 4242) was killed by signal 9"), or empty.
    std::function<std::string()> explainFailure;
    // Rank 0, polled while it waits for the others to arrive: the same account, without waiting.
    std::function<std::string()> ranksGone;
};

struct TrainerOptions {
    std::string checkpointDir;                // empty: no checkpoint files
    const std::atomic<bool>* stop = nullptr;  // honoured within one step
    // "Profile the next N steps": a positive N stored here opens an op profiler window of N
    // steps before the next step (engine/step_profiler.h), and is reset to 0.
    std::atomic<std::int64_t>* profileRequest = nullptr;
    // Tests only: runs as each training batch is fetched (a planted slow loader shows up as the
    // "data" phase).
    std::function<void()> fetchHook;
    DistOptions dist;
};

// A checkpoint file the run already has (a resumed run's): kept or deleted as new ones land.
struct KnownCheckpoint {
    std::string path;
    std::int64_t epoch = 0, step = 0;
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
    // run() continues from this checkpoint instead of step 0, bit for bit: the model, optimizer,
    // schedule, every RNG, the epoch's order and position. Loads the data first, then refuses
    // (ResumeRefused) when the config or data differ from the checkpoint's, naming what
    // differs; EngineError when the file cannot be read. `existing`: the run's other checkpoint
    // files, deleted in turn as new ones land.
    void resumeFrom(const std::string& checkpoint, std::vector<KnownCheckpoint> existing = {});

    // Without checkpoint.every_steps, a checkpoint is written within an epoch once this much
    // training time has passed since the last one: a kill loses at most 2 minutes of work. A
    // checkpoint costs 5 ms (cnn, 1.7 MB), 7 ms (resnet, 2.0 MB) and 12 ms (mlp, 4.7 MB) to
    // build, checksum, write and fsync (tests/bench/resume_bench, ext4, Dec 2): 0.01% of those
    // 2 minutes. A fixed step count would be seconds for the mlp and an hour for a big model.
    static constexpr double kCheckpointSeconds = 120;

private:
    RunResult train(Observer& observer, std::unique_ptr<DataParallel>& dp);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace runboard::engine
