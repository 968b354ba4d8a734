#include "widgets/sweeps_model.h"

#include <QBrush>
#include <algorithm>

#include "engine/sweep/lr_sweep.h"
#include "widgets/runs_model.h"

namespace runboard::widgets {

const char* ruleOfColumn(int column) {
    switch (column) {
        case SweepsModel::SteepestColumn:
            return "steepest";
        case SweepsModel::ValleyColumn:
            return "valley";
        case SweepsModel::MinimumColumn:
            return "minimum/10";
        default:
            return nullptr;
    }
}

const storage::SweepSuggestionRow* findSuggestion(const storage::SweepRecord& sweep,
                                                  std::string_view rule) {
    for (const auto& s : sweep.suggestions)
        if (s.rule == rule) return &s;
    return nullptr;
}

SweepsModel::SweepsModel(QObject* parent) : QAbstractTableModel(parent) {}

void SweepsModel::setSweeps(std::vector<storage::SweepRecord> incoming) {
    std::sort(incoming.begin(), incoming.end(),
              [](const auto& a, const auto& b) { return a.id > b.id; });
    // Remove rows whose sweep is gone (from the bottom, so rows stay valid).
    for (int row = rowCount() - 1; row >= 0; --row) {
        const auto id = sweeps_[static_cast<std::size_t>(row)].id;
        const bool kept = std::any_of(incoming.begin(), incoming.end(),
                                      [id](const auto& s) { return s.id == id; });
        if (kept) continue;
        beginRemoveRows({}, row, row);
        sweeps_.erase(sweeps_.begin() + row);
        endRemoveRows();
    }
    // Insert new ones at their place and update the others in place; both lists are sorted.
    for (std::size_t i = 0; i < incoming.size(); ++i) {
        const int row = static_cast<int>(i);
        if (i < sweeps_.size() && sweeps_[i].id == incoming[i].id) {
            sweeps_[i] = std::move(incoming[i]);
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        beginInsertRows({}, row, row);
        sweeps_.insert(sweeps_.begin() + row, std::move(incoming[i]));
        endInsertRows();
    }
}

int SweepsModel::rowOf(storage::SweepId id) const {
    for (std::size_t i = 0; i < sweeps_.size(); ++i)
        if (sweeps_[i].id == id) return static_cast<int>(i);
    return -1;
}

int SweepsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(sweeps_.size());
}

int SweepsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SweepsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const storage::SweepRecord& s = sweeps_[static_cast<std::size_t>(index.row())];
    if (role == SweepIdRole) return QVariant::fromValue<qlonglong>(s.id);
    const char* rule = ruleOfColumn(index.column());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case NameColumn:
                return QStringLiteral("#%1 %2").arg(s.id).arg(QString::fromStdString(s.name));
            case CreatedColumn:
                return QString::fromStdString(s.createdAt).left(19).replace('T', ' ');
            case StopColumn:
                return QStringLiteral("%1 at %2")
                    .arg(QString::fromStdString(s.stopReason))
                    .arg(s.stopLr, 0, 'g', 3);
            default:
                if (const auto* found = findSuggestion(s, rule))
                    return QString::number(found->lr, 'g', 3);
                return QStringLiteral("-");
        }
    }
    if (role == Qt::ToolTipRole && rule != nullptr) {
        for (const sweep::Rule& r : sweep::rules())
            if (r.name == rule)
                return QString::fromUtf8(r.explanation.data(), r.explanation.size());
    }
    if (role == Qt::DecorationRole && index.column() == NameColumn) return runColor(s.id);
    if (role == Qt::TextAlignmentRole && rule != nullptr)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant SweepsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case NameColumn:
            return tr("Sweep");
        case CreatedColumn:
            return tr("Created");
        case StopColumn:
            return tr("Stopped");
        case SteepestColumn:
            return tr("steepest");
        case ValleyColumn:
            return tr("valley");
        case MinimumColumn:
            return tr("min/10");
        default:
            return {};
    }
}

}  // namespace runboard::widgets
