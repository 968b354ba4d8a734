#include "widgets/runs_model.h"

#include <QColor>
#include <QDateTime>
#include <algorithm>
#include <cmath>

#include "engine/analysis/test_mask.h"
#include "storage/leaderboard.h"
#include "storage/lineage.h"

namespace runboard::widgets {
namespace {

QDateTime parseTime(const std::string& iso) {
    return iso.empty() ? QDateTime()
                       : QDateTime::fromString(QString::fromStdString(iso), Qt::ISODateWithMs);
}

// Seconds from start to finish (or to now while running); -1 when it never started.
qint64 durationSeconds(const storage::RunRecord& r) {
    const QDateTime start = parseTime(r.startedAt);
    if (!start.isValid()) return -1;
    const QDateTime end =
        r.finishedAt.empty() ? QDateTime::currentDateTimeUtc() : parseTime(r.finishedAt);
    return std::max<qint64>(0, start.secsTo(end));
}

QString formatDuration(qint64 s) {
    if (s < 0) return {};
    if (s >= 3600) return QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60) return QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1s").arg(s);
}

QString paramsText(const storage::RunOverview& r) {
    QStringList parts;
    for (const auto& key : RunsModel::paramKeys()) {
        const auto it = r.params.find(key);
        if (it == r.params.end()) continue;
        if (key == "ddp.world_size") {  // data-parallel runs only: "processes=2"
            if (it->second != "1") parts << QString::fromStdString("processes=" + it->second);
            continue;
        }
        parts << QString::fromStdString(key + "=" + it->second);
    }
    return parts.join(QStringLiteral("  "));
}

QVariant metric(const storage::RunOverview& r, const std::string& key, int role) {
    auto it = r.metrics.find(key);
    if (it == r.metrics.end()) return role == RunsModel::SortRole ? QVariant(-1.0) : QVariant();
    if (role == RunsModel::SortRole) return std::isfinite(it->second) ? it->second : -1.0;
    if (!std::isfinite(it->second)) return QStringLiteral("non-finite");
    return QString::number(it->second * 100.0, 'f', 2) + QStringLiteral(" %");
}

}  // namespace

const std::vector<std::string>& RunsModel::paramKeys() {
    static const std::vector<std::string> keys = {"model",      "optimizer", "lr",
                                                  "batch_size", "epochs",    "ddp.world_size"};
    return keys;
}

const std::vector<std::string>& RunsModel::metricKeys() {
    static const std::vector<std::string> keys = {"val/accuracy", "test/accuracy"};
    return keys;
}

RunsModel::RunsModel(QObject* parent)
    : RecordTableModel(
          {tr("Status"), tr("Name"), tr("Created"), tr("Duration"), tr("Checks"), tr("vs parent"),
           tr("Params"), tr("val/accuracy"), tr("test/accuracy")},
          [](const storage::RunOverview& r) -> std::int64_t { return r.run.id; },
          Order::AscendingId, parent) {
    Q_ASSERT(columnCount() == ColumnCount);
}

bool RunsModel::sameRecord(const storage::RunOverview& a, const storage::RunOverview& b) const {
    const auto& x = a.run;
    const auto& y = b.run;
    return x.name == y.name && x.status == y.status && x.startedAt == y.startedAt &&
           x.finishedAt == y.finishedAt && x.notes == y.notes && a.params == b.params &&
           a.metrics == b.metrics && a.changes == b.changes && a.checks == b.checks &&
           a.resumes == b.resumes && x.group == y.group && x.status != storage::RunStatus::Running;
}

void RunsModel::setRuns(std::vector<storage::RunOverview> runs) {
    setRecords(std::move(runs));
}

QVariant RunsModel::cell(const storage::RunOverview& r, int column, int role) const {
    const QString status = QString::fromUtf8(storage::toString(r.run.status).data());
    if (role == RunIdRole) return QVariant::fromValue<qlonglong>(r.run.id);
    if (role == FilterRole) return {};
    switch (column) {
        case StatusColumn:
            // A resumed run says so, briefly ("finished \u21bb2": the column is narrow); the
            // tooltip in words, and its curves mark where.
            if (role == Qt::DisplayRole)
                return r.resumes == 0 ? status : tr("%1 \u21bb%2").arg(status).arg(r.resumes);
            if (role == SortRole) return status;
            if (role == Qt::DecorationRole) return statusColor(r.run.status);
            if (role == Qt::ToolTipRole && (!r.run.message.empty() || r.resumes > 0))
                return (r.resumes > 0 ? tr("Resumed %n time(s). ", "", static_cast<int>(r.resumes))
                                      : QString()) +
                       QString::fromStdString(r.run.message);
            break;
        case NameColumn:
            if (role == Qt::DisplayRole || role == Qt::EditRole || role == SortRole)
                return QString::fromStdString(r.run.name);
            if (role == Qt::DecorationRole) return runColor(r.run.id);
            if (role == Qt::ToolTipRole && !r.run.notes.empty())
                return QString::fromStdString(r.run.notes);
            break;
        case CreatedColumn:
            if (role == Qt::DisplayRole)
                return parseTime(r.run.createdAt)
                    .toLocalTime()
                    .toString(QStringLiteral("yyyy-MM-dd HH:mm"));
            if (role == SortRole) return QString::fromStdString(r.run.createdAt);
            break;
        case DurationColumn:
            if (role == Qt::DisplayRole) return formatDuration(durationSeconds(r.run));
            if (role == SortRole) return durationSeconds(r.run);
            break;
        case ChecksColumn:
            if (r.checks.empty()) break;
            if (role == Qt::DisplayRole || role == SortRole)
                return r.checks == "fail"   ? tr("\u2717 failed")
                       : r.checks == "warn" ? tr("\u26A0 warnings")
                                            : tr("\u2713 passed");
            if (role == Qt::ForegroundRole)
                return r.checks == "fail"   ? QColor(0xc6, 0x28, 0x28)
                       : r.checks == "warn" ? QColor(0xe6, 0x51, 0x00)
                                            : QColor(0x2e, 0x7d, 0x32);
            if (role == Qt::ToolTipRole) return tr("Pre-flight checklist: see the Checks tab");
            break;
        case ChangesColumn: {
            if (!r.run.parent) break;
            QStringList keys;
            for (const auto& c : r.changes)
                keys << QString::fromStdString(c.key);
            const bool several = keys.size() > 1;
            if (role == Qt::DisplayRole || role == SortRole)
                return keys.isEmpty() ? tr("no change vs #%1").arg(*r.run.parent)
                       : several ? QStringLiteral("\u26A0 %1").arg(keys.join(QStringLiteral(", ")))
                                 : keys.front();
            if (role == Qt::ForegroundRole && several) return QColor(0xe6, 0x51, 0x00);
            if (role == Qt::ToolTipRole) {
                QStringList lines{tr("against run #%1:").arg(*r.run.parent)};
                for (const auto& c : r.changes)
                    lines << QStringLiteral("%1: %2 → %3")
                                 .arg(QString::fromStdString(c.key),
                                      QString::fromStdString(c.from.value_or("(absent)")),
                                      QString::fromStdString(c.to.value_or("(absent)")));
                if (several) lines << QString::fromStdString(storage::changeWarning(r.changes));
                return lines.join('\n');
            }
            break;
        }
        case ParamsColumn:
            if (role == Qt::DisplayRole || role == SortRole) return paramsText(r);
            break;
        case ValAccuracyColumn:
            if (role == Qt::DisplayRole || role == SortRole) return metric(r, "val/accuracy", role);
            if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
            break;
        case TestAccuracyColumn:
            if (role == Qt::DisplayRole || role == SortRole)
                return metric(r, "test/accuracy", role);
            if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
            break;
        default:
            break;
    }
    return {};
}

RunsFilterModel::RunsFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(RunsModel::SortRole);
}

void RunsFilterModel::setFilterText(const QString& text) {
    terms_ = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    invalidateRowsFilter();
}

bool RunsFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (sourceParent.isValid()) return false;
    const auto* model = static_cast<const RunsModel*>(sourceModel());
    const storage::RunOverview& r = model->run(sourceRow);
    for (const QString& term : terms_) {
        if (term.startsWith(QLatin1String("status:"), Qt::CaseInsensitive)) {
            if (QString::fromUtf8(storage::toString(r.run.status).data())
                    .compare(term.mid(7), Qt::CaseInsensitive) != 0)
                return false;
        } else if (const auto eq = term.indexOf(QLatin1Char('=')); eq > 0) {
            auto it = r.params.find(term.left(eq).toStdString());
            if (it == r.params.end() || QString::fromStdString(it->second) != term.mid(eq + 1))
                return false;
        } else if (!QString::fromStdString(r.run.name).contains(term, Qt::CaseInsensitive)) {
            return false;
        }
    }
    return true;
}

QColor runColor(storage::RunId id) {
    // Golden-angle hues: neighbouring ids get distant colours.
    const double hue = std::fmod(static_cast<double>(id) * 0.618033988749895, 1.0);
    return QColor::fromHsvF(static_cast<float>(hue), 0.75f, 0.85f);
}

QColor statusColor(storage::RunStatus status) {
    switch (status) {
        case storage::RunStatus::Queued:
            return QColor(0x9e, 0x9e, 0x9e);
        case storage::RunStatus::Running:
            return QColor(0x21, 0x96, 0xf3);
        case storage::RunStatus::Finished:
            return QColor(0x43, 0xa0, 0x47);
        case storage::RunStatus::Stopped:
            return QColor(0xff, 0xa0, 0x00);
        case storage::RunStatus::Failed:
            return QColor(0xe5, 0x39, 0x35);
        case storage::RunStatus::Diverged:
            return QColor(0x8e, 0x24, 0xaa);
        case storage::RunStatus::Interrupted:
            return QColor(0x6d, 0x4c, 0x41);
    }
    return Qt::gray;
}

storage::Result<std::vector<storage::RunOverview>> loadRuns(storage::RunStore& store) {
    auto runs = store.overview(RunsModel::paramKeys(), RunsModel::metricKeys());
    if (!runs) return runs.error();
    // Competition mode: the table's test accuracy is on the public part only.
    auto mask = storage::leaderboardSettings(store.connection()).transform([](const auto& s) {
        return analysis::PrivateTestMask(s);
    });
    if (!mask) return mask.error();
    for (auto& o : runs.value())
        if (auto s = mask->applyReading(
                o.metrics,
                [&] { return storage::finalTestPredictions(store.connection(), o.run.id); });
            !s)
            return s.error();
    return runs;
}

}  // namespace runboard::widgets
