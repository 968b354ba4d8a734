#pragma once
// A run's pre-flight checklist: one row per check with its status, measured value and what to do;
// a check with details (duplicate samples, dead parameters) expands to list them. Shows the first
// selected run; loads off the GUI thread.

#include <QWidget>
#include <vector>

#include "storage/checks_store.h"
#include "widgets/latest_loader.h"

class QLabel;
class QStandardItemModel;
class QTreeView;

namespace runboard::widgets {

class Workspace;

struct ChecklistSnapshot {
    storage::RunId run = 0;
    std::vector<storage::CheckRow> checks;
    QString error;
};

class ChecklistView : public QWidget {
    Q_OBJECT
public:
    explicit ChecklistView(Workspace* workspace = nullptr, QWidget* parent = nullptr);
    void setDatabase(const QString& path);
    void setRun(storage::RunId run, const QString& name);
    void refresh();
    QStandardItemModel* model() const { return model_; }
    const ChecklistSnapshot& snapshot() const { return current_; }

signals:
    void loaded();

private:
    using Loader = LatestLoader<ChecklistSnapshot>;
    void apply(ChecklistSnapshot s);

    QString dbPath_;
    storage::RunId run_ = 0;
    QString name_;
    ChecklistSnapshot current_;
    QLabel* title_;
    QStandardItemModel* model_;
    QTreeView* tree_;
    Loader loader_;
};

}  // namespace runboard::widgets
