#include "widgets/plot/plot_scale.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace runboard::widgets {

namespace {
// How many multiples of d lie in [lo, hi].
std::int64_t tickCount(double lo, double hi, double d) {
    const double eps = 1e-9;
    return static_cast<std::int64_t>(std::floor(hi / d + eps) - std::ceil(lo / d - eps)) + 1;
}

double scaled(double v, bool log) {
    return log ? std::log10(v) : v;
}

double unscaled(double v, bool log) {
    return log ? std::pow(10.0, v) : v;
}

// Where v lies between a and b on a linear or log scale, as a fraction (0.5 when a == b).
double fraction(double v, double a, double b, bool log) {
    const double sa = scaled(a, log), sb = scaled(b, log);
    return sb != sa ? (scaled(v, log) - sa) / (sb - sa) : 0.5;
}
}  // namespace

QPointF PlotMapping::toPixel(double x, double y) const {
    return {area.left() + fraction(x, x0, x1, logX) * area.width(),
            area.bottom() - fraction(y, y0, y1, logY) * area.height()};
}

double PlotMapping::xAt(double px) const {
    if (area.width() <= 0) return x0;
    const double f = (px - area.left()) / area.width();
    return unscaled(scaled(x0, logX) + f * (scaled(x1, logX) - scaled(x0, logX)), logX);
}

double PlotMapping::yAt(double py) const {
    if (area.height() <= 0) return y0;
    const double f = (area.bottom() - py) / area.height();
    return unscaled(scaled(y0, logY) + f * (scaled(y1, logY) - scaled(y0, logY)), logY);
}

bool usableRange(double lo, double hi, bool log) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return false;
    if (log) return lo > 0 && hi / lo > 1 + 1e-9;
    return hi - lo > 1e-9 * std::max(std::abs(lo), std::abs(hi));
}

std::vector<double> linearTicks(double lo, double hi, int maxCount) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi < lo || maxCount < 1) return {};
    // A range a few ulps wide (zoomed in as far as a double goes) has one tick: its spacing would
    // be below what k * d can step through, and the loop below would never end.
    if (hi - lo <= 1e-12 * std::max(std::abs(lo), std::abs(hi))) return {lo};
    // The 1-2-5 spacings from a decade below range/maxCount upwards: the first that fits.
    const int e0 = static_cast<int>(std::floor(std::log10((hi - lo) / maxCount))) - 1;
    for (int e = e0; e < e0 + 12; ++e) {
        // k * mantissa * 10^e, divided rather than multiplied by a power of ten below one, so
        // that 3 x 0.2 is the double nearest 0.6.
        const double power = std::pow(10.0, std::abs(e));
        const auto value = [&](double units) { return e < 0 ? units / power : units * power; };
        for (double mantissa : {1.0, 2.0, 5.0}) {
            const double d = value(mantissa);
            if (tickCount(lo, hi, d) > maxCount) continue;
            std::vector<double> ticks;
            for (double k = std::ceil(lo / d - 1e-9);
                 value(k * mantissa) <= hi + d * 1e-9 && std::ssize(ticks) <= maxCount; k += 1)
                ticks.push_back(k == 0 ? 0.0 : value(k * mantissa));
            return ticks;
        }
    }
    return {};
}

std::vector<double> logTicks(double lo, double hi, int maxCount) {
    if (!(lo > 0) || !std::isfinite(hi) || hi < lo || maxCount < 1) return {};
    const int k0 = static_cast<int>(std::ceil(std::log10(lo) - 1e-9));
    const int k1 = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
    std::vector<double> ticks;
    if (k1 - k0 + 1 >= 2) {
        const int every = (k1 - k0) / maxCount + 1;
        for (int k = k0; k <= k1; ++k)
            if (k % every == 0) ticks.push_back(std::pow(10.0, k));
        if (ticks.size() >= 2) return ticks;
        ticks.clear();
    }
    for (int k = k0 - 1; k <= k1; ++k)
        for (double mantissa : {1.0, 2.0, 5.0}) {
            const double v = mantissa * std::pow(10.0, k);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
        }
    if (ticks.size() >= 2 && ticks.size() <= static_cast<std::size_t>(maxCount)) return ticks;
    // Evenly spaced values crowd at the top of a log axis: fewer of them.
    return linearTicks(lo, hi, std::max(2, maxCount / 2));
}

QString tickLabel(double value, double spacing) {
    spacing = std::abs(spacing);
    if (spacing == 0 || !std::isfinite(spacing)) return QString::number(value, 'g', 4);
    if (std::abs(value) < spacing * 1e-6) return QStringLiteral("0");
    if (std::abs(value) >= 1e7 || spacing < 1e-4) {
        const int digits = std::clamp(
            static_cast<int>(std::ceil(std::log10(std::abs(value) / spacing) + 1e-9)) + 1, 1, 12);
        return QString::number(value, 'g', digits);
    }
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(spacing) - 1e-9)));
    return QString::number(value, 'f', decimals);
}

}  // namespace runboard::widgets
