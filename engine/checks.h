#pragma once
// The pre-flight checklist (Torch-free facade): the classic training bugs, checked by the machine
// before compute is wasted. Data (duplicates between splits, balance, statistics), the initial
// loss against ln K, one-batch overfitting, train()/eval() and BatchNorm, gradients (dead,
// non-finite, accumulating) and whether training is data-bound. Each check gives pass, warn or
// fail with a measured value and what to do.

#include <atomic>
#include <vector>

#include "engine/config/config.h"
#include "engine/data/data_checks.h"
#include "engine/schedule.h"

namespace runboard::engine {

struct CheckHooks;  // engine/check_hooks.h: planted bugs for the tests

struct Dataset;

struct ChecksOptions {
    const std::atomic<bool>* stop = nullptr;
    const Dataset* data = nullptr;  // the config's dataset, already loaded; null: load it
    int overfitSteps = 150;         // the one-batch overfit's bound
    std::int64_t overfitBatch = 64;
    const CheckHooks* hooks = nullptr;
};

// Runs every check on the config's data and model. Throws DataError when the data can't be read
// and config::ConfigError for an invalid config.
std::vector<CheckResult> runChecks(const config::Config& config, const ChecksOptions& options = {});

bool anyFailed(const std::vector<CheckResult>& results);

// During training: the loss of the first steps (at least 20). Warns when the mean of the last
// ten is not at least 1% below the mean of the first ten: a learning rate too small, or nothing
// learns. The value is the relative drop.
CheckResult flatLossCheck(const std::vector<double>& firstLosses);

// After a run: did it learn at all? Fails when the validation accuracy is within 3 standard errors
// of chance (1/K on `samples` samples: below 11.3% on 5k validation images), warns below
// 2/K, and warns when the mean training loss after warm-up is at least ln K (worse than a uniform
// guess: the learning rate is too high for the run's length, or it diverged). `losses` are the
// training losses after warm-up (the caller's window); an empty window skips the loss rule.
CheckResult learnedCheck(double accuracy, std::int64_t samples, int numClasses,
                         const std::vector<double>& losses);

// The first step after warm-up for the loss rule: the later of onecycle's warm-up (pct_start of
// the run) and the warm-up floor; when fewer than 10 steps follow it, the run's second half.
std::int64_t afterWarmupStep(const ScheduleOptions& schedule, std::int64_t totalSteps);

}  // namespace runboard::engine
