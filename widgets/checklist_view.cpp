#include "widgets/checklist_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QStandardItemModel>
#include <QTreeView>
#include <QVBoxLayout>
#include <cmath>

#include "widgets/workspace.h"

namespace runboard::widgets {

ChecklistView::ChecklistView(Workspace* workspace, QWidget* parent)
    : QWidget(parent),
      loader_(
          this,
          [this]() -> std::optional<Loader::Job> {
              if (dbPath_.isEmpty() || run_ == 0) return std::nullopt;
              return Loader::Job{dbPath_, [run = run_](storage::RunStore& store) {
                                     return storage::runChecks(store.connection(), run)
                                         .transform([&](std::vector<storage::CheckRow> checks) {
                                             return ChecklistSnapshot{run, std::move(checks), {}};
                                         });
                                 }};
          },
          [this](ChecklistSnapshot s) { apply(std::move(s)); },
          [this](const QString& error) {
              apply({run_, {}, error});
          }) {
    title_ = new QLabel(this);
    title_->setWordWrap(true);
    model_ = new QStandardItemModel(this);
    tree_ = new QTreeView(this);
    tree_->setModel(model_);
    tree_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    tree_->setUniformRowHeights(true);
    tree_->setExpandsOnDoubleClick(false);
    tree_->header()->setStretchLastSection(true);
    // A click on a check shows (or hides) its details: the duplicate samples, the dead parameters.
    connect(tree_, &QTreeView::clicked, this, [this](const QModelIndex& index) {
        const QModelIndex first = index.siblingAtColumn(0);
        tree_->setExpanded(first, !tree_->isExpanded(first));
    });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title_);
    layout->addWidget(tree_, 1);
    apply({});
    if (workspace != nullptr)
        workspace->subscribe(this, {.database = [this](const QString& p) { setDatabase(p); },
                                    .selection =
                                        [this](const RunList& r) {
                                            setRun(r.empty() ? 0 : r.front().first,
                                                   r.empty() ? QString() : r.front().second);
                                        },
                                    .refresh = [this] { refresh(); }});
}

void ChecklistView::setDatabase(const QString& path) {
    dbPath_ = path;
    run_ = 0;
    refresh();
}

void ChecklistView::setRun(storage::RunId run, const QString& name) {
    run_ = run;
    name_ = name;
    refresh();
}

void ChecklistView::refresh() {
    if (run_ == 0) {
        loader_.invalidate();
        apply({});
        return;
    }
    loader_.request();
}

void ChecklistView::apply(ChecklistSnapshot s) {
    current_ = std::move(s);
    model_->clear();
    model_->setHorizontalHeaderLabels(
        {tr("Check"), tr("Status"), tr("Value"), tr("What it means")});
    if (current_.run == 0) {
        title_->setText(tr("Select a run in the Runs tab to see its pre-flight checklist."));
        return;
    }
    if (current_.checks.empty()) {
        title_->setText(
            current_.error.isEmpty()
                ? tr("%1 has no checklist (trained with checks.enabled=false, or "
                     "before checklists existed). `runboard check` runs one on a config.")
                      .arg(name_)
                : current_.error);
        return;
    }
    int fails = 0, warns = 0;
    for (const auto& c : current_.checks) {
        fails += c.status == "fail";
        warns += c.status == "warn";
        const QColor color = c.status == "fail"   ? QColor(0xc6, 0x28, 0x28)
                             : c.status == "warn" ? QColor(0xe6, 0x51, 0x00)
                                                  : QColor(0x2e, 0x7d, 0x32);
        auto* name = new QStandardItem(QString::fromStdString(c.name));
        auto* status = new QStandardItem(c.status == "fail"   ? tr("\u2717 fail")
                                         : c.status == "warn" ? tr("\u26A0 warn")
                                                              : tr("\u2713 pass"));
        status->setForeground(color);
        auto* value = new QStandardItem(std::isfinite(c.value) ? QString::number(c.value, 'g', 4)
                                                               : QStringLiteral("–"));
        auto* message = new QStandardItem(QString::fromStdString(c.message));
        message->setToolTip(QString::fromStdString(c.message));
        for (const auto& d : c.details)
            name->appendRow({new QStandardItem(), new QStandardItem(), new QStandardItem(),
                             new QStandardItem(QString::fromStdString(d))});
        model_->appendRow({name, status, value, message});
    }
    title_->setText(tr("<b>%1</b>: %2 checks, %3 failed, %4 warned. Click a check with details "
                       "to see them.")
                        .arg(name_.toHtmlEscaped())
                        .arg(current_.checks.size())
                        .arg(fails)
                        .arg(warns));
    tree_->header()->resizeSections(QHeaderView::ResizeToContents);
    emit loaded();
}

}  // namespace runboard::widgets
