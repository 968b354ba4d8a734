#include "widgets/compare_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>
#include <set>

#include "storage/lineage.h"
#include "widgets/curves_view.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

namespace {

// The metrics the table shows first, when the runs have them.
const std::vector<std::string> kHeadline = {"test/accuracy", "test/loss",  "val/accuracy",
                                            "val/loss",      "train/loss", "train/accuracy"};

storage::Result<CompareSnapshot> loadCompare(storage::RunStore& store,
                                             const std::vector<storage::RunId>& ids) {
    CompareSnapshot snap;
    std::set<storage::RunId> groups;
    for (storage::RunId id : ids) {
        auto run = store.run(id);
        auto params = store.params(id);
        if (!run) return run.error();
        if (!params) return params.error();
        if (run->group) groups.insert(*run->group);
        snap.runs.push_back(std::move(run.value()));
        snap.params.push_back(std::move(params.value()));
    }
    for (std::size_t i = 1; i < ids.size(); ++i) {
        auto report =
            storage::comparisonData(store, ids.front(), ids[i]).transform(analysis::compareRuns);
        if (!report) return report.error();
        snap.reports.push_back(std::move(report.value()));
    }
    if (!snap.reports.empty())
        for (const auto& m : snap.reports.front().metrics)
            if (m.a) snap.baselineMetrics[m.key] = *m.a;
    const auto mask = storage::leaderboardSettings(store.connection())
                          .transform([](const auto& s) { return analysis::PrivateTestMask(s); })
                          .value_or({});
    for (storage::RunId g : groups) {
        GroupSummary summary{g, {}};
        auto group = storage::groupEvidence(store, g);
        if (!group) continue;
        for (const std::string& key : {std::string("test/accuracy"), std::string("val/accuracy")})
            if (auto v = analysis::groupMetricValues(group.value(), mask, key); v.size() >= 2)
                summary.values[key] = std::move(v);
        if (!summary.values.empty()) snap.groups.push_back(std::move(summary));
    }
    return snap;
}

QString valueText(std::optional<double> v) {
    return v ? QString::number(*v, 'g', 5) : QStringLiteral("–");
}

}  // namespace

CompareView::CompareView(Workspace* workspace, QWidget* parent)
    : QWidget(parent),
      loader_(
          this,
          [this]() -> std::optional<Loader::Job> {
              if (dbPath_.isEmpty() || runs_.size() < 2) return std::nullopt;
              std::vector<storage::RunId> ids{baseline_};
              for (const auto& [id, name] : runs_)
                  if (id != baseline_) ids.push_back(id);
              return Loader::Job{
                  dbPath_, [ids](storage::RunStore& store) { return loadCompare(store, ids); }};
          },
          [this](CompareSnapshot s) { apply(std::move(s)); },
          [this](const QString& error) { apply({.error = error}); }) {
    baselineBox_ = new QComboBox(this);
    allKeys_ = new QCheckBox(tr("Show all config keys"), this);
    bandBox_ = new QComboBox(this);
    bandBox_->addItem(tr("each run"), int(GroupBand::Off));
    bandBox_->addItem(tr("mean, min–max band"), int(GroupBand::MinMax));
    bandBox_->addItem(tr("mean ± 1 std band"), int(GroupBand::Std));
    bandBox_->setCurrentIndex(1);
    config_ = new QStandardItemModel(this);
    metrics_ = new QStandardItemModel(this);
    configTable_ = new QTableView(this);
    configTable_->setModel(config_);
    metricsTable_ = new QTableView(this);
    metricsTable_->setModel(metrics_);
    for (QTableView* t : {configTable_, metricsTable_}) {
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        t->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    }
    verdicts_ = new QLabel(this);
    verdicts_->setWordWrap(true);
    verdicts_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    verdicts_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    curves_ = new CurvesView(this);
    curves_->setMetric(QStringLiteral("val/accuracy"));
    curves_->setGroupBand(GroupBand::MinMax);

    auto* controls = new QHBoxLayout();
    controls->addWidget(new QLabel(tr("Baseline"), this));
    controls->addWidget(baselineBox_);
    controls->addWidget(allKeys_);
    controls->addSpacing(16);
    controls->addWidget(new QLabel(tr("Seed repeats in the curves"), this));
    controls->addWidget(bandBox_);
    controls->addStretch(1);
    auto* left = new QSplitter(Qt::Vertical, this);
    auto* configBox = new QWidget(left);
    auto* cl = new QVBoxLayout(configBox);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addWidget(
        new QLabel(tr("<b>Config</b> (keys that differ from the baseline in bold)"), configBox));
    cl->addWidget(configTable_);
    auto* metricsBox = new QWidget(left);
    auto* ml = new QVBoxLayout(metricsBox);
    ml->setContentsMargins(0, 0, 0, 0);
    ml->addWidget(new QLabel(tr("<b>Final metrics</b> (Δ against the baseline)"), metricsBox));
    ml->addWidget(metricsTable_);
    left->addWidget(configBox);
    left->addWidget(metricsBox);
    auto* verdictScroll = new QScrollArea(left);
    verdictScroll->setWidget(verdicts_);
    verdictScroll->setWidgetResizable(true);
    verdictScroll->setFrameShape(QFrame::NoFrame);
    left->addWidget(verdictScroll);
    left->setSizes({200, 200, 260});
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(curves_);
    split->setSizes({620, 700});
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(split, 1);

    connect(baselineBox_, &QComboBox::activated, this,
            [this](int i) { setBaseline(baselineBox_->itemData(i).toLongLong()); });
    connect(allKeys_, &QCheckBox::toggled, this, &CompareView::setShowAllKeys);
    connect(bandBox_, &QComboBox::currentIndexChanged, this, [this] {
        curves_->setGroupBand(static_cast<GroupBand>(bandBox_->currentData().toInt()));
    });
    apply({});
    if (workspace != nullptr) workspace->follow(this);
}

void CompareView::setDatabase(const QString& path) {
    dbPath_ = path;
    curves_->setDatabase(path);
    runs_.clear();
    refresh();
}

void CompareView::setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs) {
    runs_ = runs;
    if (std::none_of(runs_.begin(), runs_.end(),
                     [&](const auto& r) { return r.first == baseline_; }))
        baseline_ = runs_.empty() ? 0 : runs_.front().first;
    baselineBox_->clear();
    for (const auto& [id, name] : runs_)
        baselineBox_->addItem(name, QVariant::fromValue<qlonglong>(id));
    baselineBox_->setCurrentIndex(
        baselineBox_->findData(QVariant::fromValue<qlonglong>(baseline_)));
    curves_->setRuns(runs_);
    refresh();
}

void CompareView::setBaseline(storage::RunId run) {
    baseline_ = run;
    baselineBox_->setCurrentIndex(baselineBox_->findData(QVariant::fromValue<qlonglong>(run)));
    refresh();
}

void CompareView::setShowAllKeys(bool all) {
    showAll_ = all;
    if (allKeys_->isChecked() != all) allKeys_->setChecked(all);
    fillConfig();
}

void CompareView::refresh() {
    if (runs_.size() < 2) {
        loader_.invalidate();
        apply({.error = tr("Select two or more runs in the Runs tab to compare them.")});
        return;
    }
    loader_.request();
    curves_->requestRefresh();  // the chart follows a training run as the table does
}

void CompareView::apply(CompareSnapshot snapshot) {
    current_ = std::move(snapshot);
    std::map<storage::RunId, storage::RunId> groups;
    for (const auto& r : current_.runs)
        if (r.group) groups[r.id] = *r.group;
    curves_->setGroups(groups);
    fillConfig();
    fillMetrics();
    verdicts_->setText(verdictText());
    emit loaded();
}

void CompareView::fillConfig() {
    config_->clear();
    const auto& runs = current_.runs;
    if (runs.empty()) return;
    std::map<std::string, std::vector<std::optional<std::string>>> table;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (const auto& p : current_.params[i]) {
            auto& row = table[p.key];
            row.resize(runs.size());
            row[i] = p.value;
        }
    QStringList headers;
    for (const auto& r : runs)
        headers << QStringLiteral("#%1 %2").arg(r.id).arg(QString::fromStdString(r.name));
    config_->setHorizontalHeaderLabels(headers);
    QStringList keys;
    for (auto& [key, values] : table) {
        values.resize(runs.size());
        const bool differs = std::any_of(values.begin(), values.end(),
                                         [&](const auto& v) { return v != values.front(); });
        if (!differs && !showAll_) continue;
        QList<QStandardItem*> items;
        for (std::size_t i = 0; i < values.size(); ++i) {
            auto* item =
                new QStandardItem(values[i] ? QString::fromStdString(*values[i]) : tr("(absent)"));
            if (differs) item->setBackground(QColor(0xff, 0xf3, 0xc4));
            if (i > 0 && values[i] != values.front()) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            items << item;
        }
        config_->appendRow(items);
        keys << QString::fromStdString(key);
    }
    config_->setVerticalHeaderLabels(keys);
}

void CompareView::fillMetrics() {
    metrics_->clear();
    const auto& runs = current_.runs;
    if (runs.size() < 2) return;
    QStringList headers;
    for (const auto& r : runs)
        headers << QStringLiteral("#%1 %2").arg(r.id).arg(QString::fromStdString(r.name));
    metrics_->setHorizontalHeaderLabels(headers);
    std::vector<std::string> keys;
    for (const auto& k : kHeadline)
        for (const auto& m : current_.reports.front().metrics)
            if (m.key == k) keys.push_back(k);
    QStringList labels;
    for (const auto& key : keys) {
        QList<QStandardItem*> items;
        const auto base = current_.baselineMetrics.find(key);
        items << new QStandardItem(base != current_.baselineMetrics.end() ? valueText(base->second)
                                                                          : valueText({}));
        for (const auto& report : current_.reports) {
            std::optional<double> v;
            for (const auto& m : report.metrics)
                if (m.key == key) v = m.b;
            QString text = valueText(v);
            if (v && base != current_.baselineMetrics.end())
                text += QStringLiteral("  (Δ %1%2)")
                            .arg(*v - base->second >= 0 ? "+" : "")
                            .arg(*v - base->second, 0, 'g', 3);
            items << new QStandardItem(text);
        }
        metrics_->appendRow(items);
        labels << QString::fromStdString(key);
    }
    metrics_->setVerticalHeaderLabels(labels);
}

QString CompareView::verdictText() const {
    if (!current_.error.isEmpty()) return current_.error;
    QStringList lines;
    const auto& base = current_.runs.empty() ? storage::RunRecord{} : current_.runs.front();
    for (const auto& r : current_.reports) {
        QString line = tr("<b>#%1 vs baseline #%2</b> (test accuracy, %3 shared samples%4): %5")
                           .arg(r.b.id)
                           .arg(base.id)
                           .arg(r.sharedSamples)
                           .arg(r.publicOnly ? tr(", public part") : QString())
                           .arg(QString::fromStdString(r.verdict.text).toHtmlEscaped());
        if (r.groupVerdict)
            line += tr("<br>&nbsp;&nbsp;seed repeats (%1 vs %2 runs): %3")
                        .arg(r.groupSizeA)
                        .arg(r.groupSizeB)
                        .arg(QString::fromStdString(r.groupVerdict->text).toHtmlEscaped());
        // Between two groups of seed repeats the seeds differ by design: that is the noise the
        // group verdict measures, not a second change.
        std::vector<storage::Change> changed = r.changed;
        if (r.groupVerdict) std::erase_if(changed, [](const auto& c) { return c.key == "seed"; });
        if (changed.size() > 1)
            line +=
                tr("<br>&nbsp;&nbsp;<span style=\"color:#e65100\">&#9888; %1</span>")
                    .arg(QString::fromStdString(storage::changeWarning(changed)).toHtmlEscaped());
        lines << line;
    }
    for (const auto& g : current_.groups) {
        QStringList parts;
        for (const auto& [key, values] : g.values)
            parts << QStringLiteral("%1 %2 ± %3")
                         .arg(QString::fromStdString(key))
                         .arg(100 * stats::mean(values), 0, 'f', 2)
                         .arg(100 * stats::sampleStd(values), 0, 'f', 2);
        lines << tr("<b>Seed repeats of #%1</b> (%2 finished): %3 (%)")
                     .arg(g.group)
                     .arg(g.values.begin()->second.size())
                     .arg(parts.join(QStringLiteral(", ")));
    }
    return lines.join(QStringLiteral("<br>"));
}

}  // namespace runboard::widgets
