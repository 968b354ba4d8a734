#pragma once
// The plot's interaction, one small helper each, composed by the views that want it (as
// PlotJuggler composes its zoomer, panner and magnifier): each filters the plot's mouse events
// and, where it draws, paints as an overlay.
//  - PlotZoomer: drag a rectangle, or turn the wheel, to ask for a zoom; double-click to reset.
//  - PlotTracker: a vertical line at the cursor with a text the view computes for that x.
//  - PlotPicker: which marker is under the cursor, for tooltips and clicks.
//  - PlotLegend: a line of coloured squares and names under the plot.

#include <QLabel>
#include <QObject>
#include <QPointF>
#include <QRectF>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "widgets/plot/plot_widget.h"

namespace runboard::widgets {

class PlotZoomer : public QObject, public PlotOverlay {
    Q_OBJECT
public:
    // X: a zoom changes the x range and keeps y (the view refits y to what it then loads).
    enum class Axes { X, XY };
    explicit PlotZoomer(PlotWidget* plot, Axes axes = Axes::XY);

    // What a drag over `pixels` (plot coordinates) asks for; a rectangle under 5 px wide is a
    // click and asks for nothing, and so is a range past a double's precision or, on a log
    // axis, out to 0 or infinity.
    void zoomToPixels(const QRectF& pixels);

signals:
    // The value ranges asked for (the view decides: set them, or load finer data for them).
    void zoomed(double x0, double x1, double y0, double y1);
    void resetRequested();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void paintOverlay(QPainter& painter, const PlotMapping& mapping) override;

private:
    // Emits zoomed() unless the ranges are past what can be shown (usableRange).
    void ask(double x0, double x1, double y0, double y1);

    PlotWidget* plot_;
    Axes axes_;
    std::optional<QPointF> pressed_;
    QPointF current_;
};

class PlotTracker : public QObject, public PlotOverlay {
    Q_OBJECT
public:
    // `describe` gives the text for a value of x (lines separated by '\n').
    PlotTracker(PlotWidget* plot, std::function<QString(double x)> describe);
    bool active() const { return at_.has_value(); }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void paintOverlay(QPainter& painter, const PlotMapping& mapping) override;

private:
    PlotWidget* plot_;
    std::function<QString(double)> describe_;
    std::optional<QPointF> at_;
};

class PlotPicker : public QObject {
    Q_OBJECT
public:
    explicit PlotPicker(PlotWidget* plot, double radiusPx = 8);
    // The marker nearest to `pixel` within the radius: (index of its PlotMarkers, of its point).
    std::optional<std::pair<int, int>> markerAt(QPointF pixel) const;

signals:
    void hovered(int markers, int point, QPoint globalPos);
    void left();  // the cursor left the marker it was on
    void clicked(int markers, int point);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    PlotWidget* plot_;
    double radius_;
    std::optional<std::pair<int, int>> over_;
    std::optional<QPointF> pressed_;
};

struct LegendEntry {
    QColor color;
    QString text;
};

class PlotLegend : public QLabel {
    Q_OBJECT
public:
    explicit PlotLegend(QWidget* parent = nullptr);
    void setEntries(const std::vector<LegendEntry>& entries);
};

}  // namespace runboard::widgets
