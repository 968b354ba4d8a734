#include "widgets/lr_finder_view.h"

#include <QComboBox>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <tuple>

#include "storage/run_store.h"
#include "widgets/plot/plot_tools.h"
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

    plot_ = new PlotWidget(this);
    plot_->setLogScales(true, false);
    plot_->setTitles(tr("learning rate (log)"), tr("loss"));
    legend_ = new PlotLegend(this);
    // Drag to zoom into a part of the sweep, double-click for the whole of it again.
    auto* zoomer = new PlotZoomer(plot_);
    connect(zoomer, &PlotZoomer::zoomed, plot_, &PlotWidget::setRanges);
    connect(zoomer, &PlotZoomer::resetRequested, this,
            [this] { plot_->setRanges(ranges_[0], ranges_[1], ranges_[2], ranges_[3]); });
    // A marker's tooltip explains its rule; a click on a suggestion makes its rule the one
    // "Start a run with this LR" uses.
    auto* picker = new PlotPicker(plot_);
    connect(picker, &PlotPicker::hovered, this, [this](int markers, int point, QPoint at) {
        if (const SweepMarker* m = markerOf(markers, point))
            QToolTip::showText(at, m->tooltip, plot_);
    });
    connect(picker, &PlotPicker::left, this, [] { QToolTip::hideText(); });
    connect(picker, &PlotPicker::clicked, this, [this](int markers, int point) {
        if (const SweepMarker* m = markerOf(markers, point); m && m->rule != QLatin1String("stop"))
            setRule(m->rule);
    });
    chartBox_ = new QWidget(this);
    auto* chartLayout = new QVBoxLayout(chartBox_);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(plot_, 1);
    chartLayout->addWidget(legend_);

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
    chartPages_->addWidget(chartBox_);
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
    if (workspace != nullptr) workspace->follow(this);
}

const SweepMarker* LrFinderView::markerOf(int markers, int point) const {
    if (markers < 0 || static_cast<std::size_t>(markers) >= markerIds_.size()) return nullptr;
    const auto& ids = markerIds_[static_cast<std::size_t>(markers)];
    if (point < 0 || static_cast<std::size_t>(point) >= ids.size()) return nullptr;
    return &markers_[ids[static_cast<std::size_t>(point)]];
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
        current_.sweeps.empty() && !liveName_ ? static_cast<QWidget*>(hint_) : chartBox_);
    if (changed) redraw();
    runButton_->setEnabled(chosenLr().has_value());
    status_->setText(current_.error.isEmpty() ? tr("%n sweep(s); select several to overlay them",
                                                   "", static_cast<int>(current_.sweeps.size()))
                                              : current_.error);
    emit loaded();
}

void LrFinderView::redraw() {
    markers_.clear();
    markerIds_.clear();

    // The y range: from the lowest smoothed loss to a bit above where the sweeps started, so the
    // descent fills the plot and the explosion leaves it at the top.
    double lo = std::numeric_limits<double>::infinity(), start = -lo, top = -lo;
    double xlo = lo, xhi = -lo;
    for (const SweepCurve& c : current_.curves) {
        const std::size_t head = std::max<std::size_t>(1, c.points.size() / 10);
        for (std::size_t i = 0; i < c.points.size(); ++i) {
            const auto& p = c.points[i];
            if (p.lr > 0) {
                xlo = std::min(xlo, p.lr);
                xhi = std::max(xhi, p.lr);
            }
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

    PlotContent content;
    std::vector<LegendEntry> legend;
    const double line = QFontMetrics(font()).height();
    for (std::size_t k = 0; k < current_.curves.size(); ++k) {
        const SweepCurve& c = current_.curves[k];
        const QColor color = runColor(c.record.id);
        QColor faint = color;
        faint.setAlpha(80);
        PlotLine raw{{}, QPen(faint, 1.0)}, smooth{{}, QPen(color, 2.0)};
        for (const auto& p : c.points) {
            if (p.lr <= 0) continue;  // not on a log axis
            if (std::isfinite(p.loss)) raw.points.push_back({p.lr, p.loss});
            if (std::isfinite(p.smoothed)) smooth.points.push_back({p.lr, p.smoothed});
        }
        content.lines.push_back(std::move(raw));
        content.lines.push_back(std::move(smooth));
        legend.push_back(
            {color,
             QStringLiteral("#%1 %2").arg(c.record.id).arg(QString::fromStdString(c.record.name))});

        // Suggestions, then the stop point. Labels alternate above and below their markers; the
        // plot moves any that would overlap another (overlaid sweeps suggest close LRs).
        const auto labelAt = [&](std::size_t rank, const QString& text, QColor textColor) {
            const double dy = rank % 2 == 0 ? -line * 1.2 - 2 : line * 0.2 + 4;
            return PlotLabel{text, QPointF(6, dy), textColor};
        };
        PlotMarkers marks{{}, color, PlotMarkers::Shape::Circle, false, 11};
        std::vector<std::size_t> ids;
        // Where the sweep started: minimum/10 of a sweep whose minimum came early lies below it,
        // at an LR where no loss was measured; the marker says so (drawn at the first point's
        // loss, and the x axis reaches it).
        double swept = c.record.start;
        for (const auto& p : c.points)
            if (p.lr > 0 && (swept <= 0 || p.lr < swept)) swept = p.lr;
        for (const auto& s : c.record.suggestions) {
            if (!(s.lr > 0)) continue;
            const QString rule = QString::fromStdString(s.rule);
            const double loss = lossNear(c.points, s.lr).value_or(lo);
            const bool below = swept > 0 && s.lr < swept * (1 - 1e-9);
            xlo = std::min(xlo, s.lr);
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
            marks.points.push_back({s.lr, loss});
            marks.labels.push_back(labelAt(ids.size(), markers_.back().label, color.darker(150)));
            ids.push_back(markers_.size() - 1);
        }
        content.markers.push_back(std::move(marks));
        markerIds_.push_back(std::move(ids));
        if (c.record.stopLr > 0) {
            double stopLoss = hi + pad * 0.5;  // NaN/Inf, or above the plot: pinned to the top
            for (const auto& p : c.points)
                if (p.step == c.record.stopStep && std::isfinite(p.loss))
                    stopLoss = std::min(p.loss, hi + pad * 0.5);
            markers_.push_back({c.record.id, QStringLiteral("stop"), c.record.stopLr, stopLoss,
                                QStringLiteral("stop"),
                                QStringLiteral("<b>stopped</b> at step %1, lr %2: %3")
                                    .arg(c.record.stopStep)
                                    .arg(c.record.stopLr, 0, 'g', 3)
                                    .arg(QString::fromStdString(c.record.stopReason))});
            const QColor dark(0x8e, 0x1b, 0x1b);
            // In the sweep's colour, so overlaid sweeps' stops are told apart; the label says stop.
            PlotMarkers stop{
                {{c.record.stopLr, stopLoss}}, color, PlotMarkers::Shape::Square, false, 10};
            stop.labels.push_back(labelAt(markerIds_.back().size(), QStringLiteral("stop"), dark));
            content.markers.push_back(std::move(stop));
            markerIds_.push_back({markers_.size() - 1});
        }
    }
    if (std::isfinite(xlo) && xhi >= xlo)
        ranges_ = {xlo / 1.5, xhi * 1.5, lo - pad, hi + pad};
    else
        ranges_ = {1e-7, 10, lo - pad, hi + pad};
    drawn_ = std::move(content);
    legend_->setEntries(legend);
    legendEntries_ = std::move(legend);
    plot_->setRanges(ranges_[0], ranges_[1], ranges_[2], ranges_[3]);
    showContent();
}

void LrFinderView::showContent() {
    PlotContent content = drawn_;
    if (liveName_) {
        content.lines.push_back({live_, QPen(QColor(0x55, 0x55, 0x55), 2.0, Qt::DashLine)});
        auto legend = legendEntries_;
        legend.push_back({QColor(0x55, 0x55, 0x55), tr("%1 (running)").arg(*liveName_)});
        legend_->setEntries(legend);
    }
    plot_->setContent(std::move(content));
}

void LrFinderView::beginLive(const QString& name) {
    endLive();
    liveName_ = name;
    chartPages_->setCurrentWidget(chartBox_);
    showContent();
}

void LrFinderView::addLivePoint(const sweep::Point& p) {
    if (!liveName_ || !std::isfinite(p.smoothed) || !(p.lr > 0)) return;
    live_.push_back({p.lr, p.smoothed});
    const PlotMapping& m = plot_->mapping();
    double x0 = m.x0, x1 = m.x1, y0 = m.y0, y1 = m.y1;
    if (live_.size() == 1) {
        x0 = p.lr / 1.5, x1 = p.lr * 100;
        y0 = p.smoothed * 0.5, y1 = p.smoothed * 1.5;
    }
    if (p.lr * 1.5 > x1) x1 = p.lr * 3;
    if (p.smoothed < y0) y0 = p.smoothed * 0.95;
    plot_->setRanges(x0, x1, y0, y1);
    // The live line is the last: one point more, the stored sweeps' lines are not copied.
    plot_->appendToLine(plot_->lines().size() - 1, live_.back());
}

void LrFinderView::endLive() {
    if (!liveName_) return;
    liveName_.reset();
    live_.clear();
    legend_->setEntries(legendEntries_);
    showContent();
}

bool LrFinderView::showsEmptyHint() const {
    return chartPages_->currentWidget() == hint_;
}

int LrFinderView::liveCount() const {
    return static_cast<int>(live_.size());
}

void LrFinderView::setBusy(bool busy) {
    stopButton_->setEnabled(busy);
}

void LrFinderView::setSweepsAllowed(bool allowed) {
    newButton_->setEnabled(allowed);
}

}  // namespace runboard::widgets
