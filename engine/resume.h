#pragma once
// What a checkpoint must match for a run to resume from it bit for bit: the config it trained
// with (every key but checkpoint.*), the precision it resolved to, and the data: each part's
// size and a CRC-32 of its samples, labels and sample ids (an image folder streamed from disk:
// its files' paths, sizes and modification times instead of pixels). Computing it costs one pass
// over the data in memory, once per checkpointing run: 41 ms for Fashion-MNIST's 70k float
// images (220 MB; tests/bench/resume_bench).
// Include only in Torch translation units.

#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"
#include "engine/dataset.h"

namespace runboard::engine {

// Lines "key<TAB>value", sorted by key. `threads`: the torch threads training runs on.
std::string resumeFingerprint(const config::Config& config, const Dataset& data,
                              std::string_view precision, int threads);

// What differs between a checkpoint's fingerprint and the current one, a sentence each, naming
// the key or data part: "config key 'lr' is 0.05, the checkpoint has 0.1". Empty when they
// match. `runtime`: only the differences that change the last bits but not what is learnt (the
// thread count: sums in another order), which a resume reports and goes on; otherwise only the
// others, which refuse it.
std::vector<std::string> fingerprintDifferences(std::string_view atCheckpoint, std::string_view now,
                                                bool runtime = false);

}  // namespace runboard::engine
