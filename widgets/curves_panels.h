#pragma once
// One or more curve panels stacked vertically, each with its own metric, sharing the selected
// runs and the x axis (step, epoch or wall time).

#include <QWidget>
#include <vector>

#include "widgets/curves_view.h"

class QComboBox;
class QPainter;
class QSplitter;

namespace runboard::widgets {

class Workspace;

class CurvesPanels : public QWidget {
    Q_OBJECT
public:
    explicit CurvesPanels(Workspace* workspace = nullptr, QWidget* parent = nullptr);

    CurvesView* addPanel(const QString& metric);
    void removePanel(CurvesView* panel);  // the last panel stays
    const std::vector<CurvesView*>& panels() const { return panels_; }

    void setDatabase(const QString& path);
    void setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs);
    void setXAxis(XAxis axis);
    void requestRefresh();

    // File > Export: what the user sees of every panel (plot and legend), stacked as on screen, in
    // one image; the CSV holds every panel's series (the metric is a column).
    QSize exportSize() const;
    bool exportPng(const QString& path);
    bool exportSvg(const QString& path);
    bool exportCsv(const QString& path) const;

private:
    QString dbPath_;
    std::vector<std::pair<storage::RunId, QString>> runs_;
    XAxis xAxis_ = XAxis::Step;
    std::vector<CurvesView*> panels_;
    QSplitter* splitter_ = nullptr;
    QComboBox* xBox_ = nullptr;
};

}  // namespace runboard::widgets
