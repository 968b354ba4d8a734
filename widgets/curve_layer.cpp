#include "widgets/curve_layer.h"

#include <QPainter>
#include <QPolygonF>
#include <cmath>

namespace runboard::widgets {

namespace {
constexpr double kMarkerSize = 9;

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

CurveLayer::CurveLayer(QGraphicsItem* parent) : QGraphicsItem(parent) {
    setAcceptedMouseButtons(Qt::NoButton);  // the chart view's zoom and crosshair get the mouse
}

void CurveLayer::setMapping(const PlotMapping& mapping) {
    if (mapping == mapping_) return;
    prepareGeometryChange();
    mapping_ = mapping;
    update();
}

void CurveLayer::setContent(std::vector<CurveLine> lines, std::vector<CurveMarkers> markers) {
    lines_ = std::move(lines);
    markers_ = std::move(markers);
    update();
}

QRectF CurveLayer::boundingRect() const {
    return mapping_.area;
}

void CurveLayer::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    if (mapping_.area.isEmpty()) return;
    painter->save();
    painter->setClipRect(mapping_.area);
    painter->setRenderHint(QPainter::Antialiasing, true);
    QPolygonF polygon;
    for (const CurveLine& line : lines_) {
        if (line.points.empty()) continue;
        polygon.resize(static_cast<qsizetype>(line.points.size()));
        for (std::size_t i = 0; i < line.points.size(); ++i)
            polygon[static_cast<qsizetype>(i)] =
                mapping_.toPixel(line.points[i].x, line.points[i].y);
        painter->setPen(line.pen);
        painter->drawPolyline(polygon);
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
