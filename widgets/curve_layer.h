#pragma once
// A panel's plot, drawn with QPainter on top of a QChart that keeps only the zoom (its axes are
// hidden and give the value ranges). QLineSeries rebuilds a stroked hit-test shape of its whole
// line on every update (QPainterPathStroker, about 10 ms a panel for one live run on these
// machines), and QtCharts' axes re-lay out rich-text tick labels whenever a range moves (up to
// 50 ms with a run training on both cores). This item keeps the points in value coordinates,
// computes the ticks itself and maps everything only when it paints.

#include <QColor>
#include <QFont>
#include <QGraphicsItem>
#include <QMargins>
#include <QPen>
#include <QRectF>
#include <QString>
#include <QStringList>
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

// Tick values inside [lo, hi] at multiples of 1, 2 or 5 x 10^k: the finest such spacing that
// gives at most maxCount ticks (at least 2 when the range allows).
std::vector<double> linearTicks(double lo, double hi, int maxCount);
// Ticks for a log axis over [lo, hi] (both > 0): the powers of ten inside; with fewer than two of
// those, their 1-2-5 multiples; with fewer still, linear ticks. At most maxCount (every k-th
// decade when there are more).
std::vector<double> logTicks(double lo, double hi, int maxCount);
// A tick label: as many decimals as the spacing needs, and no "-0".
QString tickLabel(double value, double spacing);

struct CurveLine {
    std::vector<CurvePoint> points;
    QPen pen;
};

// A filled band between two curves on the same x values (a group of seed repeats' spread).
struct CurveBand {
    std::vector<CurvePoint> low, high;
    QColor color;
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
    void setContent(std::vector<CurveLine> lines, std::vector<CurveMarkers> markers,
                    std::vector<CurveBand> bands = {});
    void setTitles(const QString& x, const QString& y);

    // The room around the plot area that the tick labels and titles need, for the chart's margins.
    QMargins labelMargins() const { return margins_; }
    const std::vector<double>& xTicks() const { return xTicks_; }
    const std::vector<double>& yTicks() const { return yTicks_; }
    const QString& xTitle() const { return xTitle_; }
    const QString& yTitle() const { return yTitle_; }
    // Whether the y title is drawn above the plot (the plot is too short for it on the side).
    bool yTitleAbove() const { return yTitleAbove_; }
    const PlotMapping& mapping() const { return mapping_; }
    const std::vector<CurveLine>& lines() const { return lines_; }
    const std::vector<CurveMarkers>& markers() const { return markers_; }
    const std::vector<CurveBand>& bands() const { return bands_; }

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    void layoutAxes();  // ticks, labels and margins for the current mapping
    void paintAxes(QPainter* painter) const;

    PlotMapping mapping_;
    QString xTitle_, yTitle_;
    QFont font_;
    std::vector<double> xTicks_, yTicks_;
    QStringList xLabels_, yLabels_;
    QMargins margins_;
    bool yTitleAbove_ = false;
    std::vector<CurveLine> lines_;
    std::vector<CurveMarkers> markers_;
    std::vector<CurveBand> bands_;
};

}  // namespace runboard::widgets
