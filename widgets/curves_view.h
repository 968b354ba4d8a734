#pragma once
// The curves view: one metric of the selected runs overlaid, one colour per run. Loads run off the
// GUI thread (each on its own read-only connection) and results for a selection the user has
// left are dropped. Refresh requests are coalesced on a short timer, so a training run that logs
// every step repaints at most ~20 times a second. Each series is drawn from storage's envelope
// (M4: per column first/min/max/last), so no spike is ever hidden and a million points cost a
// thousand rows.

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "storage/run_store.h"
#include "widgets/curve_data.h"
#include "widgets/latest_loader.h"

class QComboBox;
class QLabel;
class QCheckBox;
class QSlider;
class QPainter;
class QTextStream;

namespace runboard::widgets {

class PlotLegend;
class PlotWidget;

struct CurveSeries {
    storage::RunId run = 0;
    QString name;
    std::vector<CurvePoint> raw;       // the M4 polyline
    std::vector<CurvePoint> smoothed;  // for the smoothing weight at load time
    std::vector<double> nonFinite;     // steps of columns with NaN/Inf
    std::int64_t shown = 0, total = 0;
    // A resumed run: where each resume continued (x on the panel's axis), and, when asked for,
    // the tail each resume archived (what was logged after that checkpoint before the run was
    // stopped or killed), as M4 polylines like `raw`.
    std::vector<double> resumes;
    std::vector<std::vector<CurvePoint>> archived;
};

enum class XAxis { Step, Epoch, WallTime };

// How runs of one group of seed repeats are drawn: each on its own, or as their mean with a band.
enum class GroupBand { Off, MinMax, Std };

struct CurvesSnapshot {
    // Which selection, metric, axis and zoom it shows (CurvesView counts them): a result for one
    // the user has left is dropped, the y range starts afresh for a new one and stays put while
    // live points arrive for the same one.
    quint64 view = 0;
    std::vector<CurveSeries> series;
    QStringList metrics;  // every metric key the selected runs have
    QString error;
    double minStep = 0, maxStep = 0;  // the window, in steps
    XAxis xAxis = XAxis::Step;
    QString xTitle = QStringLiteral("step");
    int runsWithoutAxis = 0;  // e.g. no finished epoch yet, on the epoch axis
};

class CurvesView : public QWidget {
    Q_OBJECT
public:
    explicit CurvesView(QWidget* parent = nullptr);

    void setDatabase(const QString& path);
    void setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs);
    void setMetric(const QString& key);
    QString metric() const;
    void setLogScale(bool on);
    void setSmoothing(double weight);  // 0 .. 0.99
    // Draws what resumes archived, faintly behind the live curves (off by default).
    void setShowArchived(bool on);
    void setXAxis(XAxis axis);
    XAxis xAxis() const { return xAxis_; }
    // Runs' groups of seed repeats (run -> group); with a band mode, two or more runs of a group
    // are drawn as their mean line with a band.
    void setGroups(std::map<storage::RunId, storage::RunId> groups);
    void setGroupBand(GroupBand band);
    // Schedules a reload (coalesced: at most one every 50 ms).
    void requestRefresh();

    // For tests and exports.
    int drawnPoints() const;  // vertices of the drawn polylines
    const PlotWidget& plot() const { return *plot_; }
    QString legendText() const;
    int plotWidth() const;
    const CurvesSnapshot& snapshot() const { return current_; }
    bool exportPng(const QString& path);
    bool exportSvg(const QString& path);
    bool exportCsv(const QString& path) const;
    // For an export of all panels: the plot with the runs' legend under it, as shown (without the
    // controls above it), its size, and the CSV rows of its series (header: csvHeader()).
    QSize exportSize() const;
    void renderExport(QPainter* painter, QPoint at);
    static QString csvHeader();
    void writeCsvRows(QTextStream& out) const;

signals:
    void loaded();  // a snapshot was drawn
    void closeRequested();

private:
    void startLoad();
    void apply(CurvesSnapshot snapshot);
    void redraw();

    QString dbPath_;
    std::vector<std::pair<storage::RunId, QString>> runs_;
    QString metric_ = QStringLiteral("train/loss");
    bool logScale_ = false;
    double smoothing_ = 0.6;
    bool showArchived_ = false;
    XAxis xAxis_ = XAxis::Step;
    std::map<storage::RunId, storage::RunId> groups_;
    GroupBand groupBand_ = GroupBand::Off;
    std::optional<std::pair<double, double>> zoom_;  // visible step range, when zoomed

    quint64 viewCount_ = 0;  // counts new selections, metrics, axes and zooms
    QTimer coalesce_;
    QElapsedTimer lastStart_;
    CurvesSnapshot current_;

    PlotWidget* plot_ = nullptr;
    PlotLegend* legend_ = nullptr;
    std::pair<double, double> yShown_{0, 0};
    std::tuple<quint64, bool, bool> yKey_{~quint64{0}, false, false};  // what yShown_ was for

    QComboBox* metricBox_ = nullptr;
    QCheckBox* logBox_ = nullptr;
    QCheckBox* archivedBox_ = nullptr;
    QSlider* smoothSlider_ = nullptr;
    QLabel* badge_ = nullptr;
    LatestLoader<CurvesSnapshot> loader_;
};

}  // namespace runboard::widgets
