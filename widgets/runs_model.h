#pragma once
// The runs table: a QAbstractTableModel over storage's run overview. setRuns() merges a new
// snapshot into the rows by run id (updates in place, inserts, removes), so views keep their
// selection and scroll position while runs train.

#include <QSortFilterProxyModel>
#include <vector>

#include "storage/run_store.h"
#include "widgets/record_table_model.h"

namespace runboard::widgets {

class RunsModel : public RecordTableModel<storage::RunOverview> {
    Q_OBJECT
public:
    enum Column {
        StatusColumn,
        NameColumn,
        CreatedColumn,
        DurationColumn,
        ChecksColumn,   // the pre-flight checklist's worst status
        ChangesColumn,  // what the run changed against its parent; warns at more than one key
        ParamsColumn,
        ValAccuracyColumn,
        TestAccuracyColumn,
        ColumnCount
    };
    enum Role { RunIdRole = Qt::UserRole + 1, SortRole, FilterRole };

    // What the overview query must fetch for this model.
    static const std::vector<std::string>& paramKeys();
    static const std::vector<std::string>& metricKeys();

    explicit RunsModel(QObject* parent = nullptr);

    void setRuns(std::vector<storage::RunOverview> runs);
    storage::RunId runId(int row) const { return record(row).run.id; }
    const storage::RunOverview& run(int row) const { return record(row); }

protected:
    QVariant cell(const storage::RunOverview& r, int column, int role) const override;
    // A running run always changes (its duration ticks).
    bool sameRecord(const storage::RunOverview& a, const storage::RunOverview& b) const override;
};

// Filters on whitespace-separated terms, all of which must match: `status:finished`,
// `lr=0.1` (a param), or any other text as a case-insensitive part of the name.
class RunsFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit RunsFilterModel(QObject* parent = nullptr);
    void setFilterText(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QStringList terms_;
};

// The runs table's data, read off the GUI thread on its own read-only connection: every run with
// its key params, latest headline metrics (test ones on the public part in competition mode) and
// change set.
// Every run with the table's params and metrics; in competition mode the test accuracy is the
// public part's.
storage::Result<std::vector<storage::RunOverview>> loadRuns(storage::RunStore& store);

// A colour per run, stable across the app (curves, tables): a hue from the run id.
QColor runColor(storage::RunId id);
QColor statusColor(storage::RunStatus status);

}  // namespace runboard::widgets
