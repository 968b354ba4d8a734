#pragma once
// The machine's limit: the best matrix arithmetic of this LibTorch at this thread count, in fp32
// and bf16, which a run's achieved GFLOP/s is measured against ("how far from the limit"): the
// better of a square matrix product and a 3x3 convolution (an implicit GEMM), each repeated for
// 0.15 s, best rate kept. The product alone was no limit: Debian's torch::mm runs on OpenBLAS,
// which Runboard keeps on one thread, and reached 112 GFLOP/s fp32 on 2 cores here, while the
// default CNN's convolutions ran at 193 (oneDNN, both threads).
// Measured once per machine and thread count and cached in
// $XDG_CACHE_HOME/runboard/peak.json (~/.cache when unset): a run then reads it in microseconds.
// The inputs are constants, never random, so no RNG a run depends on moves. Torch-free header.

#include <string>

#include "engine/profile/cost.h"

namespace runboard::engine {

// Measures now (about 0.5 s); threads as already set in this process.
profile::MachinePeak measurePeak(int threads);
// The cached measurement for this CPU, LibTorch version and thread count, else measurePeak()
// and the cache updated (a cache that cannot be written is only a warning).
profile::MachinePeak machinePeak(int threads);
// Where the cache lives.
std::string peakCachePath();

}  // namespace runboard::engine
