#pragma once
// What a curve panel draws, computed off the GUI thread from storage's envelope: the M4 polyline
// (per column the first, min, max and last point, in step order), the smoothed line, and where
// non-finite values are. Plain C++, so it is tested against brute force without a screen.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "storage/series_summary.h"
#include "widgets/plot/plot_scale.h"

namespace runboard::widgets {

using CurvePoint = PlotPoint;

// Per column: first, min, max, last (finite values), ordered by step, duplicates dropped. At most
// four points a column, and every extreme of the raw series is a vertex.
std::vector<CurvePoint> m4Points(const std::vector<storage::Bucket>& columns);

// TensorBoard's smoothing: a debiased exponential moving average with `weight` in [0, 1). Over
// columns, each column's mean enters `finite` times (its decay is weight^finite), which equals the
// EMA over every raw point when columns hold one point and approximates it otherwise.
std::vector<CurvePoint> smoothColumns(const std::vector<storage::Bucket>& columns, double weight);

// The steps of columns that hold NaN or Inf (the first such step of each).
std::vector<double> nonFiniteSteps(const std::vector<storage::Bucket>& columns);

// Maps x from steps to another axis through anchors (step, value) sorted by step: linear between
// anchors, extended with the nearest segment's slope beyond them. With one anchor the map is a
// shift. Used for the epoch axis (anchors: each epoch's last step) and wall time (anchors: the
// wall clock at column ends).
struct Anchor {
    double step = 0;
    double value = 0;
};
double mapStep(const std::vector<Anchor>& anchors, double step);
void remapX(std::vector<CurvePoint>& points, const std::vector<Anchor>& anchors);

// Values <= 0 cannot be drawn on a log axis: they are clipped to `floor` and reported.
struct LogClip {
    std::vector<CurvePoint> points;
    std::vector<CurvePoint> clipped;  // where they were clipped (at the floor)
};
LogClip clipForLog(const std::vector<CurvePoint>& points, double floor);

// The y range for data in [lo, hi] (hi >= lo; on a log axis both > 0): the current range while
// the data stays inside it and fills at least `fill` of it, so that live updates leave the axis
// (and QtCharts' relayout of its labels, ~10 ms a panel) alone; otherwise the data with 5%
// padding (a factor of 1.5 on a log axis; 5% of the value itself when lo == hi).
std::pair<double, double> stableRange(std::optional<std::pair<double, double>> current, double lo,
                                      double hi, bool log, double fill = 0.7);

// The x range that shows points spanning [lo, hi]: that extent, or, when every point has the same
// x (a 1-epoch run's val/accuracy), a range of 2 with the point in the middle (on the edge it was
// half clipped, and QtCharts drops a range narrower than its fuzzy compare).
std::pair<double, double> xRangeFor(double lo, double hi);

// A group of seed repeats as one curve: on the first curve's x values inside the range every curve
// covers, the mean over the runs (each linearly interpolated) and a band, either min..max or
// mean ± one standard deviation (n − 1). Empty for fewer than two curves or no common range.
struct GroupCurve {
    std::vector<CurvePoint> mean, low, high;
};
GroupCurve groupCurve(const std::vector<const std::vector<CurvePoint>*>& curves, bool minMax);

}  // namespace runboard::widgets
