#pragma once
// The LR finder view: stored sweeps in a table, the selected ones overlaid as loss against LR on
// a log axis (raw points faint, the smoothed curve solid), each rule's suggestion a labelled
// marker whose tooltip explains the rule, and the stop point marked. A sweep that is running
// draws live. Reads go off the GUI thread; results for a selection already left are dropped.

#include <QWidget>
#include <map>
#include <vector>

#include "engine/sweep/lr_sweep.h"
#include "storage/sweep_store.h"
#include "widgets/latest_loader.h"

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QLineSeries;
class QLogValueAxis;
class QPushButton;
class QStackedWidget;
class QTableView;
class QValueAxis;
class QGraphicsSimpleTextItem;

namespace runboard::widgets {

class Workspace;

class SweepsModel;

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
    // With a workspace, the view follows its database, selection and data while visible;
    // without one, it shows what it is given (the tests and benchmarks feed it directly).
    explicit LrFinderView(Workspace* workspace = nullptr, QWidget* parent = nullptr);
    ~LrFinderView() override;

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
    QChart* chart() const;
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
    void placeLabels();
    void requestRun();

    QString dbPath_;
    SweepsSnapshot current_;
    std::vector<SweepMarker> markers_;
    std::vector<storage::SweepId> wanted_;  // a selection to restore once the table has it

    SweepsModel* model_ = nullptr;
    QTableView* table_ = nullptr;
    QChartView* view_ = nullptr;
    QLogValueAxis* x_ = nullptr;
    QValueAxis* y_ = nullptr;
    QLineSeries* live_ = nullptr;
    std::vector<QGraphicsSimpleTextItem*> labels_;
    QComboBox* ruleBox_ = nullptr;
    QPushButton* runButton_ = nullptr;
    QPushButton* newButton_ = nullptr;
    QPushButton* stopButton_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* hint_ = nullptr;
    QStackedWidget* chartPages_ = nullptr;  // the hint or the chart
    Loader loader_;
};

}  // namespace runboard::widgets
