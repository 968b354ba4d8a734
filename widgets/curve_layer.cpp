#include "widgets/curve_layer.h"

#include <QFontMetrics>
#include <QPainter>
#include <QPolygonF>
#include <algorithm>
#include <cmath>

namespace runboard::widgets {

namespace {
constexpr double kMarkerSize = 9;
constexpr double kDotRadius = 3.5;      // a series of one point (a 1-epoch run's val/accuracy)
constexpr int kGap = 5;                 // between the plot, its tick labels and the titles
constexpr double kXTickSpacingPx = 90;  // at most one x tick this many pixels apart
constexpr double kYTickSpacingPx = 40;

// How many multiples of d lie in [lo, hi].
std::int64_t tickCount(double lo, double hi, double d) {
    const double eps = 1e-9;
    return static_cast<std::int64_t>(std::floor(hi / d + eps) - std::ceil(lo / d - eps)) + 1;
}

double scaled(double v, bool log) {
    return log ? std::log10(v) : v;
}
}  // namespace

QPointF PlotMapping::toPixel(double x, double y) const {
    const double fx = x1 != x0 ? (x - x0) / (x1 - x0) : 0.5;
    const double a = scaled(y0, logY), b = scaled(y1, logY);
    const double fy = b != a ? (scaled(y, logY) - a) / (b - a) : 0.5;
    return {area.left() + fx * area.width(), area.bottom() - fy * area.height()};
}

double PlotMapping::xAt(double px) const {
    if (area.width() <= 0) return x0;
    return x0 + (px - area.left()) / area.width() * (x1 - x0);
}

std::vector<double> linearTicks(double lo, double hi, int maxCount) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi < lo || maxCount < 1) return {};
    if (hi == lo) return {lo};
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
            for (double k = std::ceil(lo / d - 1e-9); value(k * mantissa) <= hi + d * 1e-9; k += 1)
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
    return linearTicks(lo, hi, maxCount);
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

CurveLayer::CurveLayer(QGraphicsItem* parent) : QGraphicsItem(parent) {
    layoutAxes();
    setAcceptedMouseButtons(Qt::NoButton);  // the chart view's zoom and crosshair get the mouse
}

void CurveLayer::setMapping(const PlotMapping& mapping) {
    if (mapping == mapping_) return;
    prepareGeometryChange();
    mapping_ = mapping;
    layoutAxes();
    update();
}

void CurveLayer::setTitles(const QString& x, const QString& y) {
    if (x == xTitle_ && y == yTitle_) return;
    prepareGeometryChange();
    xTitle_ = x;
    yTitle_ = y;
    layoutAxes();  // where the y title goes depends on its width
    update();
}

namespace {
// The labels of ticks: spaced like their neighbours on a linear axis, per value on a log one.
QStringList labelsOf(const std::vector<double>& ticks, bool log) {
    QStringList labels;
    const double spacing = ticks.size() >= 2 ? ticks[1] - ticks[0] : 0;
    for (double v : ticks)
        labels << (log ? QString::number(v, 'g', 3) : tickLabel(v, spacing));
    return labels;
}
}  // namespace

void CurveLayer::layoutAxes() {
    xTicks_ = linearTicks(mapping_.x0, mapping_.x1,
                          std::max(2, static_cast<int>(mapping_.area.width() / kXTickSpacingPx)));
    const int count = std::max(2, static_cast<int>(mapping_.area.height() / kYTickSpacingPx));
    // At least two labels when the range allows: the coarsest 1-2-5 spacing that fits can leave
    // one ("10" on 9.6..10.4 in a short panel), which says nothing about the scale. A finer
    // spacing with a few more ticks than asked for is the lesser evil.
    for (int n = count; n <= 3 * count; ++n) {
        yTicks_ = mapping_.logY ? logTicks(mapping_.y0, mapping_.y1, n)
                                : linearTicks(mapping_.y0, mapping_.y1, n);
        if (yTicks_.size() >= 2) break;
    }
    xLabels_ = labelsOf(xTicks_, false);
    yLabels_ = labelsOf(yTicks_, mapping_.logY);
    const QFontMetrics fm(font_);
    int widest = fm.horizontalAdvance(QStringLiteral("0.0"));
    for (const QString& label : yLabels_)
        widest = std::max(widest, fm.horizontalAdvance(label));
    const int line = fm.height();
    // The y title runs up the left edge; when the plot is too short for it (the metric's name
    // was elided to "val/...racy"), it goes above the plot, whole, and the top margin grows.
    yTitleAbove_ = fm.horizontalAdvance(yTitle_) > mapping_.area.height() - 4;
    margins_ = {line + widest + 3 * kGap, yTitleAbove_ ? line + kGap : line,
                fm.horizontalAdvance(QStringLiteral("00000")) / 2 + kGap, 2 * line + 3 * kGap};
}

void CurveLayer::setContent(std::vector<CurveLine> lines, std::vector<CurveMarkers> markers,
                            std::vector<CurveBand> bands) {
    lines_ = std::move(lines);
    markers_ = std::move(markers);
    bands_ = std::move(bands);
    update();
}

QRectF CurveLayer::boundingRect() const {
    return mapping_.area.marginsAdded(margins_.toMarginsF());
}

void CurveLayer::paintAxes(QPainter* painter) const {
    const QRectF& area = mapping_.area;
    const QFontMetrics fm(font_);
    painter->setFont(font_);
    const auto& xs = xTicks_;
    const auto& ys = yTicks_;
    const QStringList& xLabels = xLabels_;
    const QStringList& yLabels = yLabels_;
    // Grid (crisp: one pixel, no antialiasing), then the frame, then labels and titles.
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(QPen(QColor(0xe4, 0xe4, 0xe4), 1));
    for (double x : xs) {
        const double px = std::round(mapping_.toPixel(x, mapping_.y0).x());
        painter->drawLine(QPointF(px, area.top()), QPointF(px, area.bottom()));
    }
    for (double y : ys) {
        const double py = std::round(mapping_.toPixel(mapping_.x0, y).y());
        painter->drawLine(QPointF(area.left(), py), QPointF(area.right(), py));
    }
    painter->setPen(QPen(QColor(0x9e, 0x9e, 0x9e), 1));
    painter->drawRect(area);
    painter->setPen(QColor(0x42, 0x42, 0x42));
    const double line = fm.height();
    // A label wider than the right margin (a 1M-step run's "1000000") ends at the layer's edge
    // instead of being cut by the panel's; the margin stays put, so the plot's width (and the
    // data loaded for it) does not depend on the labels.
    const double right = area.right() + margins_.right();
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double px = mapping_.toPixel(xs[i], mapping_.y0).x();
        const double w = fm.horizontalAdvance(xLabels[static_cast<qsizetype>(i)]);
        const double left = std::min(px - w / 2 - 1, right - w - 2);
        painter->drawText(QRectF(left, area.bottom() + kGap, w + 2, line), Qt::AlignCenter,
                          xLabels[static_cast<qsizetype>(i)]);
    }
    for (std::size_t i = 0; i < ys.size(); ++i) {
        const double py = mapping_.toPixel(mapping_.x0, ys[i]).y();
        painter->drawText(QRectF(area.left() - kGap - 200, py - line / 2, 200, line),
                          Qt::AlignRight | Qt::AlignVCenter, yLabels[static_cast<qsizetype>(i)]);
    }
    painter->drawText(QRectF(area.left(), area.bottom() + 2 * kGap + line, area.width(), line),
                      Qt::AlignCenter, xTitle_);
    const QRectF full = boundingRect();
    if (yTitleAbove_) {
        painter->drawText(QRectF(full.left() + kGap, full.top(), full.width() - kGap, line),
                          Qt::AlignLeft | Qt::AlignVCenter,
                          fm.elidedText(yTitle_, Qt::ElideMiddle, static_cast<int>(full.width())));
        return;
    }
    painter->save();
    painter->translate(full.left() + kGap, area.center().y());
    painter->rotate(-90);
    painter->drawText(QRectF(-area.height() / 2, 0, area.height(), line), Qt::AlignCenter, yTitle_);
    painter->restore();
}

void CurveLayer::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    if (mapping_.area.isEmpty()) return;
    painter->save();
    paintAxes(painter);
    painter->setClipRect(mapping_.area);
    painter->setRenderHint(QPainter::Antialiasing, true);
    QPolygonF polygon;
    std::vector<QLineF> segments;
    for (const CurveBand& band : bands_) {  // under the lines
        polygon.clear();
        for (const CurvePoint& p : band.high)
            polygon << mapping_.toPixel(p.x, p.y);
        for (auto it = band.low.rbegin(); it != band.low.rend(); ++it)
            polygon << mapping_.toPixel(it->x, it->y);
        painter->setPen(Qt::NoPen);
        painter->setBrush(band.color);
        painter->drawPolygon(polygon);
    }
    painter->setBrush(Qt::NoBrush);
    for (const CurveLine& line : lines_) {
        if (line.points.empty()) continue;
        if (line.points.size() == 1) {  // a polyline of one point draws nothing: a dot instead
            const QPointF c = mapping_.toPixel(line.points.front().x, line.points.front().y);
            const double r = std::max(kDotRadius, line.pen.widthF() + 1.5);
            painter->save();
            painter->setClipRect(mapping_.area.adjusted(-r - 1, -r - 1, r + 1, r + 1));
            painter->setPen(QPen(line.pen.color().darker(120), 1));
            painter->setBrush(line.pen.color());
            painter->drawEllipse(c, r, r);
            painter->restore();
            continue;
        }
        polygon.resize(static_cast<qsizetype>(line.points.size()));
        for (std::size_t i = 0; i < line.points.size(); ++i)
            polygon[static_cast<qsizetype>(i)] =
                mapping_.toPixel(line.points[i].x, line.points[i].y);
        painter->setPen(line.pen);
        if (line.pen.widthF() <= 1) {  // the raster engine's fast path for thin pens
            painter->drawPolyline(polygon);
            continue;
        }
        // A wide polyline is stroked as one path with a join at every vertex (about 4 ms for
        // 650 points on these machines); its segments with the pen's caps look the same and
        // take a sixth of that.
        segments.clear();
        for (qsizetype i = 1; i < polygon.size(); ++i)
            segments.emplace_back(polygon[i - 1], polygon[i]);
        painter->drawLines(segments.data(), static_cast<int>(segments.size()));
    }
    const double half = kMarkerSize / 2;
    for (const CurveMarkers& m : markers_) {
        painter->setPen(QPen(m.color.darker(130), 1));
        painter->setBrush(m.color);
        for (const CurvePoint& p : m.points) {
            QPointF c = mapping_.toPixel(p.x, m.pinTop ? mapping_.y1 : p.y);
            if (m.pinTop) c.setY(mapping_.area.top() + half + 1);
            if (m.shape == CurveMarkers::Shape::Square) {
                painter->drawRect(QRectF(c.x() - half, c.y() - half, kMarkerSize, kMarkerSize));
            } else {
                const QPointF tri[3] = {{c.x(), c.y() + half},
                                        {c.x() - half, c.y() - half},
                                        {c.x() + half, c.y() - half}};
                painter->drawPolygon(tri, 3);
            }
        }
    }
    painter->restore();
}

}  // namespace runboard::widgets
