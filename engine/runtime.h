#pragma once
// Process-wide speed settings measured on 2-core machines (see README): torch threads = cores,
// OpenBLAS single-threaded for every model (its threads fight torch's: measured per model, the
// MLP's bare loop ran 9.3-9.5k samples/s with one OpenBLAS thread and 4.6-4.7k with two), glibc
// malloc that keeps freed memory instead of page-faulting it back in, and bf16 autocast where the
// CPU has native bf16.

#include <string>

#include "engine/config/choices.h"

namespace runboard::engine {

struct RuntimeSettings {
    int threads = 0;              // torch intra-op threads actually set
    bool openblasSingle = false;  // openblas_set_num_threads(1) was found and called
    bool mallocTuned = false;
};

// What threads = 0 means: OMP_NUM_THREADS when it is set to a positive number (as in PyTorch, so
// a job scheduler's or a test runner's limit holds), otherwise every core.
int defaultThreads();

// threads = 0: defaultThreads(). Safe to call more than once.
RuntimeSettings configureRuntime(int threads);

// True when the CPU has AVX512-BF16 or AMX-BF16 (from /proc/cpuinfo's flags).
bool cpuHasNativeBf16();

// Auto -> Bf16 or Fp32 by cpuHasNativeBf16(); other values unchanged.
config::Precision resolvePrecision(config::Precision precision);

}  // namespace runboard::engine
