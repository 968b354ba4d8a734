#pragma once
// The one line plot of the GUI (curves, compare, LR finder): axes with linear or log scales,
// lines, bands and markers, painted with QPainter straight onto a widget. Interaction comes from
// small helpers that a view composes (PlotJuggler's way): PlotZoomer, PlotTracker, PlotPicker.
//
// Why not QtCharts: QLineSeries rebuilds a stroked hit-test shape of its whole line on every
// update (QPainterPathStroker, about 10 ms a panel for one live run on these machines), and its
// axes re-lay out rich-text tick labels whenever a range moves (up to 50 ms with a run training
// on both cores). This widget keeps the points in value coordinates, computes the ticks itself
// and maps everything only when it paints. QtCharts stays where it serves: the leaderboard's bars.

#include <QColor>
#include <QFont>
#include <QMargins>
#include <QPen>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <utility>
#include <vector>

#include "widgets/plot/plot_scale.h"

class QPainter;

namespace runboard::widgets {

struct PlotLine {
    std::vector<PlotPoint> points;
    QPen pen;
};

// A filled band between two curves on the same x values (a group of seed repeats' spread).
struct PlotBand {
    std::vector<PlotPoint> low, high;
    QColor color;
};

// Text beside a marker, offset in pixels from its centre (drawn only while the marker is inside
// the plot).
struct PlotLabel {
    QString text;
    QPointF offset;
    QColor color;
};

// Markers at values (x, y), or pinned to the top edge of the plot (e.g. NaN/Inf, which have no y).
struct PlotMarkers {
    enum class Shape { Triangle, Square, Circle };
    std::vector<PlotPoint> points;
    QColor color;
    Shape shape = Shape::Square;
    bool pinTop = false;
    double size = 9;
    std::vector<PlotLabel> labels;  // per point; may be shorter than points
};

// Drawn in this order: bands, lines, markers.
struct PlotContent {
    std::vector<PlotBand> bands;
    std::vector<PlotLine> lines;
    std::vector<PlotMarkers> markers;
};

// Something a helper draws over the plot (a rubber band, a crosshair).
class PlotOverlay {
public:
    virtual void paintOverlay(QPainter& painter, const PlotMapping& mapping) = 0;

protected:
    ~PlotOverlay() = default;
};

class PlotWidget : public QWidget {
    Q_OBJECT
public:
    explicit PlotWidget(QWidget* parent = nullptr);

    void setContent(PlotContent content);
    // One point more at the end of a line (a live sweep's), without copying the others.
    void appendToLine(std::size_t line, PlotPoint point);
    // The visible value ranges. On a log axis both ends must be > 0.
    void setRanges(double x0, double x1, double y0, double y1);
    void setLogScales(bool logX, bool logY);
    void setTitles(const QString& x, const QString& y);
    // Shown in the middle of the plot while it has no content (what to do to see something).
    void setPlaceholder(const QString& text);
    // x ticks only at whole numbers (steps, epochs).
    void setXIntegers(bool on);
    // Drawn over the plot after the content; `owner` (usually the overlay itself) may be deleted
    // before the plot.
    void addOverlay(QObject* owner, PlotOverlay* overlay);

    const std::vector<PlotLine>& lines() const { return content_.lines; }
    const std::vector<PlotMarkers>& markers() const { return content_.markers; }
    const std::vector<PlotBand>& bands() const { return content_.bands; }
    const PlotMapping& mapping() const { return mapping_; }
    // The room around the plot area that the tick labels and titles take.
    QMargins labelMargins() const { return margins_; }
    const std::vector<double>& xTicks() const { return xTicks_; }
    const std::vector<double>& yTicks() const { return yTicks_; }
    const QString& xTitle() const { return xTitle_; }
    const QString& yTitle() const { return yTitle_; }
    // Whether the y title is drawn above the plot (the plot is too short for it on the side).
    bool yTitleAbove() const { return yTitleAbove_; }

    // Where the markers' labels are drawn: as asked (on the marker's other side near an edge of
    // the plot), or moved up or down a line at a time until they are inside the plot and overlap
    // no earlier label.
    std::vector<std::pair<QRectF, const PlotLabel*>> placeLabels() const;

    // Paints the whole plot as shown, for exports (PNG, SVG, several panels on one page).
    void paintPlot(QPainter& painter);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void relayout();  // area, ticks, labels and margins for the size and ranges
    void layoutTicks();
    QMargins marginsNeeded();
    void paintAxes(QPainter& painter) const;
    void paintContent(QPainter& painter) const;

    PlotContent content_;
    PlotMapping mapping_;
    QString xTitle_, yTitle_, placeholder_;
    bool xIntegers_ = false;
    QFont font_;
    std::vector<double> xTicks_, yTicks_;
    QStringList xLabels_, yLabels_;
    QMargins margins_;
    bool yTitleAbove_ = false;
    std::vector<std::pair<QPointer<QObject>, PlotOverlay*>> overlays_;
};

}  // namespace runboard::widgets
