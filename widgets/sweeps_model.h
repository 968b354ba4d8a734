#pragma once
// The LR sweeps table: a RecordTableModel over storage's sweep records, newest first.
// setSweeps() merges by id (rows of sweeps that are gone are removed, new ones inserted, renamed
// ones updated), so a view keeps its selection while sweeps finish.

#include <vector>

#include "storage/sweep_store.h"
#include "widgets/record_table_model.h"

namespace runboard::widgets {

class SweepsModel : public RecordTableModel<storage::SweepRecord> {
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
    const storage::SweepRecord& sweep(int row) const { return record(row); }

protected:
    QVariant cell(const storage::SweepRecord& s, int column, int role) const override;
};

// The rule a suggestion column shows ("steepest", "valley", "minimum/10").
const char* ruleOfColumn(int column);
// The suggestion of `rule`, if the sweep has one.
const storage::SweepSuggestionRow* findSuggestion(const storage::SweepRecord& sweep,
                                                  std::string_view rule);

}  // namespace runboard::widgets
