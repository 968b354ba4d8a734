#include "widgets/plot/plot_widget.h"

#include <QFontMetrics>
#include <QPaintEvent>
#include <QPainter>
#include <QPolygonF>
#include <algorithm>
#include <cmath>

namespace runboard::widgets {

namespace {
constexpr double kDotRadius = 3.5;      // a line of one point (a 1-epoch run's val/accuracy)
constexpr int kGap = 5;                 // between the plot, its tick labels and the titles
constexpr double kXTickSpacingPx = 90;  // at most one x tick this many pixels apart
constexpr double kYTickSpacingPx = 40;
const QColor kGrid(0xe4, 0xe4, 0xe4);
const QColor kMinorGrid(0xf0, 0xf0, 0xf0);
const QColor kFrame(0x9e, 0x9e, 0x9e);
const QColor kText(0x42, 0x42, 0x42);

// The labels of ticks: spaced like their neighbours on a linear axis, per value on a log one.
QStringList labelsOf(const std::vector<double>& ticks, bool log) {
    QStringList labels;
    const double spacing = ticks.size() >= 2 ? ticks[1] - ticks[0] : 0;
    for (double v : ticks)
        labels << (log ? QString::number(v, 'g', 3) : tickLabel(v, spacing));
    return labels;
}

// 2..9 x 10^k inside [lo, hi] when the ticks are consecutive decades: a log axis's minor grid.
std::vector<double> minorLogTicks(const std::vector<double>& ticks, double lo, double hi) {
    if (ticks.size() < 2 || std::abs(ticks[1] / ticks[0] - 10) > 1e-6) return {};
    std::vector<double> out;
    for (int k = static_cast<int>(std::floor(std::log10(lo)));
         k <= static_cast<int>(std::ceil(std::log10(hi))); ++k)
        for (int m = 2; m <= 9; ++m)
            if (const double v = m * std::pow(10.0, k); v > lo && v < hi) out.push_back(v);
    return out;
}
}  // namespace

PlotWidget::PlotWidget(QWidget* parent) : QWidget(parent) {
    // Everything is repainted anyway; Qt need not clear the background first.
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(120, 60);
    relayout();
}

void PlotWidget::setContent(PlotContent content) {
    content_ = std::move(content);
    update();
}

void PlotWidget::appendToLine(std::size_t line, PlotPoint point) {
    if (line >= content_.lines.size()) return;
    content_.lines[line].points.push_back(point);
    update();
}

void PlotWidget::setRanges(double x0, double x1, double y0, double y1) {
    if (x0 == mapping_.x0 && x1 == mapping_.x1 && y0 == mapping_.y0 && y1 == mapping_.y1) return;
    mapping_.x0 = x0;
    mapping_.x1 = x1;
    mapping_.y0 = y0;
    mapping_.y1 = y1;
    relayout();
}

void PlotWidget::setLogScales(bool logX, bool logY) {
    if (logX == mapping_.logX && logY == mapping_.logY) return;
    mapping_.logX = logX;
    mapping_.logY = logY;
    relayout();
}

void PlotWidget::setPlaceholder(const QString& text) {
    if (text == placeholder_) return;
    placeholder_ = text;
    update();
}

void PlotWidget::setXIntegers(bool on) {
    if (on == xIntegers_) return;
    xIntegers_ = on;
    relayout();
}

void PlotWidget::setTitles(const QString& x, const QString& y) {
    if (x == xTitle_ && y == yTitle_) return;
    xTitle_ = x;
    yTitle_ = y;
    relayout();  // where the y title goes depends on its width
}

void PlotWidget::addOverlay(QObject* owner, PlotOverlay* overlay) {
    overlays_.emplace_back(owner, overlay);
}

void PlotWidget::resizeEvent(QResizeEvent*) {
    relayout();
}

void PlotWidget::layoutTicks() {
    const PlotMapping& m = mapping_;
    int xCount = std::max(2, static_cast<int>(m.area.width() / kXTickSpacingPx));
    // Steps and epochs are whole numbers: no tick at 14.2.
    if (xIntegers_ && !m.logX && std::isfinite(m.x0) && std::isfinite(m.x1)) {
        const double room = std::floor(m.x1) - std::ceil(m.x0) + 1;
        if (room >= 1 && room < xCount) xCount = static_cast<int>(room);
    }
    xTicks_ = m.logX ? logTicks(m.x0, m.x1, xCount) : linearTicks(m.x0, m.x1, xCount);
    const int count = std::max(2, static_cast<int>(m.area.height() / kYTickSpacingPx));
    // At least two labels when the range allows: the coarsest 1-2-5 spacing that fits can leave
    // one ("10" on 9.6..10.4 in a short panel), which says nothing about the scale. A finer
    // spacing with a few more ticks than asked for is the lesser evil.
    for (int n = count; n <= 3 * count; ++n) {
        yTicks_ = m.logY ? logTicks(m.y0, m.y1, n) : linearTicks(m.y0, m.y1, n);
        if (yTicks_.size() >= 2) break;
    }
    xLabels_ = labelsOf(xTicks_, m.logX);
    yLabels_ = labelsOf(yTicks_, m.logY);
}

QMargins PlotWidget::marginsNeeded() {
    const QFontMetrics fm(font_);
    int widest = fm.horizontalAdvance(QStringLiteral("0.0"));
    for (const QString& label : yLabels_)
        widest = std::max(widest, fm.horizontalAdvance(label));
    const int line = fm.height();
    // The y title runs up the left edge; when the plot is too short for it (the metric's name
    // was elided to "val/...racy"), it goes above the plot, whole, and the top margin grows.
    yTitleAbove_ = fm.horizontalAdvance(yTitle_) > mapping_.area.height() - 4;
    return {line + widest + 3 * kGap, yTitleAbove_ ? line + 2 * kGap : line,
            fm.horizontalAdvance(QStringLiteral("00000")) / 2 + kGap, 2 * line + 3 * kGap};
}

void PlotWidget::relayout() {
    // The margins depend on the labels, which depend on the area: a fixed point, reached in one
    // or two passes (a wider y label, or the y title moving above a short plot).
    for (int pass = 0; pass < 3; ++pass) {
        mapping_.area = QRectF(rect()).marginsRemoved(margins_.toMarginsF());
        layoutTicks();
        const QMargins need = marginsNeeded();
        if (need == margins_) break;
        margins_ = need;
    }
    mapping_.area = QRectF(rect()).marginsRemoved(margins_.toMarginsF());
    update();
}

void PlotWidget::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    paintPlot(painter);
}

void PlotWidget::paintPlot(QPainter& painter) {
    painter.save();
    painter.fillRect(rect(), Qt::white);
    if (mapping_.area.width() > 1 && mapping_.area.height() > 1) {
        paintAxes(painter);
        paintContent(painter);
        if (!placeholder_.isEmpty() && content_.lines.empty() && content_.markers.empty() &&
            content_.bands.empty()) {
            painter.setPen(QColor(0x75, 0x75, 0x75));
            painter.drawText(mapping_.area, Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
        }
    }
    painter.restore();
    for (const auto& [owner, overlay] : overlays_) {
        if (owner.isNull()) continue;
        painter.save();
        overlay->paintOverlay(painter, mapping_);
        painter.restore();
    }
}

void PlotWidget::paintAxes(QPainter& painter) const {
    const PlotMapping& m = mapping_;
    const QRectF& area = m.area;
    const QFontMetrics fm(font_);
    painter.setFont(font_);
    // Grid (crisp: one pixel, no antialiasing), then the frame, then labels and titles.
    painter.setRenderHint(QPainter::Antialiasing, false);
    const auto verticals = [&](const std::vector<double>& xs) {
        for (double x : xs) {
            const double px = std::round(m.toPixel(x, m.y0).x());
            painter.drawLine(QPointF(px, area.top()), QPointF(px, area.bottom()));
        }
    };
    const auto horizontals = [&](const std::vector<double>& ys) {
        for (double y : ys) {
            const double py = std::round(m.toPixel(m.x0, y).y());
            painter.drawLine(QPointF(area.left(), py), QPointF(area.right(), py));
        }
    };
    painter.setPen(QPen(kMinorGrid, 1));
    if (m.logX) verticals(minorLogTicks(xTicks_, m.x0, m.x1));
    if (m.logY) horizontals(minorLogTicks(yTicks_, m.y0, m.y1));
    painter.setPen(QPen(kGrid, 1));
    verticals(xTicks_);
    horizontals(yTicks_);
    painter.setPen(QPen(kFrame, 1));
    painter.drawRect(area);
    painter.setPen(kText);
    const double line = fm.height();
    // A label wider than the right margin (a 1M-step run's "1000000") ends at the widget's edge
    // instead of being cut; the margin stays put, so the plot's width (and the data loaded for
    // it) does not depend on the labels.
    const double right = area.right() + margins_.right();
    for (std::size_t i = 0; i < xTicks_.size(); ++i) {
        const QString& label = xLabels_[static_cast<qsizetype>(i)];
        const double px = m.toPixel(xTicks_[i], m.y0).x();
        const double w = fm.horizontalAdvance(label);
        const double left = std::min(px - w / 2 - 1, right - w - 2);
        painter.drawText(QRectF(left, area.bottom() + kGap, w + 2, line), Qt::AlignCenter, label);
    }
    for (std::size_t i = 0; i < yTicks_.size(); ++i) {
        const double py = m.toPixel(m.x0, yTicks_[i]).y();
        painter.drawText(QRectF(area.left() - kGap - 200, py - line / 2, 200, line),
                         Qt::AlignRight | Qt::AlignVCenter, yLabels_[static_cast<qsizetype>(i)]);
    }
    painter.drawText(QRectF(area.left(), area.bottom() + 2 * kGap + line, area.width(), line),
                     Qt::AlignCenter, xTitle_);
    const QRectF full = area.marginsAdded(margins_.toMarginsF());
    if (yTitleAbove_) {
        painter.drawText(QRectF(full.left() + kGap, full.top(), full.width() - kGap, line),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         fm.elidedText(yTitle_, Qt::ElideMiddle, static_cast<int>(full.width())));
        return;
    }
    painter.save();
    painter.translate(full.left() + kGap, area.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-area.height() / 2, 0, area.height(), line), Qt::AlignCenter, yTitle_);
    painter.restore();
}

void PlotWidget::paintContent(QPainter& painter) const {
    const PlotMapping& m = mapping_;
    painter.save();
    painter.setClipRect(m.area);
    painter.setRenderHint(QPainter::Antialiasing, true);
    QPolygonF polygon;
    std::vector<QLineF> segments;
    for (const PlotBand& band : content_.bands) {  // under the lines
        polygon.clear();
        for (const PlotPoint& p : band.high)
            polygon << m.toPixel(p.x, p.y);
        for (auto it = band.low.rbegin(); it != band.low.rend(); ++it)
            polygon << m.toPixel(it->x, it->y);
        painter.setPen(Qt::NoPen);
        painter.setBrush(band.color);
        painter.drawPolygon(polygon);
    }
    painter.setBrush(Qt::NoBrush);
    for (const PlotLine& line : content_.lines) {
        if (line.points.empty()) continue;
        if (line.points.size() == 1) {  // a polyline of one point draws nothing: a dot instead
            const QPointF c = m.toPixel(line.points.front().x, line.points.front().y);
            const double r = std::max(kDotRadius, line.pen.widthF() + 1.5);
            painter.save();
            painter.setClipRect(m.area.adjusted(-r - 1, -r - 1, r + 1, r + 1));
            painter.setPen(QPen(line.pen.color().darker(120), 1));
            painter.setBrush(line.pen.color());
            painter.drawEllipse(c, r, r);
            painter.restore();
            continue;
        }
        polygon.resize(static_cast<qsizetype>(line.points.size()));
        for (std::size_t i = 0; i < line.points.size(); ++i)
            polygon[static_cast<qsizetype>(i)] = m.toPixel(line.points[i].x, line.points[i].y);
        painter.setPen(line.pen);
        if (line.pen.widthF() <= 1 || line.pen.style() != Qt::SolidLine) {
            painter.drawPolyline(polygon);  // the raster engine's fast path for thin pens
            continue;
        }
        // A wide polyline is stroked as one path with a join at every vertex (about 4 ms for
        // 650 points on these machines); its segments with the pen's caps look the same and
        // take a sixth of that.
        segments.clear();
        for (qsizetype i = 1; i < polygon.size(); ++i)
            segments.emplace_back(polygon[i - 1], polygon[i]);
        painter.drawLines(segments.data(), static_cast<int>(segments.size()));
    }
    const QFontMetrics fm(font_);
    for (const PlotMarkers& markers : content_.markers) {
        const double half = markers.size / 2;
        painter.setPen(QPen(markers.color.darker(130), 1));
        painter.setBrush(markers.color);
        for (const PlotPoint& p : markers.points) {
            QPointF c = m.toPixel(p.x, markers.pinTop ? m.y1 : p.y);
            if (markers.pinTop) c.setY(m.area.top() + half + 1);
            switch (markers.shape) {
                case PlotMarkers::Shape::Square:
                    painter.drawRect(
                        QRectF(c.x() - half, c.y() - half, markers.size, markers.size));
                    break;
                case PlotMarkers::Shape::Circle:
                    painter.drawEllipse(c, half, half);
                    break;
                case PlotMarkers::Shape::Triangle: {
                    const QPointF tri[3] = {{c.x(), c.y() + half},
                                            {c.x() - half, c.y() - half},
                                            {c.x() + half, c.y() - half}};
                    painter.drawPolygon(tri, 3);
                    break;
                }
            }
        }
    }
    // Marker labels may leave the plot area (a suggestion near the top edge), not the widget.
    painter.setClipping(false);
    painter.setFont(font_);
    for (const auto& [box, label] : placeLabels()) {
        painter.setPen(label->color);
        painter.drawText(box.topLeft() + QPointF(0, fm.ascent()), label->text);
    }
    painter.restore();
}

std::vector<std::pair<QRectF, const PlotLabel*>> PlotWidget::placeLabels() const {
    // Each label goes where it asks to unless an earlier one is there: then a line further up or
    // down, the nearest free place first (overlaid sweeps put their suggestions close together).
    const PlotMapping& m = mapping_;
    const QFontMetrics fm(font_);
    std::vector<std::pair<QRectF, const PlotLabel*>> placed;
    std::vector<QRectF> marks;  // labels do not cover markers either
    for (const PlotMarkers& markers : content_.markers)
        for (const PlotPoint& p : markers.points) {
            const QPointF c = m.toPixel(p.x, p.y);
            marks.emplace_back(c.x() - markers.size / 2, c.y() - markers.size / 2, markers.size,
                               markers.size);
        }
    const auto taken = [&](const QRectF& r) {
        return std::any_of(placed.begin(), placed.end(),
                           [&](const auto& p) { return p.first.intersects(r); }) ||
               std::any_of(marks.begin(), marks.end(),
                           [&](const QRectF& k) { return k.intersects(r); });
    };
    for (const PlotMarkers& markers : content_.markers)
        for (std::size_t i = 0; i < markers.labels.size() && i < markers.points.size(); ++i) {
            const PlotLabel& label = markers.labels[i];
            const QPointF at = m.toPixel(markers.points[i].x, markers.points[i].y);
            if (label.text.isEmpty() || !m.area.contains(at)) continue;
            // Inside the plot: a label near an edge goes to the marker's other side.
            const QSizeF size(fm.horizontalAdvance(label.text), fm.height());
            QPointF offset = label.offset;
            if (at.x() + offset.x() + size.width() > m.area.right())
                offset.setX(-offset.x() - size.width());
            if (at.y() + offset.y() < m.area.top() ||
                at.y() + offset.y() + size.height() > m.area.bottom())
                offset.setY(-offset.y() - size.height());
            const QRectF wanted(at + offset, size);
            QRectF box = wanted;
            const auto fits = [&](const QRectF& r) { return m.area.contains(r) && !taken(r); };
            for (int step = 1; step <= 8 && !fits(box); ++step) {
                const int lines = (step + 1) / 2;  // 1 up, 1 down, 2 up, 2 down, ...
                box = wanted.translated(0, lines * fm.height() * (step % 2 == 1 ? -1 : 1));
            }
            if (!fits(box)) box = wanted;  // no room: where it asked
            placed.emplace_back(box, &label);
        }
    return placed;
}

}  // namespace runboard::widgets
