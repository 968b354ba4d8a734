#include "widgets/curves_panels.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>
#include <algorithm>

namespace runboard::widgets {

CurvesPanels::CurvesPanels(QWidget* parent) : QWidget(parent) {
    xBox_ = new QComboBox(this);
    xBox_->addItems({tr("step"), tr("epoch"), tr("wall time")});
    auto* add = new QPushButton(tr("Add panel"), this);
    splitter_ = new QSplitter(Qt::Vertical, this);
    splitter_->setChildrenCollapsible(false);
    auto* top = new QHBoxLayout();
    top->addWidget(new QLabel(tr("X axis"), this));
    top->addWidget(xBox_);
    top->addStretch(1);
    top->addWidget(add);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(splitter_, 1);
    connect(xBox_, &QComboBox::currentIndexChanged, this,
            [this](int i) { setXAxis(static_cast<XAxis>(i)); });
    connect(add, &QPushButton::clicked, this, [this] { addPanel(QStringLiteral("train/lr")); });
}

CurvesView* CurvesPanels::addPanel(const QString& metric) {
    auto* panel = new CurvesView(splitter_);
    splitter_->addWidget(panel);
    panels_.push_back(panel);
    panel->setMetric(metric);
    panel->setXAxis(xAxis_);
    panel->setRuns(runs_);
    if (!dbPath_.isEmpty()) panel->setDatabase(dbPath_);
    connect(panel, &CurvesView::closeRequested, this, [this, panel] { removePanel(panel); });
    return panel;
}

void CurvesPanels::removePanel(CurvesView* panel) {
    if (panels_.size() <= 1) return;
    panels_.erase(std::remove(panels_.begin(), panels_.end(), panel), panels_.end());
    panel->deleteLater();
}

void CurvesPanels::setDatabase(const QString& path) {
    dbPath_ = path;
    for (CurvesView* p : panels_)
        p->setDatabase(path);
}

void CurvesPanels::setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs) {
    runs_ = runs;
    for (CurvesView* p : panels_)
        p->setRuns(runs);
}

void CurvesPanels::setXAxis(XAxis axis) {
    xAxis_ = axis;
    if (xBox_->currentIndex() != static_cast<int>(axis))
        xBox_->setCurrentIndex(static_cast<int>(axis));
    for (CurvesView* p : panels_)
        p->setXAxis(axis);
}

void CurvesPanels::requestRefresh() {
    for (CurvesView* p : panels_)
        p->requestRefresh();
}

}  // namespace runboard::widgets
