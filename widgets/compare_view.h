#pragma once
// Compare two or more selected runs one change at a time: a config table of only the keys that
// differ (all on request), the final metrics with deltas against a chosen baseline, each run's
// verdict against the baseline (paired on the shared test samples; Welch's for seed-repeat
// groups), groups' metrics as mean ± std, and the runs' curves overlaid, groups as a mean line
// with a band. Loads off the GUI thread; stale results are dropped.

#include <QWidget>
#include <map>
#include <vector>

#include "engine/analysis/comparison.h"
#include "widgets/latest_loader.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QStandardItemModel;
class QTableView;

namespace runboard::widgets {

class Workspace;

class CurvesView;

struct GroupSummary {
    storage::RunId group = 0;
    std::map<std::string, std::vector<double>> values;  // metric -> finished members' values
};

struct CompareSnapshot {
    QString error;                         // nothing to compare, or why it could not be loaded
    std::vector<storage::RunRecord> runs;  // baseline first
    std::vector<std::vector<storage::Param>> params;
    std::vector<analysis::CompareReport> reports;  // runs[i + 1] against the baseline
    std::map<std::string, double> baselineMetrics;
    std::vector<GroupSummary> groups;
};

class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(Workspace* workspace = nullptr, QWidget* parent = nullptr);

    void setDatabase(const QString& path);
    void setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs);
    void setBaseline(storage::RunId run);
    void setShowAllKeys(bool all);
    void refresh();

    const CompareSnapshot& snapshot() const { return current_; }
    QStandardItemModel* configModel() const { return config_; }
    QStandardItemModel* metricsModel() const { return metrics_; }
    QString verdictText() const;
    CurvesView* curves() const { return curves_; }

signals:
    void loaded();

private:
    using Loader = LatestLoader<CompareSnapshot>;
    void apply(CompareSnapshot snapshot);
    void fillConfig();
    void fillMetrics();

    QString dbPath_;
    std::vector<std::pair<storage::RunId, QString>> runs_;
    storage::RunId baseline_ = 0;
    bool showAll_ = false;
    CompareSnapshot current_;

    QComboBox* baselineBox_;
    QCheckBox* allKeys_;
    QComboBox* bandBox_;
    QStandardItemModel* config_;
    QStandardItemModel* metrics_;
    QTableView* configTable_;
    QTableView* metricsTable_;
    QLabel* verdicts_;
    CurvesView* curves_;
    Loader loader_;
};

}  // namespace runboard::widgets
