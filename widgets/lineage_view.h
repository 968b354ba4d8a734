#pragma once
// The lineage of runs: a tree by parent ("New run from selected", repeats, `train --parent`), each
// edge labelled with what the child changed against its parent, final metrics on the nodes, and a
// warning where more than one key changed at once.

#include <QAbstractItemModel>
#include <QWidget>
#include <map>
#include <vector>

#include "storage/run_store.h"

class QTreeView;

namespace runboard::widgets {

class Workspace;

class LineageModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { RunColumn, ChangeColumn, TestAccuracyColumn, ValAccuracyColumn, ColumnCount };
    enum Role { RunIdRole = Qt::UserRole + 1 };

    explicit LineageModel(QObject* parent = nullptr);
    void setRuns(std::vector<storage::RunOverview> runs);
    QModelIndex indexOf(storage::RunId id) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Node {
        storage::RunOverview run;
        storage::RunId parent = 0;  // 0: a root
        std::vector<storage::RunId> children;
        int row = 0;  // among its siblings
    };
    const std::vector<storage::RunId>& childrenOf(storage::RunId id) const;

    std::map<storage::RunId, Node> nodes_;
    std::vector<storage::RunId> roots_;
};

class LineageView : public QWidget {
    Q_OBJECT
public:
    explicit LineageView(Workspace* workspace = nullptr, QWidget* parent = nullptr);
    void setRuns(std::vector<storage::RunOverview> runs);
    LineageModel* model() const { return model_; }

signals:
    void runActivated(qint64 run);

private:
    LineageModel* model_;
    QTreeView* tree_;
};

}  // namespace runboard::widgets
