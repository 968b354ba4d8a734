#pragma once
// What the op-level profiler records over a window of training steps, as plain values: the
// events LibTorch's autograd profiler returns (engine/op_recorder.h converts them), ops grouped by
// name and input shapes with their self time, and the Chrome trace written from the events.
// Torch-free, so that it is tested without LibTorch and read by the CLI and the GUI.

#include <cstdint>
#include <string>
#include <vector>

namespace runboard::engine::profile {

using Shape = std::vector<std::int64_t>;

// One range on one thread, in microseconds from the profiler's origin: an op (aten::conv2d) or
// a user range (a step phase: "forward", "data", ...).
struct Event {
    std::string name;
    std::uint64_t thread = 0;
    std::int64_t startUs = 0, durationUs = 0;
    std::vector<Shape> shapes;  // the inputs' shapes; [] for an argument that is not a tensor
    double flops = 0;           // LibTorch's own count (conv, mm, addmm, mul, add), else 0
    bool user = false;          // a phase range, not an op
};

// Ops grouped like torch's key_averages(group_by_input_shape=True). LibTorch 1.13 gives no self
// time, so it comes from nesting: an event's duration less its direct children's on its thread.
struct OpStat {
    std::string name;
    std::string shapes;  // "[128, 1, 28, 28], [32, 1, 3, 3], []"
    std::int64_t calls = 0;
    double selfUs = 0, totalUs = 0;
    double flops = 0;
    bool operator==(const OpStat&) const = default;
};

// Each event's direct parent on its thread (-1: none), by how the events nest: an event inside
// another that ends at most 1 us after it counts as inside (the profiler's whole microseconds).
std::vector<std::int64_t> parentsOf(const std::vector<Event>& events);

// Every op (user ranges are not ops) grouped, sorted by self time, largest first. An op directly
// inside one of its own name (a redispatch: bf16 autocast's addmm around the real one) is the
// same call: its self time joins, its call does not count twice.
std::vector<OpStat> aggregateOps(const std::vector<Event>& events);
std::string formatShapes(const std::vector<Shape>& shapes);

// The user ranges' total time by name (the phases as the profiler saw them).
struct PhaseTime {
    std::string name;
    double totalUs = 0;
    std::int64_t calls = 0;
};
std::vector<PhaseTime> phaseTimes(const std::vector<Event>& events);

// The Chrome trace of a window, as written.
struct TraceFile {
    std::string path;
    std::int64_t bytes = 0;
    std::int64_t events = 0;          // written
    std::int64_t dropped = 0;         // ops left out to stay under the cap
    std::int64_t droppedBelowUs = 0;  // every op shorter than this was left out (0: none)
};

// Writes `events` as Chrome trace JSON (the "traceEvents" array of complete "X" events, which
// Perfetto and chrome://tracing open) to `path`, atomically. Above `maxBytes` the shortest ops
// are left out first, never a phase range, so the step structure and the expensive ops stay: a
// 20-step window of the default CNN is 15.5k events and 2.0 MB here, and the legacy
// chrome://tracing viewer stalls at a few hundred MB (Perfetto's UI takes more). The cap is
// profile.trace_mb (100 MB: 50 windows of the CNN's size). The metadata says what was dropped.
// Throws OutputError.
TraceFile writeChromeTrace(const std::string& path, const std::vector<Event>& events,
                           std::int64_t maxBytes);

// Above this share of a step spent waiting for its batch, training is data-bound: the data.bound
// check, the Profile tab and `runboard profile` use the same line and the same words.
inline constexpr double kDataBoundShare = 0.2;
// "35% of each step waits for data: training is data-bound; ..." with what to change.
std::string dataBoundAdvice(double share);

// A profiled window of training steps, as stored with the run.
struct Window {
    std::int64_t firstStep = 0;  // the global step of its first step
    std::int64_t steps = 0;
    double seconds = 0;  // the wall time of those steps, profiler on
    std::vector<OpStat> ops;
    std::vector<PhaseTime> phases;
    TraceFile trace;
};

}  // namespace runboard::engine::profile
