#pragma once
// The LR finder view: stored sweeps in a table, the selected ones overlaid as loss against LR on
// a log axis (raw points faint, the smoothed curve solid), each rule's suggestion a labelled
// marker whose tooltip explains the rule, and the stop point marked. A sweep that is running
// draws live. Reads go off the GUI thread; results for a selection already left are dropped.

#include <QWidget>
#include <array>
#include <map>
#include <optional>
#include <vector>

#include "engine/sweep/lr_sweep.h"
#include "storage/sweep_store.h"
#include "widgets/latest_loader.h"
#include "widgets/plot/plot_tools.h"

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace runboard::widgets {

class Workspace;

class SweepsModel;
class PlotLegend;
class PlotWidget;

struct SweepCurve {
    storage::SweepRecord record;
    std::vector<storage::SweepPointRow> points;
};

struct SweepsSnapshot {
    std::vector<storage::SweepRecord> sweeps;  // all, for the table
    std::vector<SweepCurve> curves;            // the selected ones, with their points
    QString error;                             // why nothing (or not every selected sweep) is drawn
};

// A marker the chart shows: a suggestion or the stop point of one sweep.
struct SweepMarker {
    storage::SweepId sweep = 0;
    QString rule;  // a rule's name, or "stop"
    double lr = 0;
    double loss = 0;
    QString label;
    QString tooltip;
};

class LrFinderView : public QWidget {
    Q_OBJECT
public:
    explicit LrFinderView(Workspace* workspace = nullptr, QWidget* parent = nullptr);

    void setDatabase(const QString& path);
    void refresh();
    void selectSweeps(const std::vector<storage::SweepId>& ids);
    std::vector<storage::SweepId> selectedSweeps() const;
    // The rule "Start a run with this LR" uses.
    void setRule(const QString& rule);
    QString rule() const;
    // The LR of the rule on the first selected sweep, if it has one.
    std::optional<double> chosenLr() const;

    // A sweep running now, drawn live; endLive() drops it (the stored one replaces it).
    void beginLive(const QString& name);
    void addLivePoint(const sweep::Point& point);
    void endLive();
    void setBusy(bool busy);
    // New sweep... needs an open database.
    void setSweepsAllowed(bool allowed);

    // For tests.
    SweepsModel* model() const { return model_; }
    QTableView* table() const { return table_; }
    const PlotWidget& plot() const { return *plot_; }
    const SweepsSnapshot& snapshot() const { return current_; }
    const std::vector<SweepMarker>& markers() const { return markers_; }
    int liveCount() const;
    // The hint shown instead of the chart while there is no sweep.
    bool showsEmptyHint() const;

signals:
    void newSweepRequested();
    void stopRequested();
    // "Start a run with this LR": the sweep's config with the chosen LR.
    void runRequested(const QString& configJson, double lr, const QString& name);
    void loaded();

private:
    void startLoad();
    using Loader = LatestLoader<SweepsSnapshot>;
    void apply(SweepsSnapshot snapshot);
    void redraw();
    void showContent();  // the stored sweeps' content, and the live one's line
    const SweepMarker* markerOf(int markers, int point) const;
    void requestRun();

    QString dbPath_;
    SweepsSnapshot current_;
    std::vector<SweepMarker> markers_;
    std::vector<storage::SweepId> wanted_;  // a selection to restore once the table has it

    SweepsModel* model_ = nullptr;
    QTableView* table_ = nullptr;
    PlotWidget* plot_ = nullptr;
    PlotLegend* legend_ = nullptr;
    QWidget* chartBox_ = nullptr;  // the plot and its legend
    PlotContent drawn_;            // the stored sweeps
    std::vector<LegendEntry> legendEntries_;
    std::vector<std::vector<std::size_t>> markerIds_;  // per drawn PlotMarkers: markers_ indices
    std::array<double, 4> ranges_{1e-7, 10, 0, 1};     // x0, x1, y0, y1 of the stored sweeps
    std::optional<QString> liveName_;                  // a sweep running now
    std::vector<PlotPoint> live_;
    QComboBox* ruleBox_ = nullptr;
    QPushButton* runButton_ = nullptr;
    QPushButton* newButton_ = nullptr;
    QPushButton* stopButton_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* hint_ = nullptr;
    QStackedWidget* chartPages_ = nullptr;  // the hint or the plot
    Loader loader_;
};

}  // namespace runboard::widgets
