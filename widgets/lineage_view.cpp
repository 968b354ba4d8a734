#include "widgets/lineage_view.h"

#include <QColor>
#include <QHeaderView>
#include <QLabel>
#include <QTreeView>
#include <QVBoxLayout>

#include "storage/lineage.h"
#include "widgets/runs_model.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

LineageModel::LineageModel(QObject* parent) : QAbstractItemModel(parent) {}

void LineageModel::setRuns(std::vector<storage::RunOverview> runs) {
    beginResetModel();
    nodes_.clear();
    roots_.clear();
    for (auto& r : runs) {
        const storage::RunId id = r.run.id;
        nodes_[id].run = std::move(r);
    }
    for (auto& [id, node] : nodes_) {  // by id: children in creation order
        const auto parent = node.run.run.parent;
        if (parent && nodes_.contains(*parent) && *parent != id) {
            node.parent = *parent;
            auto& siblings = nodes_[*parent].children;
            node.row = static_cast<int>(siblings.size());
            siblings.push_back(id);
        } else {
            node.row = static_cast<int>(roots_.size());
            roots_.push_back(id);
        }
    }
    endResetModel();
}

const std::vector<storage::RunId>& LineageModel::childrenOf(storage::RunId id) const {
    return id == 0 ? roots_ : nodes_.at(id).children;
}

QModelIndex LineageModel::indexOf(storage::RunId id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? QModelIndex() : createIndex(it->second.row, 0, quintptr(id));
}

QModelIndex LineageModel::index(int row, int column, const QModelIndex& parent) const {
    if (column < 0 || column >= ColumnCount || row < 0) return {};
    const storage::RunId p =
        parent.isValid() ? static_cast<storage::RunId>(parent.internalId()) : 0;
    if (parent.isValid() && parent.column() != 0) return {};
    const auto& children = childrenOf(p);
    if (row >= static_cast<int>(children.size())) return {};
    return createIndex(row, column, quintptr(children[static_cast<std::size_t>(row)]));
}

QModelIndex LineageModel::parent(const QModelIndex& child) const {
    if (!child.isValid()) return {};
    const Node& node = nodes_.at(static_cast<storage::RunId>(child.internalId()));
    if (node.parent == 0) return {};
    return createIndex(nodes_.at(node.parent).row, 0, quintptr(node.parent));
}

int LineageModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() && parent.column() != 0) return 0;
    return static_cast<int>(
        childrenOf(parent.isValid() ? static_cast<storage::RunId>(parent.internalId()) : 0).size());
}

int LineageModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant LineageModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const Node& node = nodes_.at(static_cast<storage::RunId>(index.internalId()));
    const storage::RunOverview& r = node.run;
    if (role == RunIdRole) return QVariant::fromValue<qlonglong>(r.run.id);
    const auto metric = [&](const char* key) -> QVariant {
        auto it = r.metrics.find(key);
        return it == r.metrics.end()
                   ? QVariant()
                   : QVariant(QStringLiteral("%1 %").arg(100 * it->second, 0, 'f', 2));
    };
    switch (index.column()) {
        case RunColumn:
            if (role == Qt::DisplayRole)
                return QStringLiteral("#%1 %2").arg(r.run.id).arg(
                    QString::fromStdString(r.run.name));
            if (role == Qt::DecorationRole) return runColor(r.run.id);
            break;
        case ChangeColumn: {
            if (node.parent == 0) break;
            QStringList parts;
            for (const auto& c : r.changes)
                parts << QStringLiteral("%1: %2 → %3")
                             .arg(QString::fromStdString(c.key),
                                  QString::fromStdString(c.from.value_or("(absent)")),
                                  QString::fromStdString(c.to.value_or("(absent)")));
            const bool several = r.changes.size() > 1;
            if (role == Qt::DisplayRole)
                return parts.isEmpty() ? tr("no change")
                                       : (several ? QStringLiteral("\u26A0 ") : QString()) +
                                             parts.join(QStringLiteral(", "));
            if (role == Qt::ToolTipRole && several)
                return QString::fromStdString(storage::changeWarning(r.changes));
            if (role == Qt::ForegroundRole && several) return QColor(0xe6, 0x51, 0x00);
            break;
        }
        case TestAccuracyColumn:
            if (role == Qt::DisplayRole) return metric("test/accuracy");
            if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
            break;
        case ValAccuracyColumn:
            if (role == Qt::DisplayRole) return metric("val/accuracy");
            if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
            break;
        default:
            break;
    }
    return {};
}

QVariant LineageModel::headerData(int section, Qt::Orientation orientation, int role) const {
    static constexpr const char* kTitles[] = {
        QT_TR_NOOP("Run"), QT_TR_NOOP("Changed against its parent"), QT_TR_NOOP("test/accuracy"),
        QT_TR_NOOP("val/accuracy")};
    static_assert(std::size(kTitles) == ColumnCount);
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
        section >= ColumnCount)
        return {};
    return tr(kTitles[section]);
}

LineageView::LineageView(Workspace* workspace, QWidget* parent) : QWidget(parent) {
    model_ = new LineageModel(this);
    tree_ = new QTreeView(this);
    tree_->setModel(model_);
    tree_->setUniformRowHeights(true);
    tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    tree_->header()->setStretchLastSection(false);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(
        tr("Runs by parent. Change one thing at a time: an edge with more than one change is "
           "marked \u26A0. Double-click a run to select it."),
        this));
    layout->addWidget(tree_, 1);
    connect(tree_, &QTreeView::doubleClicked, this, [this](const QModelIndex& index) {
        emit runActivated(index.data(LineageModel::RunIdRole).toLongLong());
    });
    if (workspace != nullptr)
        workspace->subscribe(
            this, {.runs = [this](const std::vector<storage::RunOverview>& r) { setRuns(r); }});
}

void LineageView::setRuns(std::vector<storage::RunOverview> runs) {
    model_->setRuns(std::move(runs));
    tree_->expandAll();
}

}  // namespace runboard::widgets
