#include "widgets/curves_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QSlider>
#include <QSvgGenerator>
#include <QTextStream>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <set>

#include "engine/analysis/csv.h"
#include "storage/leaderboard.h"
#include "widgets/curves_loader.h"
#include "widgets/plot/plot_tools.h"
#include "widgets/runs_model.h"

namespace runboard::widgets {

namespace {
constexpr int kCoalesceMs = 50;  // at most 20 loads (and repaints) a second

QColor fadedOnWhite(const QColor& c, int alpha) {
    const auto mix = [alpha](int v) { return (v * alpha + 255 * (255 - alpha)) / 255; };
    return QColor(mix(c.red()), mix(c.green()), mix(c.blue()));
}
}  // namespace

CurvesView::CurvesView(QWidget* parent)
    : QWidget(parent),
      loader_(
          this,
          [this]() -> std::optional<LatestLoader<CurvesSnapshot>::Job> {
              if (dbPath_.isEmpty()) return std::nullopt;
              lastStart_.start();
              // Half a column per pixel: M4 draws at most four points a column, two per pixel.
              CurvesQuery q{runs_,      metric_,    zoom_,  std::max(10, plotWidth() / 2),
                            smoothing_, viewCount_, xAxis_, showArchived_};
              return LatestLoader<CurvesSnapshot>::Job{
                  dbPath_,
                  [q = std::move(q)](storage::RunStore& store) { return loadSnapshot(store, q); }};
          },
          [this](CurvesSnapshot s) { apply(std::move(s)); },
          [this](const QString& error) { apply({.view = viewCount_, .error = error}); },
          [this] { requestRefresh(); }) {
    plot_ = new PlotWidget(this);
    // The runs' legend is a label under the plot; QtCharts' legend relayouted a text item per
    // run whenever the selection changed (tens of ms for ten runs).
    legend_ = new PlotLegend(this);
    // A zoom on the step axis loads the finer envelope of the new x range (the y range is
    // refitted to it); other axes zoom what is loaded.
    auto* zoomer = new PlotZoomer(plot_, PlotZoomer::Axes::X);
    connect(zoomer, &PlotZoomer::zoomed, this, [this](double x0, double x1, double y0, double y1) {
        if (current_.series.empty()) return;
        if (current_.xAxis != XAxis::Step) {
            plot_->setRanges(x0, x1, y0, y1);
            return;
        }
        zoom_ = std::pair(x0, x1);
        ++viewCount_;  // the envelope of the old range is not drawn again
        requestRefresh();
    });
    connect(zoomer, &PlotZoomer::resetRequested, this, [this] {
        zoom_.reset();
        ++viewCount_;
        requestRefresh();
    });
    // The crosshair: every drawn run's value at the cursor.
    new PlotTracker(plot_, [this](double x) {
        // Steps are whole numbers; epochs and seconds keep a decimal.
        const QString at = current_.xAxis == XAxis::Step ? QString::number(std::llround(x))
                                                         : QString::number(x, 'f', 1);
        QStringList lines{QStringLiteral("%1 %2").arg(current_.xTitle, at)};
        for (const CurveSeries& s : current_.series) {
            const auto& pts = s.smoothed.empty() ? s.raw : s.smoothed;
            auto it = std::lower_bound(pts.begin(), pts.end(), x,
                                       [](const CurvePoint& p, double v) { return p.x < v; });
            if (it == pts.end()) {
                if (pts.empty()) continue;
                it = pts.end() - 1;
            }
            lines << QStringLiteral("%1: %2").arg(s.name).arg(it->y, 0, 'g', 5);
        }
        return lines.join('\n');
    });

    metricBox_ = new QComboBox(this);
    metricBox_->setEditable(false);
    metricBox_->setMinimumContentsLength(16);
    metricBox_->addItem(metric_);
    logBox_ = new QCheckBox(tr("Log scale"), this);
    archivedBox_ = new QCheckBox(tr("Show archived points"), this);
    archivedBox_->setToolTip(
        tr("What a resumed run logged after its checkpoint before it was stopped or killed, "
           "drawn faintly (the dashed lines mark where it resumed)"));
    smoothSlider_ = new QSlider(Qt::Horizontal, this);
    smoothSlider_->setRange(0, 99);
    smoothSlider_->setValue(static_cast<int>(smoothing_ * 100));
    smoothSlider_->setMaximumWidth(160);
    smoothSlider_->setToolTip(
        tr("Smoothing: debiased exponential moving average, as TensorBoard's"));
    badge_ = new QLabel(this);
    badge_->setStyleSheet(QStringLiteral("color: #666;"));

    auto* controls = new QHBoxLayout();
    controls->addWidget(new QLabel(tr("Metric"), this));
    controls->addWidget(metricBox_);
    controls->addWidget(logBox_);
    controls->addWidget(archivedBox_);
    controls->addWidget(new QLabel(tr("Smoothing"), this));
    controls->addWidget(smoothSlider_);
    controls->addStretch(1);
    controls->addWidget(badge_);
    auto* close = new QToolButton(this);
    close->setText(QStringLiteral("\u2715"));
    close->setToolTip(tr("Close this panel"));
    close->setAutoRaise(true);
    controls->addWidget(close);
    connect(close, &QToolButton::clicked, this, &CurvesView::closeRequested);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(plot_, 1);
    layout->addWidget(legend_);

    connect(metricBox_, &QComboBox::currentTextChanged, this, [this](const QString& m) {
        if (!m.isEmpty() && m != metric_) setMetric(m);
    });
    connect(logBox_, &QCheckBox::toggled, this, &CurvesView::setLogScale);
    connect(archivedBox_, &QCheckBox::toggled, this, &CurvesView::setShowArchived);
    connect(smoothSlider_, &QSlider::valueChanged, this,
            [this](int v) { setSmoothing(v / 100.0); });

    coalesce_.setSingleShot(true);
    connect(&coalesce_, &QTimer::timeout, this, &CurvesView::startLoad);
}

void CurvesView::setDatabase(const QString& path) {
    dbPath_ = path;
    zoom_.reset();
    requestRefresh();
}

void CurvesView::setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs) {
    runs_ = runs;
    ++viewCount_;
    requestRefresh();
}

void CurvesView::setMetric(const QString& key) {
    metric_ = key;
    zoom_.reset();
    ++viewCount_;
    if (metricBox_->currentText() != key) {
        if (metricBox_->findText(key) < 0) metricBox_->addItem(key);
        metricBox_->setCurrentText(key);
    }
    requestRefresh();
}

QString CurvesView::metric() const {
    return metric_;
}

void CurvesView::setLogScale(bool on) {
    logScale_ = on;
    if (logBox_->isChecked() != on) logBox_->setChecked(on);
    redraw();
}

void CurvesView::setShowArchived(bool on) {
    showArchived_ = on;
    if (archivedBox_->isChecked() != on) archivedBox_->setChecked(on);
    requestRefresh();
}

void CurvesView::setSmoothing(double weight) {
    smoothing_ = std::clamp(weight, 0.0, 0.99);
    requestRefresh();
}

void CurvesView::setXAxis(XAxis axis) {
    xAxis_ = axis;
    zoom_.reset();
    ++viewCount_;
    requestRefresh();
}

void CurvesView::setGroups(std::map<storage::RunId, storage::RunId> groups) {
    if (groups == groups_) return;
    groups_ = std::move(groups);
    redraw();
}

void CurvesView::setGroupBand(GroupBand band) {
    groupBand_ = band;
    redraw();
}

void CurvesView::requestRefresh() {
    // Idle for a while: load now. Otherwise coalesce: at most one load per interval.
    if (coalesce_.isActive()) return;
    if (!lastStart_.isValid() || lastStart_.elapsed() >= kCoalesceMs) {
        startLoad();
    } else {
        coalesce_.start(kCoalesceMs - static_cast<int>(lastStart_.elapsed()));
    }
}

int CurvesView::plotWidth() const {
    const int w = static_cast<int>(plot_->mapping().area.width());
    return w > 50 ? w : std::max(100, plot_->width() - 80);
}

void CurvesView::startLoad() {
    loader_.request();
}

void CurvesView::apply(CurvesSnapshot snapshot) {
    // Another selection, metric or axis since the load began: its request may still be waiting
    // for the 50 ms throttle, so the loader has not superseded this result yet.
    if (snapshot.view != viewCount_) return;
    if (!snapshot.metrics.isEmpty()) {
        const QSignalBlocker block(metricBox_);
        const QString keep = metric_;
        metricBox_->clear();
        metricBox_->addItems(snapshot.metrics);
        if (metricBox_->findText(keep) < 0) metricBox_->addItem(keep);
        metricBox_->setCurrentText(keep);
    }
    current_ = std::move(snapshot);
    redraw();
    emit loaded();
}

void CurvesView::redraw() {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, minPositive = lo;
    double x0 = lo, x1 = -lo;
    for (const CurveSeries& s : current_.series)
        for (const CurvePoint& p : s.raw) {
            lo = std::min(lo, p.y);
            hi = std::max(hi, p.y);
            x0 = std::min(x0, p.x);
            x1 = std::max(x1, p.x);
            if (p.y > 0) minPositive = std::min(minPositive, p.y);
        }
    const bool any = std::isfinite(lo);
    const double floor = std::isfinite(minPositive) ? minPositive / 10.0 : 1e-6;

    // The data's extent, as TensorBoard draws it: a live run's newest point is at the right edge.
    // Points that share one x (runs of one point) sit in the middle, not on the edge.
    std::pair<double, double> xs{plot_->mapping().x0, plot_->mapping().x1};
    if (current_.xAxis == XAxis::Step)
        xs = xRangeFor(current_.minStep, current_.maxStep);
    else if (std::isfinite(x0))  // the drawn points' extent on the mapped axis
        xs = xRangeFor(x0, x1);
    plot_->setTitles(current_.xTitle, metric_);
    // Nothing drawn: an empty frame with a neutral y range.
    std::pair<double, double> ys = logScale_ ? std::pair(0.1, 1.0) : std::pair(0.0, 1.0);
    if (any) {
        // Tight (nice numbers would squash short panels), and stable while a live run stays
        // inside it: a new view, metric, axis or scale starts afresh.
        std::optional<std::pair<double, double>> shown;
        if (yKey_ == std::tuple(current_.view, logScale_, zoom_.has_value())) shown = yShown_;
        const auto [a, b] =
            logScale_ ? stableRange(shown, std::max(floor, minPositive), std::max(hi, floor), true)
                      : stableRange(shown, lo, hi, false);
        ys = {a, b};
        yShown_ = {a, b};
        yKey_ = {current_.view, logScale_, zoom_.has_value()};
    }

    // Faint raw lines first, then the smoothed ones over all of them, then the markers.
    std::vector<PlotLine> raw, smooth, archived, resumeLines;
    std::vector<PlotMarkers> markers;
    std::vector<LegendEntry> legend;
    std::int64_t shown = 0, total = 0;
    const QColor red(0xd3, 0x2f, 0x2f);
    for (const CurveSeries& s : current_.series) {
        const QColor color = runColor(s.run);
        legend.push_back({color, s.name});
        // The raw line behind the smoothed one: the run's colour faded into the white plot,
        // opaque (blending a translucent pen costs ten times as much to draw).
        const QColor faint = smoothing_ > 0 ? fadedOnWhite(color, 70) : color;
        LogClip clipped;
        if (logScale_) clipped = clipForLog(s.raw, floor);
        raw.push_back({logScale_ ? std::move(clipped.points) : s.raw, QPen(faint, 1.0)});
        if (smoothing_ > 0)
            smooth.push_back(
                {logScale_ ? clipForLog(s.smoothed, floor).points : s.smoothed, QPen(color, 2.0)});
        // NaN/Inf: marked at the top of the plot, never dropped silently.
        if (!s.nonFinite.empty()) {
            PlotMarkers nan{{}, red, PlotMarkers::Shape::Triangle, true};
            for (double step : s.nonFinite)
                nan.points.push_back({step, 0});
            markers.push_back(std::move(nan));
        }
        if (!clipped.clipped.empty())
            markers.push_back({std::move(clipped.clipped), color, PlotMarkers::Shape::Square});
        // Archived tails, dotted and faint, behind everything; each resume a dashed line.
        for (const auto& tail : s.archived)
            archived.push_back({logScale_ ? clipForLog(tail, floor).points : tail,
                                QPen(fadedOnWhite(color, 80), 1.0, Qt::DotLine)});
        if (!s.resumes.empty()) {
            PlotMarkers at{{}, color, PlotMarkers::Shape::Circle, true, 6};
            for (double x : s.resumes) {
                resumeLines.push_back({{{x, ys.first}, {x, ys.second}},
                                       QPen(fadedOnWhite(color, 120), 1.0, Qt::DashLine)});
                // Pinned to the top; its y (just inside the range) places the label there.
                at.points.push_back({x, ys.second - 0.05 * (ys.second - ys.first)});
                at.labels.push_back({tr("resumed"), {5, 0}, fadedOnWhite(color, 200)});
            }
            markers.push_back(std::move(at));
        }
        shown += s.shown;
        total += s.total;
    }
    // Groups of seed repeats: two or more of a group's runs become their mean and a band.
    std::vector<PlotBand> bands;
    if (groupBand_ != GroupBand::Off) {
        std::map<storage::RunId, std::vector<std::size_t>> byGroup;
        for (std::size_t i = 0; i < current_.series.size(); ++i)
            if (auto g = groups_.find(current_.series[i].run); g != groups_.end())
                byGroup[g->second].push_back(i);
        std::vector<bool> grouped(current_.series.size(), false);
        for (const auto& [group, members] : byGroup) {
            if (members.size() < 2) continue;
            std::vector<const std::vector<CurvePoint>*> curves;
            for (std::size_t i : members) {
                const CurveSeries& s = current_.series[i];
                curves.push_back(smoothing_ > 0 ? &s.smoothed : &s.raw);
                grouped[i] = true;
            }
            GroupCurve g = groupCurve(curves, groupBand_ == GroupBand::MinMax);
            const QColor color = runColor(group);
            QColor fill = fadedOnWhite(color, 60);
            bands.push_back({std::move(g.low), std::move(g.high), fill});
            smooth.push_back({std::move(g.mean), QPen(color, 2.0)});
            legend.push_back(
                {color, tr("seed repeats of #%1: mean of %2, %3")
                            .arg(group)
                            .arg(members.size())
                            .arg(groupBand_ == GroupBand::MinMax ? tr("min–max band")
                                                                 : tr("± 1 std band"))});
        }
        // The grouped runs' own lines give way to their group's.
        std::vector<PlotLine> keepRaw, keepSmooth;
        std::size_t r = 0, m = 0;
        for (std::size_t i = 0; i < current_.series.size(); ++i) {
            if (!grouped[i]) keepRaw.push_back(std::move(raw[r]));
            ++r;
            if (smoothing_ > 0) {
                if (!grouped[i]) keepSmooth.push_back(std::move(smooth[m]));
                ++m;
            }
        }
        for (; m < smooth.size(); ++m)  // the groups' mean lines
            keepSmooth.push_back(std::move(smooth[m]));
        raw = std::move(keepRaw);
        smooth = std::move(keepSmooth);
    }
    for (PlotLine& l : smooth)
        raw.push_back(std::move(l));
    // Drawn first (under the live lines): the archived tails, then the resume lines.
    for (PlotLine& l : raw)
        archived.push_back(std::move(l));
    raw = std::move(archived);
    raw.insert(raw.begin(), std::make_move_iterator(resumeLines.begin()),
               std::make_move_iterator(resumeLines.end()));
    plot_->setLogScales(false, logScale_);
    plot_->setXIntegers(current_.xAxis != XAxis::WallTime);
    plot_->setPlaceholder(runs_.empty() ? tr("Select runs in the table to see their curves")
                          : current_.error.isEmpty()
                              ? tr("No %1 points in the selected runs yet").arg(metric_)
                              : current_.error);
    plot_->setRanges(xs.first, xs.second, ys.first, ys.second);
    plot_->setContent({std::move(bands), std::move(raw), std::move(markers)});
    legend_->setEntries(legend);

    QString note;
    if (current_.runsWithoutAxis > 0)
        note = tr(" (%n run(s) not on this axis yet)", "", current_.runsWithoutAxis);
    badge_->setText(current_.error.isEmpty() ? tr("%1 / %2 points").arg(shown).arg(total) + note
                                             : current_.error);
}

int CurvesView::drawnPoints() const {
    std::size_t n = 0;
    for (const PlotLine& line : plot_->lines())
        n += line.points.size();
    return static_cast<int>(n);
}

QString CurvesView::legendText() const {
    return legend_->text();
}

bool CurvesView::exportPng(const QString& path) {
    return plot_->grab().save(path, "PNG");
}

bool CurvesView::exportSvg(const QString& path) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(plot_->size());
    svg.setViewBox(plot_->rect());
    svg.setTitle(metric_);
    QPainter painter;
    if (!painter.begin(&svg)) return false;
    plot_->paintPlot(painter);
    return painter.end();
}

bool CurvesView::exportCsv(const QString& path) const {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    QTextStream out(&f);
    out << csvHeader();
    writeCsvRows(out);
    out.flush();
    return f.error() == QFile::NoError;
}

QString CurvesView::csvHeader() {
    return QStringLiteral("run,name,metric,step,value\n");
}

void CurvesView::writeCsvRows(QTextStream& out) const {
    // Run names are the user's text: OWASP's CSV-injection rule (a name "=cmd|..." stays text).
    const QString metric = QString::fromStdString(analysis::csvTextField(metric_.toStdString()));
    for (const CurveSeries& s : current_.series) {
        const QString name = QString::fromStdString(analysis::csvTextField(s.name.toStdString()));
        for (const CurvePoint& p : s.raw)
            out << s.run << "," << name << "," << metric << "," << static_cast<qint64>(p.x) << ","
                << QString::number(p.y, 'g', 17) << "\n";
    }
}

QSize CurvesView::exportSize() const {
    return {plot_->width(), plot_->height() + (legend_->isVisible() ? legend_->height() : 0)};
}

void CurvesView::renderExport(QPainter* painter, QPoint at) {
    painter->save();
    painter->translate(at);
    plot_->paintPlot(*painter);
    painter->restore();
    if (legend_->isVisible())
        legend_->render(painter, at + QPoint(0, plot_->height()), QRegion(), QWidget::DrawChildren);
}

}  // namespace runboard::widgets
