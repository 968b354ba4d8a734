#pragma once
// The Profile tab: where the selected run's time goes. Stacked bars of the step phases per epoch
// (a second selected run beside it), the achieved GFLOP/s against this machine's peak, the op
// table of its last op profiler window (with two runs selected: the diff of their op tables by
// |delta|), the layer table, "Export trace..." and "Profile next 20 steps" for a run training in
// this window. When a step waits for data above 20% of its time, it says so in the data.bound
// check's words. Loads off the GUI thread; follows the workspace's selection.

#include <QWidget>
#include <vector>

#include "engine/analysis/profile_report.h"
#include "widgets/latest_loader.h"

class QChartView;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace runboard::widgets {

class LayerTableModel;
class OpDiffModel;
class OpTableModel;
class Workspace;

struct RunProfile {
    storage::RunId run = 0;
    QString name;
    analysis::ProfileReport report;
    bool traceExists = false;  // the last window's trace file, checked off the GUI thread
};

struct ProfileSnapshot {
    std::vector<RunProfile> runs;  // the first two selected
    QString error;
};

class ProfileView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kProfileSteps = 20;

    explicit ProfileView(Workspace* workspace = nullptr, QWidget* parent = nullptr);
    void setDatabase(const QString& path);
    // The runs to show, in order; only the first two are read.
    void setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs);
    void refresh();
    // The run this window is training (0: none): "Profile next 20 steps" applies to it.
    void setTrainingRun(storage::RunId run);
    // Copies the shown run's last trace to `path`; false with the reason in `error`.
    bool exportTrace(const QString& path, QString* error = nullptr);

    const ProfileSnapshot& snapshot() const { return current_; }
    OpTableModel* opModel() const { return ops_; }
    OpDiffModel* diffModel() const { return diff_; }
    LayerTableModel* layerModel() const { return layers_; }
    QLabel* hint() const { return hint_; }
    QPushButton* profileButton() const { return profileButton_; }
    QPushButton* exportButton() const { return exportButton_; }
    QTabWidget* tables() const { return tables_; }

signals:
    void loaded();
    // "Profile next 20 steps" on the run training in this window.
    void profileRequested(storage::RunId run, int steps);

private:
    using Loader = LatestLoader<ProfileSnapshot>;
    void apply(ProfileSnapshot s);
    void updateButtons();
    void showBars(QChartView* view, const RunProfile* run);
    void chooseExport();

    QString dbPath_;
    std::vector<std::pair<storage::RunId, QString>> runs_;
    storage::RunId training_ = 0;
    ProfileSnapshot current_;
    QLabel* title_;
    QLabel* hint_;
    QLabel* peak_;
    QPushButton* profileButton_;
    QPushButton* exportButton_;
    QChartView* barsA_;
    QChartView* barsB_;
    QTabWidget* tables_;
    OpTableModel* ops_;
    OpDiffModel* diff_;
    LayerTableModel* layers_;
    QTableView* opsView_;
    QTableView* diffView_;
    QTableView* layersView_;
    Loader loader_;
};

}  // namespace runboard::widgets
