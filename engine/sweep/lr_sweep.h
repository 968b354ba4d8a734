#pragma once
// The learning-rate finder's arithmetic, without Torch or Qt: the LR of each step, the debiased
// moving average of the loss, the stop rule, and the suggestion rules. The engine drives it with
// real training steps; the GUI and the CLI use its names and explanations. The lecture's rule:
// grow the LR geometrically until the loss explodes, and look at the curve.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/names.h"

namespace runboard::sweep {

enum class Mode { Exponential, Linear };

struct Options {
    double start = 1e-7;
    double end = 10;
    int steps = 100;  // mini-batches, at most
    Mode mode = Mode::Exponential;
    double beta = 0.98;       // smoothing of the loss; 0 = none
    double stopFactor = 4.0;  // stop when the smoothed loss exceeds stopFactor x the best one
};

// Empty when the options are valid, else a message naming the problem.
std::string validate(const Options& options);
inline constexpr auto kModeNames =
    config::nameTable<Mode>({{Mode::Exponential, "exp"}, {Mode::Linear, "linear"}});
inline std::string_view toString(Mode mode) {
    return kModeNames.name(mode);
}

// The LR of step i (0-based): `start` at 0, `end` at steps - 1, geometric or linear in between.
double lrAt(const Options& options, int step);

enum class StopReason {
    Exploded,   // the smoothed loss exceeded stopFactor x the best smoothed loss
    NonFinite,  // the loss became NaN or infinite
    Completed,  // reached `end` without exploding
    Stopped,    // stopped by request
};
inline constexpr auto kStopReasonNames =
    config::nameTable<StopReason>({{StopReason::Exploded, "exploded"},
                                   {StopReason::NonFinite, "nonfinite"},
                                   {StopReason::Completed, "completed"},
                                   {StopReason::Stopped, "stopped"}});
inline std::string_view toString(StopReason reason) {
    return kStopReasonNames.name(reason);
}

struct Point {
    int step = 0;
    double lr = 0;
    double loss = 0;      // raw; may be NaN/Inf at the stop
    double smoothed = 0;  // debiased EMA; NaN once the loss was not finite
};

struct Stop {
    int step = 0;  // the last recorded step
    double lr = 0;
    StopReason reason = StopReason::Completed;
};

// Feeds losses in step order and decides when to stop.
class Tracker {
public:
    explicit Tracker(Options options);

    int nextStep() const { return static_cast<int>(points_.size()); }
    double nextLr() const { return lrAt(options_, nextStep()); }
    // Records the loss of the next step (taken at nextLr()); false once the sweep must stop.
    bool record(double loss);
    // Ends the sweep by request (after the last recorded step).
    void requestStop();
    bool done() const { return stop_.has_value(); }

    const Options& options() const { return options_; }
    const std::vector<Point>& points() const { return points_; }
    const std::optional<Stop>& stop() const { return stop_; }

private:
    Options options_;
    std::vector<Point> points_;
    double average_ = 0;
    double best_ = 0;
    std::optional<Stop> stop_;
};

// The suggestion rules, all computed on the smoothed loss of the finite points.
struct Rule {
    std::string_view name;  // stable key: stored and printed
    std::string_view label;
    std::string_view explanation;
};
const std::vector<Rule>& rules();

struct Suggestion {
    std::string name;  // a Rule's name
    double lr = 0;
    int step = 0;  // the point the rule chose (for "minimum/10": the minimum's step)
};
// Rules that have too few finite points to decide are left out. `plannedSteps` is the sweep's
// Options::steps (0: as many as there are points); the valley rule skips its first tenth, as
// fastai's lr_find does.
std::vector<Suggestion> suggest(const std::vector<Point>& points, int plannedSteps = 0);

struct Result {
    std::vector<Point> points;
    Stop stop;
    std::vector<Suggestion> suggestions;
};

// Runs a sweep: `step(lr)` trains one mini-batch at lr and returns its loss (as a plain double).
// `onPoint` (optional) sees every point as it is recorded; `stop` (optional) is honoured between
// steps.
Result run(const Options& options, const std::function<double(double lr)>& step,
           const std::function<void(const Point&)>& onPoint = {},
           const std::atomic<bool>* stop = nullptr);

}  // namespace runboard::sweep
