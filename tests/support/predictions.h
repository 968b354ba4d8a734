#pragma once
// Test-split predictions for the leaderboard, compare and competition-mode tests: header-only,
// because runboard_test_support stays free of storage (the Torch-free suites build without it).

#include <cstdint>

#include "storage/writer.h"

namespace runboard::test {

// Queues n test predictions of epoch 1 for `run` on two classes: sample i's target is i % 2 and
// `wrong(i)` says whether the run got it wrong. Probabilities are uniform.
template <class Wrong>
void queueTestPredictions(storage::Writer& writer, storage::RunId run, std::int64_t n,
                          Wrong&& wrong) {
    for (std::int64_t i = 0; i < n; ++i) {
        const auto target = static_cast<std::int32_t>(i % 2);
        writer.prediction({.runId = run,
                           .split = "test",
                           .epoch = 1,
                           .sampleIndex = i,
                           .target = target,
                           .predicted = wrong(i) ? 1 - target : target,
                           .probs = {0.5f, 0.5f}});
    }
}

}  // namespace runboard::test
