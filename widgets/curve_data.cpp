#include "widgets/curve_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace runboard::widgets {

std::vector<CurvePoint> m4Points(const std::vector<storage::Bucket>& columns) {
    std::vector<CurvePoint> out;
    out.reserve(columns.size() * 4);
    for (const storage::Bucket& b : columns) {
        if (b.finite == 0) continue;
        std::array<std::pair<std::int64_t, double>, 4> p = {std::pair{b.firstStep, b.first},
                                                            {b.minStep, b.min},
                                                            {b.maxStep, b.max},
                                                            {b.lastStep, b.last}};
        std::sort(p.begin(), p.end(),
                  [](const auto& a, const auto& c) { return a.first < c.first; });
        for (std::size_t i = 0; i < p.size(); ++i) {
            if (i > 0 && p[i].first == p[i - 1].first) continue;
            out.push_back({static_cast<double>(p[i].first), p[i].second});
        }
    }
    return out;
}

std::vector<CurvePoint> smoothColumns(const std::vector<storage::Bucket>& columns, double weight) {
    std::vector<CurvePoint> out;
    out.reserve(columns.size());
    double last = 0, decay = 1;  // decay = weight^(points so far), for the debiasing
    for (const storage::Bucket& b : columns) {
        if (b.finite == 0) continue;
        const double w = std::pow(weight, static_cast<double>(b.finite));
        last = last * w + (1.0 - w) * b.mean();
        decay *= w;
        const double debiased = weight > 0 ? last / (1.0 - decay) : b.mean();
        // Drawn at the column's centre of mass in steps: its mean step is not stored, the middle
        // of its first and last finite steps is.
        out.push_back({0.5 * static_cast<double>(b.firstStep + b.lastStep), debiased});
    }
    return out;
}

std::vector<double> nonFiniteSteps(const std::vector<storage::Bucket>& columns) {
    std::vector<double> out;
    for (const storage::Bucket& b : columns)
        if (b.nonFinite > 0) out.push_back(static_cast<double>(b.firstNonFiniteStep));
    return out;
}

double mapStep(const std::vector<Anchor>& a, double step) {
    if (a.empty()) return step;
    if (a.size() == 1) return a.front().value + (step - a.front().step);
    auto hi = std::lower_bound(a.begin(), a.end(), step,
                               [](const Anchor& x, double s) { return x.step < s; });
    if (hi == a.begin()) ++hi;
    if (hi == a.end()) --hi;
    const Anchor& l = *(hi - 1);
    const Anchor& h = *hi;
    const double span = h.step - l.step;
    return span == 0 ? l.value : l.value + (step - l.step) * (h.value - l.value) / span;
}

void remapX(std::vector<CurvePoint>& points, const std::vector<Anchor>& anchors) {
    for (CurvePoint& p : points)
        p.x = mapStep(anchors, p.x);
}

LogClip clipForLog(const std::vector<CurvePoint>& points, double floor) {
    LogClip c;
    c.points.reserve(points.size());
    for (CurvePoint p : points) {
        if (p.y <= 0) {
            p.y = floor;
            c.clipped.push_back(p);
        }
        c.points.push_back(p);
    }
    return c;
}

std::pair<double, double> stableRange(std::optional<std::pair<double, double>> current, double lo,
                                      double hi, bool log, double fill) {
    auto fresh = [&]() -> std::pair<double, double> {
        if (log) return {lo / 1.5, hi * 1.5};
        // One value (one point, or a flat series): 5% of it, so that it is not squashed into
        // the middle of a range two units wide.
        const double pad = hi > lo ? (hi - lo) * 0.05 : lo != 0 ? std::abs(lo) * 0.05 : 1.0;
        return {lo - pad, hi + pad};
    };
    if (!current || current->first >= current->second) return fresh();
    const auto [a, b] = *current;
    if (lo < a || hi > b) return fresh();
    const double span = log ? std::log10(b) - std::log10(a) : b - a;
    const double data = log ? std::log10(hi) - std::log10(lo) : hi - lo;
    return data >= fill * span ? *current : fresh();
}

std::pair<double, double> xRangeFor(double lo, double hi) {
    const double span = hi - lo;
    if (span > 1e-9 * std::max(1.0, std::abs(lo))) return {lo, hi};
    const double mid = 0.5 * (lo + hi);
    return {mid - 1, mid + 1};
}

namespace {
// y at x by linear interpolation; the curve is sorted by x and x lies inside it.
double interpolate(const std::vector<CurvePoint>& c, double x) {
    auto it = std::lower_bound(c.begin(), c.end(), x,
                               [](const CurvePoint& p, double v) { return p.x < v; });
    if (it == c.begin()) return it->y;
    if (it == c.end()) return c.back().y;
    const CurvePoint& b = *it;
    const CurvePoint& a = *(it - 1);
    return b.x == a.x ? b.y : a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x);
}
}  // namespace

GroupCurve groupCurve(const std::vector<const std::vector<CurvePoint>*>& curves, bool minMax) {
    GroupCurve g;
    if (curves.size() < 2) return g;
    double lo = -std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto* c : curves) {
        if (c->empty()) return g;
        lo = std::max(lo, c->front().x);
        hi = std::min(hi, c->back().x);
    }
    const double n = static_cast<double>(curves.size());
    for (const CurvePoint& p : *curves.front()) {
        if (p.x < lo || p.x > hi) continue;
        double sum = 0, sumSq = 0, mn = std::numeric_limits<double>::infinity(), mx = -mn;
        for (const auto* c : curves) {
            const double y = interpolate(*c, p.x);
            sum += y;
            sumSq += y * y;
            mn = std::min(mn, y);
            mx = std::max(mx, y);
        }
        const double mean = sum / n;
        const double sd = std::sqrt(std::max(0.0, (sumSq - n * mean * mean) / (n - 1)));
        g.mean.push_back({p.x, mean});
        g.low.push_back({p.x, minMax ? mn : mean - sd});
        g.high.push_back({p.x, minMax ? mx : mean + sd});
    }
    return g;
}

}  // namespace runboard::widgets
