#pragma once
// Value <-> pixel mapping and axis ticks of the plot component, apart from any widget so that the
// tick rules are tested against brute force without a screen.

#include <QPointF>
#include <QRectF>
#include <QString>
#include <vector>

namespace runboard::widgets {

struct PlotPoint {
    double x = 0;
    double y = 0;
    bool operator==(const PlotPoint&) const = default;
};

// Value <-> pixel mapping of a plot area (widget coordinates). On a log axis both ends and every
// mapped value must be > 0.
struct PlotMapping {
    QRectF area;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    bool logX = false;
    bool logY = false;

    QPointF toPixel(double x, double y) const;
    double xAt(double px) const;
    double yAt(double py) const;
    bool operator==(const PlotMapping&) const = default;
};

// Whether [lo, hi] can be shown: finite, lo < hi by more than rounding, and lo > 0 on a log
// axis. A zoom that would leave this (in past a double's precision, out to 0 or infinity on a log
// axis) is not made.
bool usableRange(double lo, double hi, bool log);

// Tick values inside [lo, hi] at multiples of 1, 2 or 5 x 10^k: the finest such spacing that
// gives at most maxCount ticks (at least 2 when the range allows).
std::vector<double> linearTicks(double lo, double hi, int maxCount);
// Ticks for a log axis over [lo, hi] (both > 0): the powers of ten inside; with fewer than two of
// those, their 1-2-5 multiples; with fewer still, linear ticks. At most maxCount (every k-th
// decade when there are more).
std::vector<double> logTicks(double lo, double hi, int maxCount);
// A tick label: as many decimals as the spacing needs, and no "-0".
QString tickLabel(double value, double spacing);

}  // namespace runboard::widgets
