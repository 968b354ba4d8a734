#include "widgets/curves_panels.h"

#include <QComboBox>
#include <QFile>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QSvgGenerator>
#include <QTextStream>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/workspace.h"

namespace runboard::widgets {

CurvesPanels::CurvesPanels(Workspace* workspace, QWidget* parent) : QWidget(parent) {
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
    if (workspace != nullptr)
        workspace->subscribe(this, {.database = [this](const QString& p) { setDatabase(p); },
                                    .selection = [this](const RunList& r) { setRuns(r); },
                                    .refresh = [this] { requestRefresh(); }});
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

QSize CurvesPanels::exportSize() const {
    QSize size(0, 0);
    for (const CurvesView* p : panels_) {
        const QSize one = p->exportSize();
        size = QSize(std::max(size.width(), one.width()), size.height() + one.height());
    }
    return size;
}

namespace {
void renderPanels(const std::vector<CurvesView*>& panels, QPainter* painter) {
    int y = 0;
    for (CurvesView* p : panels) {
        p->renderExport(painter, QPoint(0, y));
        y += p->exportSize().height();
    }
}
}  // namespace

bool CurvesPanels::exportPng(const QString& path) {
    const QSize size = exportSize();
    if (size.isEmpty()) return false;
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    renderPanels(panels_, &painter);
    painter.end();
    return image.save(path, "PNG");
}

bool CurvesPanels::exportSvg(const QString& path) {
    const QSize size = exportSize();
    if (size.isEmpty()) return false;
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    QStringList metrics;
    for (const CurvesView* p : panels_)
        metrics << p->metric();
    svg.setTitle(metrics.join(QStringLiteral(", ")));
    QPainter painter;
    if (!painter.begin(&svg)) return false;
    renderPanels(panels_, &painter);
    return painter.end();
}

bool CurvesPanels::exportCsv(const QString& path) const {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    QTextStream out(&f);
    out << CurvesView::csvHeader();
    for (const CurvesView* p : panels_)
        p->writeCsvRows(out);
    out.flush();
    return f.error() == QFile::NoError;
}

}  // namespace runboard::widgets
