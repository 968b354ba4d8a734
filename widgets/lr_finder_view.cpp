#include "widgets/lr_finder_view.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCursor>
#include <QGraphicsSimpleTextItem>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QScatterSeries>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <QtConcurrent>
#include <algorithm>
#include <cmath>
#include <tuple>

#include "storage/run_store.h"
#include "widgets/runs_model.h"
#include "widgets/sweeps_model.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

namespace {

storage::Result<SweepsSnapshot> loadSweeps(storage::RunStore& store,
                                           const std::vector<storage::SweepId>& selected) {
    SweepsSnapshot snap;
    auto all = storage::listSweeps(store.connection());
    if (!all) return all.error();
    snap.sweeps = std::move(all.value());
    for (storage::SweepId id : selected) {
        auto it = std::find_if(snap.sweeps.begin(), snap.sweeps.end(),
                               [id](const auto& s) { return s.id == id; });
        if (it == snap.sweeps.end()) continue;
        auto points = storage::sweepPoints(store.connection(), id);
        if (!points) {  // the others are still drawn
            snap.error = QString::fromStdString(points.error().message);
            continue;
        }
        snap.curves.push_back({*it, std::move(points.value())});
    }
    return snap;
}

// The smoothed loss at `lr`, from the nearest point (in log LR) with a finite value.
std::optional<double> lossNear(const std::vector<storage::SweepPointRow>& points, double lr) {
    std::optional<double> best;
    double bestDistance = 0;
    for (const auto& p : points) {
        if (!std::isfinite(p.smoothed) || p.lr <= 0) continue;
        const double d = std::abs(std::log(p.lr) - std::log(lr));
        if (!best || d < bestDistance) {
            best = p.smoothed;
            bestDistance = d;
        }
    }
    return best;
}

QString ruleExplanation(const QString& rule) {
    for (const sweep::Rule& r : sweep::rules())
        if (QString::fromUtf8(r.name.data(), static_cast<qsizetype>(r.name.size())) == rule)
            return QString::fromUtf8(r.explanation.data(),
                                     static_cast<qsizetype>(r.explanation.size()));
    return {};
}

QString ruleLabel(const QString& rule) {
    for (const sweep::Rule& r : sweep::rules())
        if (QString::fromUtf8(r.name.data(), static_cast<qsizetype>(r.name.size())) == rule)
            return QString::fromUtf8(r.label.data(), static_cast<qsizetype>(r.label.size()));
    return rule;
}

}  // namespace

LrFinderView::LrFinderView(Workspace* workspace, QWidget* parent)
    : QWidget(parent),
      loader_(
          this,
          [this]() -> std::optional<Loader::Job> {
              if (dbPath_.isEmpty()) return std::nullopt;
              std::vector<storage::SweepId> ids = selectedSweeps();
              ids.insert(ids.end(), wanted_.begin(), wanted_.end());
              return Loader::Job{
                  dbPath_, [ids](storage::RunStore& store) { return loadSweeps(store, ids); }};
          },
          [this](SweepsSnapshot s) { apply(std::move(s)); },
          [this](const QString& error) {
              SweepsSnapshot kept = current_;  // the list and the curves stay usable
              kept.error = error;
              apply(std::move(kept));
          }) {
    model_ = new SweepsModel(this);
    table_ = new QTableView(this);
    table_->setModel(model_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setAlternatingRowColors(true);

    auto* chart = new QChart();
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    x_ = new QLogValueAxis();
    x_->setBase(10);
    x_->setLabelFormat(QStringLiteral("%.0e"));
    x_->setTitleText(tr("learning rate (log)"));
    x_->setMinorTickCount(-1);
    x_->setMinorGridLineColor(QColor(238, 238, 238));
    y_ = new QValueAxis();
    y_->setTitleText(tr("loss"));
    chart->addAxis(x_, Qt::AlignBottom);
    chart->addAxis(y_, Qt::AlignLeft);
    view_ = new QChartView(chart, this);
    view_->setRenderHint(QPainter::Antialiasing, true);
    connect(chart, &QChart::plotAreaChanged, this, &LrFinderView::placeLabels);

    newButton_ = new QPushButton(tr("New sweep..."), this);
    newButton_->setToolTip(
        tr("Sweep the learning rate geometrically until the loss explodes (the lecture's rule)"));
    stopButton_ = new QPushButton(tr("Stop"), this);
    stopButton_->setEnabled(false);
    ruleBox_ = new QComboBox(this);
    for (const sweep::Rule& r : sweep::rules()) {
        ruleBox_->addItem(QString::fromUtf8(r.name.data(), static_cast<qsizetype>(r.name.size())));
        ruleBox_->setItemData(ruleBox_->count() - 1,
                              ruleExplanation(ruleBox_->itemText(ruleBox_->count() - 1)),
                              Qt::ToolTipRole);
    }
    ruleBox_->setCurrentText(QStringLiteral("valley"));
    runButton_ = new QPushButton(tr("Start a run with this LR..."), this);
    runButton_->setEnabled(false);
    status_ = new QLabel(this);
    status_->setStyleSheet(QStringLiteral("color: #666;"));

    auto* buttons = new QHBoxLayout();
    buttons->addWidget(newButton_);
    buttons->addWidget(stopButton_);
    buttons->addStretch(1);
    buttons->addWidget(new QLabel(tr("Rule"), this));
    buttons->addWidget(ruleBox_);
    buttons->addWidget(runButton_);
    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(buttons);
    topLayout->addWidget(table_, 1);
    topLayout->addWidget(status_);
    // No sweep yet: what a sweep is and how to start one, where its curve will be.
    hint_ = new QLabel(
        tr("<h3>No LR sweeps yet</h3><p><b>New sweep...</b> trains one mini-batch at each of a "
           "rising series of learning rates (on the selected run's config, or the default "
           "recipe)<br>until the loss explodes: about a minute for the default CNN.</p><p>Its "
           "curve shows where the loss starts to fall and where it blows up, with each rule's "
           "suggestion marked;<br><b>Start a run with this LR</b> then opens the New Run dialog "
           "with it.</p><p>From a terminal: <code>runboard lr-find</code></p>"),
        this);
    hint_->setAlignment(Qt::AlignCenter);
    hint_->setTextFormat(Qt::RichText);
    chartPages_ = new QStackedWidget(this);
    chartPages_->addWidget(hint_);
    chartPages_->addWidget(view_);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(chartPages_);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(newButton_, &QPushButton::clicked, this, &LrFinderView::newSweepRequested);
    connect(stopButton_, &QPushButton::clicked, this, &LrFinderView::stopRequested);
    connect(runButton_, &QPushButton::clicked, this, &LrFinderView::requestRun);
    connect(ruleBox_, &QComboBox::currentTextChanged, this,
            [this] { runButton_->setEnabled(chosenLr().has_value()); });
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        wanted_.clear();
        startLoad();  // what was loading for the old selection is dropped
    });
    if (workspace != nullptr)
        workspace->subscribe(this, {.database = [this](const QString& p) { setDatabase(p); },
                                    .refresh = [this] { refresh(); }});
}

LrFinderView::~LrFinderView() = default;

QChart* LrFinderView::chart() const {
    return view_->chart();
}

void LrFinderView::setDatabase(const QString& path) {
    dbPath_ = path;
    wanted_.clear();
    current_ = {};
    model_->setSweeps({});
    refresh();
}

void LrFinderView::refresh() {
    startLoad();
}

std::vector<storage::SweepId> LrFinderView::selectedSweeps() const {
    std::vector<storage::SweepId> ids;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows())
        ids.push_back(i.data(SweepsModel::SweepIdRole).toLongLong());
    std::sort(ids.begin(), ids.end());
    return ids;
}

void LrFinderView::selectSweeps(const std::vector<storage::SweepId>& ids) {
    QItemSelection selection;
    std::vector<storage::SweepId> missing;
    for (storage::SweepId id : ids) {
        const int row = model_->rowOf(id);
        if (row < 0) {
            missing.push_back(id);
            continue;
        }
        selection.select(model_->index(row, 0), model_->index(row, SweepsModel::ColumnCount - 1));
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    wanted_ = missing;  // selected once a load brings them
    if (!missing.empty()) refresh();
}

void LrFinderView::setRule(const QString& rule) {
    ruleBox_->setCurrentText(rule);
}

QString LrFinderView::rule() const {
    return ruleBox_->currentText();
}

std::optional<double> LrFinderView::chosenLr() const {
    if (current_.curves.empty()) return std::nullopt;
    const auto* s = findSuggestion(current_.curves.front().record, rule().toStdString());
    if (s == nullptr) return std::nullopt;
    return s->lr;
}

void LrFinderView::requestRun() {
    const auto lr = chosenLr();
    if (!lr) return;
    const auto& record = current_.curves.front().record;
    emit runRequested(QString::fromStdString(record.configJson), *lr,
                      QStringLiteral("%1, lr %2 from sweep %3")
                          .arg(QString::fromStdString(record.name))
                          .arg(*lr, 0, 'g', 3)
                          .arg(record.id));
}

void LrFinderView::startLoad() {
    loader_.request();
}

void LrFinderView::apply(SweepsSnapshot snapshot) {
    {
        const QSignalBlocker block(table_->selectionModel());
        model_->setSweeps(snapshot.sweeps);
    }
    // Polling reloads while runs train: redraw only when what is drawn changed.
    auto drawnOf = [](const SweepsSnapshot& s) {
        std::vector<std::tuple<storage::SweepId, std::string, std::size_t>> out;
        for (const auto& c : s.curves)
            out.emplace_back(c.record.id, c.record.name, c.points.size());
        return out;
    };
    const bool changed = drawnOf(snapshot) != drawnOf(current_) || current_.curves.empty();
    current_ = std::move(snapshot);
    if (!wanted_.empty()) {
        const auto wanted = wanted_;
        wanted_.clear();
        QItemSelection selection;
        for (storage::SweepId id : wanted)
            if (const int row = model_->rowOf(id); row >= 0)
                selection.select(model_->index(row, 0),
                                 model_->index(row, SweepsModel::ColumnCount - 1));
        const QSignalBlocker block(table_->selectionModel());
        table_->selectionModel()->select(selection, QItemSelectionModel::Select);
    }
    table_->resizeColumnsToContents();
    chartPages_->setCurrentWidget(
        current_.sweeps.empty() && live_ == nullptr ? static_cast<QWidget*>(hint_) : view_);
    if (changed) redraw();
    runButton_->setEnabled(chosenLr().has_value());
    status_->setText(current_.error.isEmpty() ? tr("%n sweep(s); select several to overlay them",
                                                   "", static_cast<int>(current_.sweeps.size()))
                                              : current_.error);
    emit loaded();
}

void LrFinderView::redraw() {
    QChart* chart = view_->chart();
    for (QAbstractSeries* s : chart->series()) {
        if (s == live_) continue;
        chart->removeSeries(s);
        delete s;
    }
    for (auto* label : labels_)
        delete label;
    labels_.clear();
    markers_.clear();

    // The y range: from the lowest smoothed loss to a bit above where the sweeps started, so the
    // descent fills the plot and the explosion leaves it at the top.
    double lo = std::numeric_limits<double>::infinity(), start = -lo, top = -lo;
    double xlo = lo, xhi = -lo;
    for (const SweepCurve& c : current_.curves) {
        const std::size_t head = std::max<std::size_t>(1, c.points.size() / 10);
        for (std::size_t i = 0; i < c.points.size(); ++i) {
            const auto& p = c.points[i];
            xlo = std::min(xlo, p.lr);
            xhi = std::max(xhi, p.lr);
            if (std::isfinite(p.smoothed)) {
                lo = std::min(lo, p.smoothed);
                if (i < head) start = std::max(start, p.smoothed);
            }
            if (std::isfinite(p.loss)) top = std::max(top, p.loss);
        }
    }
    if (!std::isfinite(lo)) lo = 0, start = 1, top = 1;
    const double hi = std::min(std::max(start * 1.3, lo * 1.05 + 1e-9), std::max(top, start));
    const double pad = (hi - lo) * 0.05;

    for (const SweepCurve& c : current_.curves) {
        const QColor color = runColor(c.record.id);
        QColor faint = color;
        faint.setAlpha(80);
        auto* raw = new QLineSeries();
        auto* smooth = new QLineSeries();
        raw->setPen(QPen(faint, 1.0));
        smooth->setPen(QPen(color, 2.0));
        smooth->setName(
            QStringLiteral("#%1 %2").arg(c.record.id).arg(QString::fromStdString(c.record.name)));
        for (const auto& p : c.points) {
            if (std::isfinite(p.loss)) raw->append(p.lr, p.loss);
            if (std::isfinite(p.smoothed)) smooth->append(p.lr, p.smoothed);
        }
        // Suggestions, then the stop point.
        auto* marks = new QScatterSeries();
        marks->setMarkerShape(QScatterSeries::MarkerShapeCircle);
        marks->setMarkerSize(11);
        marks->setColor(color);
        marks->setBorderColor(color.darker(160));
        // Where the sweep started: minimum/10 of a sweep whose minimum came early lies below it,
        // at an LR where no loss was measured; the marker says so (drawn at the first point's
        // loss, and the x axis reaches it).
        double swept = c.record.start;
        for (const auto& p : c.points)
            if (p.lr > 0 && (swept <= 0 || p.lr < swept)) swept = p.lr;
        for (const auto& s : c.record.suggestions) {
            const QString rule = QString::fromStdString(s.rule);
            const double loss = lossNear(c.points, s.lr).value_or(lo);
            const bool below = swept > 0 && s.lr < swept * (1 - 1e-9);
            marks->append(s.lr, loss);
            if (s.lr > 0) xlo = std::min(xlo, s.lr);
            markers_.push_back(
                {c.record.id, rule, s.lr, loss,
                 QStringLiteral("%1 %2%3")
                     .arg(ruleLabel(rule))
                     .arg(s.lr, 0, 'g', 2)
                     .arg(below ? tr(" (below the swept range)") : QString()),
                 QStringLiteral("<b>%1</b>: lr %2<br>%3%4")
                     .arg(rule)
                     .arg(s.lr, 0, 'g', 3)
                     .arg(ruleExplanation(rule))
                     .arg(below ? tr("<br><b>Below the swept range</b> (it started at %1): no "
                                     "loss was measured at this LR; sweep from a lower start.")
                                      .arg(swept, 0, 'g', 3)
                                : QString())});
        }
        auto* stop = new QScatterSeries();
        stop->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
        stop->setMarkerSize(10);
        stop->setColor(QColor(0xd3, 0x2f, 0x2f));
        stop->setBorderColor(QColor(0x8e, 0x1b, 0x1b));
        double stopLoss = hi + pad * 0.5;  // NaN/Inf, or above the plot: pinned to the top
        for (const auto& p : c.points)
            if (p.step == c.record.stopStep && std::isfinite(p.loss))
                stopLoss = std::min(p.loss, hi + pad * 0.5);
        stop->append(c.record.stopLr, stopLoss);
        markers_.push_back({c.record.id, QStringLiteral("stop"), c.record.stopLr, stopLoss,
                            QStringLiteral("stop"),
                            QStringLiteral("<b>stopped</b> at step %1, lr %2: %3")
                                .arg(c.record.stopStep)
                                .arg(c.record.stopLr, 0, 'g', 3)
                                .arg(QString::fromStdString(c.record.stopReason))});
        for (QXYSeries* s : {static_cast<QXYSeries*>(raw), static_cast<QXYSeries*>(smooth),
                             static_cast<QXYSeries*>(marks), static_cast<QXYSeries*>(stop)}) {
            chart->addSeries(s);
            s->attachAxis(x_);
            s->attachAxis(y_);
        }
        for (QXYSeries* s : {static_cast<QXYSeries*>(raw), static_cast<QXYSeries*>(marks),
                             static_cast<QXYSeries*>(stop)})
            chart->legend()->markers(s).front()->setVisible(false);
        for (QScatterSeries* s : {marks, stop}) {
            const storage::SweepId id = c.record.id;
            connect(s, &QScatterSeries::hovered, this, [this, id](const QPointF& at, bool on) {
                if (!on) {
                    QToolTip::hideText();
                    return;
                }
                for (const SweepMarker& m : markers_)
                    if (m.sweep == id && std::abs(std::log(m.lr) - std::log(at.x())) < 1e-9)
                        QToolTip::showText(QCursor::pos(), m.tooltip, view_);
            });
            connect(s, &QScatterSeries::clicked, this, [this, id](const QPointF& at) {
                for (const SweepMarker& m : markers_)
                    if (m.sweep == id && m.rule != QLatin1String("stop") &&
                        std::abs(std::log(m.lr) - std::log(at.x())) < 1e-9)
                        setRule(m.rule);
            });
        }
    }
    if (std::isfinite(xlo) && xhi > xlo) x_->setRange(xlo / 1.5, xhi * 1.5);
    y_->setRange(lo - pad, hi + pad);
    for (const SweepMarker& m : markers_) {
        auto* label = new QGraphicsSimpleTextItem(m.label, chart);
        label->setZValue(12);
        label->setBrush(m.rule == QLatin1String("stop") ? QColor(0x8e, 0x1b, 0x1b)
                                                        : runColor(m.sweep).darker(150));
        labels_.push_back(label);
    }
    placeLabels();
}

void LrFinderView::placeLabels() {
    QChart* chart = view_->chart();
    if (chart->series().isEmpty()) return;
    QAbstractSeries* anchor = chart->series().front();
    // Alternate above and below the marker, and stack the sweeps' labels, so that close
    // suggestions of one sweep or of overlaid sweeps do not overwrite each other.
    std::vector<storage::SweepId> order;
    for (std::size_t i = 0; i < labels_.size() && i < markers_.size(); ++i) {
        const SweepMarker& m = markers_[i];
        auto k = std::find(order.begin(), order.end(), m.sweep) - order.begin();
        if (k == static_cast<std::ptrdiff_t>(order.size())) order.push_back(m.sweep);
        int rank = 0;  // the marker's index within its sweep
        for (std::size_t j = 0; j < i; ++j)
            rank += markers_[j].sweep == m.sweep ? 1 : 0;
        const double line = labels_[i]->boundingRect().height();
        const double dy = rank % 2 == 0 ? -line * (1.2 + static_cast<double>(k)) - 2
                                        : line * (0.2 + static_cast<double>(k)) + 4;
        const QPointF at = chart->mapToPosition(QPointF(m.lr, m.loss), anchor);
        labels_[i]->setPos(at.x() + 6, at.y() + dy);
        labels_[i]->setVisible(chart->plotArea().contains(at));
    }
}

void LrFinderView::beginLive(const QString& name) {
    endLive();
    chartPages_->setCurrentWidget(view_);
    live_ = new QLineSeries();
    live_->setName(tr("%1 (running)").arg(name));
    QPen pen(QColor(0x55, 0x55, 0x55), 2.0, Qt::DashLine);
    live_->setPen(pen);
    QChart* chart = view_->chart();
    chart->addSeries(live_);
    live_->attachAxis(x_);
    live_->attachAxis(y_);
}

void LrFinderView::addLivePoint(const sweep::Point& p) {
    if (live_ == nullptr || !std::isfinite(p.smoothed)) return;
    live_->append(p.lr, p.smoothed);
    if (live_->count() == 1) {
        x_->setRange(p.lr / 1.5, p.lr * 100);
        y_->setRange(p.smoothed * 0.5, p.smoothed * 1.5);
    }
    if (p.lr * 1.5 > x_->max()) x_->setMax(p.lr * 3);
    if (p.smoothed < y_->min()) y_->setMin(p.smoothed * 0.95);
}

void LrFinderView::endLive() {
    if (live_ == nullptr) return;
    view_->chart()->removeSeries(live_);
    delete live_;
    live_ = nullptr;
}

bool LrFinderView::showsEmptyHint() const {
    return chartPages_->currentWidget() == hint_;
}

int LrFinderView::liveCount() const {
    return live_ == nullptr ? 0 : live_->count();
}

void LrFinderView::setBusy(bool busy) {
    stopButton_->setEnabled(busy);
}

void LrFinderView::setSweepsAllowed(bool allowed) {
    newButton_->setEnabled(allowed);
}

}  // namespace runboard::widgets
