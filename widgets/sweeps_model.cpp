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

SweepsModel::SweepsModel(QObject* parent)
    : RecordTableModel(
          {tr("Sweep"), tr("Created"), tr("Stopped"), tr("steepest"), tr("valley"), tr("min/10")},
          [](const storage::SweepRecord& s) -> std::int64_t { return s.id; }, Order::DescendingId,
          parent) {
    Q_ASSERT(columnCount() == ColumnCount);
}

void SweepsModel::setSweeps(std::vector<storage::SweepRecord> incoming) {
    setRecords(std::move(incoming));
}

QVariant SweepsModel::cell(const storage::SweepRecord& s, int column, int role) const {
    if (role == SweepIdRole) return QVariant::fromValue<qlonglong>(s.id);
    const char* rule = ruleOfColumn(column);
    if (role == Qt::DisplayRole) {
        switch (column) {
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
    if (role == Qt::DecorationRole && column == NameColumn) return runColor(s.id);
    if (role == Qt::TextAlignmentRole && rule != nullptr)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

}  // namespace runboard::widgets
