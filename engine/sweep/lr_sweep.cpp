#include "engine/sweep/lr_sweep.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace runboard::sweep {

namespace {

constexpr int kMaxSteps = 10'000;
// Lightning's steepest-descent rule skips the first 10 points (the EMA and the optimizer are still
// settling; an early spike makes a steep fall right after it) and the last one (the explosion).
constexpr int kSkipBegin = 10;
constexpr int kSkipEnd = 1;

std::string number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

std::string validate(const Options& o) {
    if (!std::isfinite(o.start) || o.start <= 0)
        return "the start learning rate must be > 0, got " + number(o.start);
    if (!std::isfinite(o.end) || o.end <= o.start)
        return "the end learning rate must be greater than the start (" + number(o.start) +
               "), got " + number(o.end);
    if (o.steps < 2 || o.steps > kMaxSteps)
        return "the number of steps must be between 2 and " + std::to_string(kMaxSteps) + ", got " +
               std::to_string(o.steps);
    if (!std::isfinite(o.beta) || o.beta < 0 || o.beta >= 1)
        return "beta (the smoothing) must be in [0, 1), got " + number(o.beta);
    if (!std::isfinite(o.stopFactor) || o.stopFactor <= 1)
        return "the stop factor must be > 1, got " + number(o.stopFactor);
    return {};
}

double lrAt(const Options& o, int step) {
    const double t = o.steps > 1 ? static_cast<double>(step) / (o.steps - 1) : 0.0;
    if (o.mode == Mode::Linear) return o.start + t * (o.end - o.start);
    return o.start * std::pow(o.end / o.start, t);
}

Tracker::Tracker(Options options) : options_(options) {}

bool Tracker::record(double loss) {
    if (stop_) return false;
    Point p;
    p.step = nextStep();
    p.lr = nextLr();
    p.loss = loss;
    if (!std::isfinite(loss)) {
        p.smoothed = std::numeric_limits<double>::quiet_NaN();
        points_.push_back(p);
        stop_ = Stop{p.step, p.lr, StopReason::NonFinite};
        return false;
    }
    // Debiased EMA: the average starts at 0, so early values are divided by 1 - beta^(i+1).
    const double beta = options_.beta;
    average_ = beta * average_ + (1 - beta) * loss;
    p.smoothed = average_ / (1 - std::pow(beta, p.step + 1));
    points_.push_back(p);
    if (p.step == 0 || p.smoothed < best_) best_ = p.smoothed;
    if (!std::isfinite(p.smoothed)) {
        stop_ = Stop{p.step, p.lr, StopReason::NonFinite};
    } else if (p.step > 0 && p.smoothed > options_.stopFactor * best_) {
        stop_ = Stop{p.step, p.lr, StopReason::Exploded};
    } else if (nextStep() >= options_.steps) {
        stop_ = Stop{p.step, p.lr, StopReason::Completed};
    }
    return !stop_;
}

void Tracker::requestStop() {
    if (stop_) return;
    const int last = std::max(0, nextStep() - 1);
    stop_ = Stop{last, points_.empty() ? options_.start : points_.back().lr, StopReason::Stopped};
}

const std::vector<Rule>& rules() {
    static const std::vector<Rule> all = {
        {"steepest", "steepest",
         "Steepest descent: where the smoothed loss falls fastest against log LR on its way "
         "down to the minimum, skipping the first 10 points (PyTorch Lightning's rule, which "
         "also looks past the minimum)."},
        {"valley", "valley",
         "Valley: inside the longest falling stretch of the smoothed loss (the longest "
         "decreasing sequence, as long as it is, back from where it ends), halfway along it; "
         "as fastai's default, without the first tenth of the planned steps and the last 5 "
         "points."},
        {"minimum/10", "min/10",
         "Minimum / 10: the LR of the lowest smoothed loss, divided by 10 (the classic rule: "
         "the minimum is already at the edge of instability)."},
    };
    return all;
}

namespace {

// The index into `points` of fastai's valley, or nullopt with fewer than 3 points to look at.
std::optional<std::size_t> valleyIndex(const std::vector<Point>& points, int plannedSteps) {
    const std::size_t planned =
        plannedSteps > 0 ? static_cast<std::size_t>(plannedSteps) : points.size();
    const std::size_t begin = planned / 10;
    const std::size_t end = points.size() > 5 ? points.size() - 5 : 0;  // fastai's [n//10:-5]
    std::vector<std::size_t> kept;
    for (std::size_t i = begin; i < end; ++i) {
        // fastai drops everything from the first NaN on; the tracker stops at the first one, so
        // skipping them is the same on a sweep and keeps a stray one from cutting the range.
        if (std::isfinite(points[i].smoothed) && points[i].lr > 0) kept.push_back(i);
    }
    const int n = static_cast<int>(kept.size());
    if (n < 3) return std::nullopt;
    const auto loss = [&](int i) { return points[kept[static_cast<std::size_t>(i)]].smoothed; };
    std::vector<int> lengths(static_cast<std::size_t>(n), 1);
    const auto length = [&](int i) -> int& { return lengths[static_cast<std::size_t>(i)]; };
    int bestEnd = 0;
    for (int i = 1; i < n; ++i) {
        for (int j = 0; j < i; ++j)
            if (loss(i) < loss(j) && length(j) + 1 > length(i)) length(i) = length(j) + 1;
        if (length(i) > length(bestEnd)) bestEnd = i;
    }
    // As fastai counts it: the stretch is as long as the sequence, back from where it ends (on a
    // flat, noisy start the sequence skips points, and its first element would drag the
    // suggestion down by decades). Its start is one before the first point when the sequence
    // holds every point up to its end, as fastai's (max_end - lds[max_end]) is.
    const int len = length(bestEnd);
    const int start = bestEnd - len;
    // fastai: sections = (end - start) / 3, idx = start + int(sections) + int(sections / 2).
    const int index = start + len / 3 + len / 6;
    return kept[static_cast<std::size_t>(std::clamp(index, 0, n - 1))];
}

}  // namespace

std::vector<Suggestion> suggest(const std::vector<Point>& points, int plannedSteps) {
    std::vector<const Point*> finite;
    for (const Point& p : points)
        if (std::isfinite(p.smoothed) && std::isfinite(p.lr) && p.lr > 0) finite.push_back(&p);
    std::vector<Suggestion> out;
    const int n = static_cast<int>(finite.size());
    if (n < 3) return out;

    const int argmin = static_cast<int>(
        std::min_element(finite.begin(), finite.end(),
                         [](auto* a, auto* b) { return a->smoothed < b->smoothed; }) -
        finite.begin());

    // Steepest: the most negative d(smoothed)/d(log10 lr), central differences inside, on the
    // way down to the minimum. Past the minimum the net is already unstable: a BatchNorm net can
    // fall a second time there (its weights grow and the effective LR shrinks), and that fall
    // is no LR to train with.
    {
        const int begin = std::min(kSkipBegin, n / 4);
        const int end = std::min(n - kSkipEnd, argmin + 1);
        int best = -1;
        double bestSlope = 0;
        for (int i = std::max(begin, 1); i + 1 <= end - 1; ++i) {
            const double dx = std::log10(finite[i + 1]->lr) - std::log10(finite[i - 1]->lr);
            if (dx <= 0) continue;
            const double slope = (finite[i + 1]->smoothed - finite[i - 1]->smoothed) / dx;
            if (best < 0 || slope < bestSlope) {
                best = i;
                bestSlope = slope;
            }
        }
        if (best >= 0 && bestSlope < 0)
            out.push_back({"steepest", finite[best]->lr, finite[best]->step});
    }

    // Valley: fastai's rule on the points fastai gives it (lr_find in fastai/callback/schedule.py):
    // the recorded points from step plannedSteps/10 up to the fifth last, the finite ones; there,
    // the longest strictly decreasing subsequence, counted back from where it ends, and the point
    // a third plus a sixth of its length after its start. Without the trim, and with that start
    // clamped at 0, the suggestion could be one grid step off fastai's.
    if (const auto v = valleyIndex(points, plannedSteps))
        out.push_back({"valley", points[*v].lr, points[*v].step});

    // Minimum / 10.
    out.push_back({"minimum/10", finite[argmin]->lr / 10, finite[argmin]->step});
    return out;
}

Result run(const Options& options, const std::function<double(double lr)>& step,
           const std::function<void(const Point&)>& onPoint, const std::atomic<bool>* stop) {
    Tracker tracker(options);
    while (!tracker.done()) {
        if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
            tracker.requestStop();
            break;
        }
        tracker.record(step(tracker.nextLr()));
        if (onPoint) onPoint(tracker.points().back());
    }
    return {tracker.points(), *tracker.stop(), suggest(tracker.points(), options.steps)};
}

}  // namespace runboard::sweep
