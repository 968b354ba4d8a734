#pragma once
// The LR sweeps table: a QAbstractTableModel over storage's sweep records, newest first.
// setSweeps() merges by id (rows of sweeps that are gone are removed, new ones inserted, renamed
// ones updated), so a view keeps its selection while sweeps finish.

#include <QAbstractTableModel>
#include <vector>

#include "storage/sweep_store.h"

namespace runboard::widgets {

class SweepsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        CreatedColumn,
        StopColumn,
        SteepestColumn,
        ValleyColumn,
        MinimumColumn,
        ColumnCount
    };
    enum Role { SweepIdRole = Qt::UserRole + 1 };

    explicit SweepsModel(QObject* parent = nullptr);

    void setSweeps(std::vector<storage::SweepRecord> sweeps);
    const storage::SweepRecord& sweep(int row) const {
        return sweeps_.at(static_cast<std::size_t>(row));
    }
    int rowOf(storage::SweepId id) const;  // -1 when absent

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<storage::SweepRecord> sweeps_;  // newest (highest id) first
};

// The rule a suggestion column shows ("steepest", "valley", "minimum/10").
const char* ruleOfColumn(int column);
// The suggestion of `rule`, if the sweep has one.
const storage::SweepSuggestionRow* findSuggestion(const storage::SweepRecord& sweep,
                                                  std::string_view rule);

}  // namespace runboard::widgets
