#pragma once
// What the profiler measured for a run: its model cost (one row per layer, and the machine's peak
// it is judged against) and its op profiler windows (the op table, the phase ranges and the trace
// file's name). Written by the training process; read by `runboard profile` and the Profile tab.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/result.h"
#include "storage/run_store.h"

namespace runboard::storage {

struct LayerRow {
    std::string name, op;
    std::string outputShape;  // "[32, 14, 14]": one sample's
    std::int64_t params = 0;
    std::int64_t activationBytes = 0;
    std::optional<double> flops;  // forward, one sample; empty: no formula
    bool operator==(const LayerRow&) const = default;
};

struct RunCost {
    std::int64_t params = 0;
    double forwardFlops = 0;  // one sample
    std::int64_t activationBytes = 0;
    std::int64_t batchSize = 0;
    std::string precision;
    int threads = 0;
    double peakFp32Gflops = 0, peakBf16Gflops = 0;
    std::vector<LayerRow> layers;
    bool operator==(const RunCost&) const = default;
};

// Replaces the run's cost, in one transaction.
Status storeRunCost(Connection& db, RunId run, const RunCost& cost);
// Empty when the run has none (it started before this was measured, or never started).
Result<std::optional<RunCost>> runCost(Connection& db, RunId run);

struct OpRow {
    std::string name, shapes;
    std::int64_t calls = 0;
    double selfUs = 0, totalUs = 0, flops = 0;
    bool operator==(const OpRow&) const = default;
};

struct PhaseRow {
    std::string name;
    double totalUs = 0;
    std::int64_t calls = 0;
    bool operator==(const PhaseRow&) const = default;
};

struct ProfileWindowRow {
    std::int64_t id = 0;  // set when stored
    std::int64_t firstStep = 0, steps = 0;
    double seconds = 0;
    std::string tracePath;  // empty: no trace file
    std::int64_t traceBytes = 0, traceEvents = 0, traceDropped = 0, traceDroppedBelowUs = 0;
    std::vector<PhaseRow> phases;
    std::vector<OpRow> ops;  // by self time, largest first
    bool operator==(const ProfileWindowRow&) const = default;
};

// Adds a window, in one transaction; its id.
Result<std::int64_t> storeProfileWindow(Connection& db, RunId run, const ProfileWindowRow& window);
// The run's windows in the order they were recorded, each with its ops and phases.
Result<std::vector<ProfileWindowRow>> profileWindows(Connection& db, RunId run);

}  // namespace runboard::storage
