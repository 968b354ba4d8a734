#pragma once
// The curves of a panel, drawn as plain QPainter polylines on top of a QChart that keeps the axes,
// grid, legend and zoom. QLineSeries rebuilds a stroked hit-test shape of its whole line on every
// update (QPainterPathStroker, about 10 ms a panel for one live run on these machines); this item
// keeps the points in value coordinates and maps them only when it paints.

#include <QColor>
#include <QGraphicsItem>
#include <QPen>
#include <QRectF>
#include <vector>

#include "widgets/curve_data.h"

namespace runboard::widgets {

// Value <-> pixel mapping of a plot area (chart coordinates). With logY, y values must be > 0.
struct PlotMapping {
    QRectF area;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    bool logY = false;

    QPointF toPixel(double x, double y) const;
    double xAt(double px) const;
    bool operator==(const PlotMapping&) const = default;
};

struct CurveLine {
    std::vector<CurvePoint> points;
    QPen pen;
};

// Markers at values (x, y), or pinned to the top edge of the plot (e.g. NaN/Inf, which have no y).
struct CurveMarkers {
    enum class Shape { Triangle, Square };
    std::vector<CurvePoint> points;
    QColor color;
    Shape shape = Shape::Square;
    bool pinTop = false;
};

class CurveLayer : public QGraphicsItem {
public:
    explicit CurveLayer(QGraphicsItem* parent = nullptr);

    void setMapping(const PlotMapping& mapping);
    void setContent(std::vector<CurveLine> lines, std::vector<CurveMarkers> markers);

    const PlotMapping& mapping() const { return mapping_; }
    const std::vector<CurveLine>& lines() const { return lines_; }
    const std::vector<CurveMarkers>& markers() const { return markers_; }

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    PlotMapping mapping_;
    std::vector<CurveLine> lines_;
    std::vector<CurveMarkers> markers_;
};

}  // namespace runboard::widgets
