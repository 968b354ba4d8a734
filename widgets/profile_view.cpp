#include "widgets/profile_view.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>

#include "widgets/profile_data.h"
#include "widgets/profile_models.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

namespace {

// Data waiting stands out (orange: the phase to act on); compute in blues and greens.
// Communication (data-parallel) in red: time no rank computes.
const std::array<QColor, analysis::kPhaseNames.size()> kPhaseColors{
    QColor(0xef, 0x6c, 0x00), QColor(0x1e, 0x88, 0xe5), QColor(0x8e, 0x24, 0xaa),
    QColor(0x00, 0x89, 0x7b), QColor(0xd3, 0x2f, 0x2f), QColor(0x43, 0xa0, 0x47),
    QColor(0x75, 0x75, 0x75), QColor(0xbd, 0xbd, 0xbd)};

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent, bool sortable) {
    auto* view = new QTableView(parent);
    if (sortable) {
        auto* proxy = new QSortFilterProxyModel(view);
        proxy->setSourceModel(model);
        proxy->setSortRole(kSortRole);
        view->setModel(proxy);
        view->setSortingEnabled(true);
    } else {
        view->setModel(model);
    }
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(22);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    return view;
}

}  // namespace

ProfileView::ProfileView(Workspace* workspace, QWidget* parent)
    : QWidget(parent),
      loader_(
          this,
          [this]() -> std::optional<Loader::Job> {
              if (dbPath_.isEmpty() || runs_.empty()) return std::nullopt;
              std::vector<std::pair<storage::RunId, QString>> runs(
                  runs_.begin(), runs_.begin() + std::min<std::size_t>(2, runs_.size()));
              return Loader::Job{
                  dbPath_, [runs](storage::RunStore& store) -> storage::Result<ProfileSnapshot> {
                      ProfileSnapshot s;
                      for (const auto& [id, name] : runs) {
                          auto r = loadProfileReport(store, id);
                          if (!r) return r.error();
                          RunProfile p{id, name, std::move(r.value())};
                          p.traceExists = !p.report.windows.empty() &&
                                          !p.report.windows.back().tracePath.empty() &&
                                          QFileInfo::exists(QString::fromStdString(
                                              p.report.windows.back().tracePath));
                          s.runs.push_back(std::move(p));
                      }
                      return s;
                  }};
          },
          [this](ProfileSnapshot s) { apply(std::move(s)); },
          [this](const QString& error) {
              apply({{}, error});
          }) {
    title_ = new QLabel(this);
    title_->setWordWrap(true);
    hint_ = new QLabel(this);
    hint_->setWordWrap(true);
    hint_->setStyleSheet(QStringLiteral("color: #e65100;"));
    peak_ = new QLabel(this);
    peak_->setWordWrap(true);
    profileButton_ = new QPushButton(tr("Profile next %1 steps").arg(kProfileSteps), this);
    exportButton_ = new QPushButton(tr("Export trace…"), this);
    connect(profileButton_, &QPushButton::clicked, this, [this] {
        if (training_ != 0) emit profileRequested(training_, kProfileSteps);
        profileButton_->setEnabled(false);
        profileButton_->setToolTip(tr("Recording: the window is stored when its steps are done"));
    });
    connect(exportButton_, &QPushButton::clicked, this, &ProfileView::chooseExport);

    barsA_ = new QChartView(this);
    barsB_ = new QChartView(this);
    for (auto* v : {barsA_, barsB_}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(220);
    }
    ops_ = new OpTableModel(this);
    diff_ = new OpDiffModel(this);
    layers_ = new LayerTableModel(this);
    opsView_ = makeTable(ops_, this, true);
    diffView_ = makeTable(diff_, this, true);
    layersView_ = makeTable(layers_, this, true);
    // Ops by self time, largest first; the diff by |delta| and the layers in the order they run,
    // as their models hold them, until a header is clicked.
    opsView_->sortByColumn(OpTableModel::SelfMs, Qt::DescendingOrder);
    for (auto* v : {diffView_, layersView_}) {
        v->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
        v->horizontalHeader()->setStretchLastSection(false);  // numbers: as wide as they are
    }
    tables_ = new QTabWidget(this);
    tables_->addTab(opsView_, tr("Ops"));
    tables_->addTab(diffView_, tr("Ops: A vs B"));
    tables_->addTab(layersView_, tr("Layers"));

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(title_, 1);
    buttons->addWidget(profileButton_);
    buttons->addWidget(exportButton_);
    auto* bars = new QWidget(this);
    auto* barsLayout = new QHBoxLayout(bars);
    barsLayout->setContentsMargins(0, 0, 0, 0);
    barsLayout->addWidget(barsA_);
    barsLayout->addWidget(barsB_);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(bars);
    split->addWidget(tables_);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(hint_);
    layout->addWidget(peak_);
    layout->addWidget(split, 1);
    apply({});
    if (workspace != nullptr) workspace->follow(this);
}

void ProfileView::setDatabase(const QString& path) {
    dbPath_ = path;
    runs_.clear();
    refresh();
}

void ProfileView::setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs) {
    runs_ = runs;
    refresh();
}

void ProfileView::refresh() {
    if (runs_.empty() || dbPath_.isEmpty()) {
        loader_.invalidate();
        apply({});
        return;
    }
    loader_.request();
}

void ProfileView::setTrainingRun(storage::RunId run) {
    training_ = run;
    updateButtons();
}

void ProfileView::showBars(QChartView* view, const RunProfile* run) {
    auto* chart = new QChart();
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    view->setChart(chart);  // the view owns it, and deletes the one it replaces
    view->setVisible(run != nullptr);
    if (run == nullptr) return;
    const auto& epochs = run->report.epochs;
    chart->setTitle(tr("%1: the mean step of each epoch, ms").arg(run->name));
    if (epochs.empty()) {
        chart->setTitle(tr("%1: no step timing yet (an epoch must end first)").arg(run->name));
        return;
    }
    auto* series = new QStackedBarSeries(chart);
    QStringList categories;
    for (std::size_t e = 0; e < epochs.size(); ++e)
        categories << QString::number(e + 1);
    double top = 0;
    for (const auto& e : epochs)
        top = std::max(top, e.stepMs);
    for (std::size_t i = 0; i < analysis::kPhaseNames.size(); ++i) {
        if (!analysis::phaseShown(run->report, i)) continue;
        auto* set =
            new QBarSet(QString::fromUtf8(analysis::kPhaseNames[i].data(),
                                          static_cast<qsizetype>(analysis::kPhaseNames[i].size())),
                        series);
        set->setColor(kPhaseColors[i]);
        set->setBorderColor(kPhaseColors[i]);
        for (const auto& e : epochs)
            *set << e.ms[i];
        series->append(set);
    }
    series->setBarWidth(0.8);
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis(chart);
    x->append(categories);
    x->setTitleText(tr("epoch"));
    auto* y = new QValueAxis(chart);
    y->setRange(0, top > 0 ? top * 1.05 : 1);
    y->setLabelFormat(QStringLiteral("%.3g"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
}

void ProfileView::apply(ProfileSnapshot s) {
    current_ = std::move(s);
    const RunProfile* a = current_.runs.empty() ? nullptr : &current_.runs[0];
    const RunProfile* b = current_.runs.size() > 1 ? &current_.runs[1] : nullptr;
    showBars(barsA_, a);
    showBars(barsB_, b);
    const storage::ProfileWindowRow* wa =
        a != nullptr && !a->report.windows.empty() ? &a->report.windows.back() : nullptr;
    const storage::ProfileWindowRow* wb =
        b != nullptr && !b->report.windows.empty() ? &b->report.windows.back() : nullptr;
    ops_->setWindow(wa);
    layers_->setCost(a != nullptr && a->report.cost ? &*a->report.cost : nullptr);
    if (wa != nullptr && wb != nullptr)
        diff_->setWindows(*wa, *wb, QStringLiteral("#%1").arg(a->run),
                          QStringLiteral("#%1").arg(b->run));
    else
        diff_->clear();
    tables_->setTabEnabled(1, wa != nullptr && wb != nullptr);
    tables_->setTabToolTip(1, wa != nullptr && wb != nullptr
                                  ? QString()
                                  : tr("Select two runs that both have an op profiler window"));
    if (!tables_->isTabEnabled(tables_->currentIndex())) tables_->setCurrentIndex(0);

    hint_->clear();
    hint_->hide();
    peak_->clear();
    if (a == nullptr) {
        title_->setText(current_.error.isEmpty()
                            ? tr("Select a run in the Runs tab to see where its time goes.")
                            : current_.error);
        updateButtons();
        return;
    }
    const auto& r = a->report;
    QString title = tr("<b>%1</b>").arg(a->name.toHtmlEscaped());
    if (!r.epochs.empty())
        title += tr(": %1 ms a step, %2% waiting for data")
                     .arg(r.stepMs, 0, 'f', 1)
                     .arg(100 * r.dataShare, 0, 'f', 0);
    if (wa != nullptr)
        title +=
            tr("; op profiler: steps %1–%2 (%3 ms a step with it on)")
                .arg(wa->firstStep)
                .arg(wa->firstStep + wa->steps - 1)
                .arg(1000 * wa->seconds / static_cast<double>(std::max<std::int64_t>(wa->steps, 1)),
                     0, 'f', 1);
    else
        title +=
            tr("; no op profiler window (train with profile.steps = 20, or profile a "
               "running run)");
    if (b != nullptr) title += tr(" — beside <b>%1</b>").arg(b->name.toHtmlEscaped());
    title_->setText(title);
    if (r.dataBound) hint_->setText(QString::fromStdString(r.dataAdvice) + QLatin1Char('.'));
    hint_->setVisible(r.dataBound);
    if (r.cost) {
        const auto& c = *r.cost;
        QString text = tr("%1 parameters, %2FLOP forward per sample (1 multiply-add = 2 FLOPs); "
                          "training ≈ 3× forward (backward estimated as 2×).")
                           .arg(c.params)
                           .arg(shortNumber(c.forwardFlops));
        if (r.achievedGflops && r.peakGflops)
            text += tr(" Achieved <b>%1 GFLOP/s</b> of this machine's %2 GFLOP/s %3 "
                       "peak (its best matrix kernel) on %4 thread(s): <b>%5%</b>.")
                        .arg(*r.achievedGflops, 0, 'f', 1)
                        .arg(*r.peakGflops, 0, 'f', 1)
                        .arg(QString::fromStdString(c.precision))
                        .arg(c.threads)
                        .arg(100 * r.shareOfPeak.value_or(0), 0, 'f', 0);
        if (r.shareOfPeak.value_or(0) > 1)
            text +=
                tr(" Above the peak: a FLOPs formula counts more than the model does, or the "
                   "peak was measured on a busy machine.");
        int uncounted = 0;
        for (const auto& l : c.layers)
            uncounted += !l.flops;
        if (uncounted > 0)
            text += tr(" %n op(s) without a formula are listed, not counted.", "", uncounted);
        peak_->setText(text);
    }
    for (auto* v : {opsView_, diffView_, layersView_})
        v->horizontalHeader()->resizeSections(QHeaderView::ResizeToContents);
    updateButtons();
    emit loaded();
}

void ProfileView::updateButtons() {
    const storage::RunId shown = current_.runs.empty() ? 0 : current_.runs.front().run;
    const bool canProfile = training_ != 0 && shown == training_;
    profileButton_->setEnabled(canProfile);
    profileButton_->setToolTip(canProfile ? tr("Record the next %1 training steps with the op "
                                               "profiler (ops, self time, a Chrome trace)")
                                                .arg(kProfileSteps)
                                          : tr("Select the run this window is training"));
    const bool hasTrace = !current_.runs.empty() && current_.runs.front().traceExists;
    exportButton_->setEnabled(hasTrace);
    exportButton_->setToolTip(hasTrace ? tr("Save the last window's trace, which Perfetto "
                                            "(ui.perfetto.dev) and chrome://tracing open")
                                       : tr("The run has no op profiler trace"));
}

bool ProfileView::exportTrace(const QString& path, QString* error) {
    const auto fail = [&](const QString& why) {
        if (error != nullptr) *error = why;
        return false;
    };
    if (current_.runs.empty() || current_.runs.front().report.windows.empty())
        return fail(tr("The run has no op profiler window."));
    const QString from =
        QString::fromStdString(current_.runs.front().report.windows.back().tracePath);
    if (from.isEmpty() || !QFileInfo::exists(from))
        return fail(tr("The trace file '%1' is gone.").arg(from));
    if (QFileInfo(path) == QFileInfo(from)) return true;
    if (QFileInfo::exists(path) && !QFile::remove(path))
        return fail(tr("Cannot replace '%1'.").arg(path));
    if (!QFile::copy(from, path)) return fail(tr("Cannot write '%1'.").arg(path));
    return true;
}

void ProfileView::chooseExport() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export trace"), QStringLiteral("trace.json"), tr("Chrome trace (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportTrace(path, &error)) QMessageBox::warning(this, tr("Export trace"), error);
}

}  // namespace runboard::widgets
