#pragma once
// The Profile tab's tables, as models of plain rows: a window's ops, the diff of two runs' ops,
// and a run's layers. Each cell's number is also its Qt::UserRole, the sort role the tab's proxy
// sorts by, so that "12.5" sorts above "9.1" and "no formula" sorts as missing.

#include "engine/analysis/profile_report.h"
#include "widgets/record_table_model.h"

namespace runboard::widgets {

inline constexpr int kSortRole = Qt::UserRole;

struct OpRecord {
    std::int64_t id = 0;  // its row in the window's table (by self time)
    storage::OpRow op;
    double steps = 1;      // the window's steps: the table shows per-step figures
    double selfTotal = 0;  // the window's self time, for the share
};

class OpTableModel : public RecordTableModel<OpRecord> {
    Q_OBJECT
public:
    enum Column { Op, CallsPerStep, SelfMs, SelfShare, TotalMs, Shapes };
    explicit OpTableModel(QObject* parent = nullptr);
    void setWindow(const storage::ProfileWindowRow* window);  // null: empty

protected:
    QVariant cell(const OpRecord& r, int column, int role) const override;
};

struct OpDiffRecord {
    std::int64_t id = 0;
    analysis::OpDiff diff;
};

class OpDiffModel : public RecordTableModel<OpDiffRecord> {
    Q_OBJECT
public:
    enum Column { Op, AMs, BMs, DeltaMs, ACalls, BCalls };
    explicit OpDiffModel(QObject* parent = nullptr);
    // Ops of two windows by |delta|; the headers name the runs.
    void setWindows(const storage::ProfileWindowRow& a, const storage::ProfileWindowRow& b,
                    const QString& aName, const QString& bName);
    void clear();
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

protected:
    QVariant cell(const OpDiffRecord& r, int column, int role) const override;

private:
    QString aName_, bName_;
};

struct LayerRecord {
    std::int64_t id = 0;
    storage::LayerRow layer;
    double totalFlops = 0;  // the counted layers', for the share
};

class LayerTableModel : public RecordTableModel<LayerRecord> {
    Q_OBJECT
public:
    enum Column { Layer, Op, Output, Params, ActivationKb, Flops, FlopsShare };
    explicit LayerTableModel(QObject* parent = nullptr);
    void setCost(const storage::RunCost* cost);  // null: empty

protected:
    QVariant cell(const LayerRecord& r, int column, int role) const override;
};

// "1.23 G", "456.0 M", "12.3 k": FLOPs and counts for people.
QString shortNumber(double value);

}  // namespace runboard::widgets
