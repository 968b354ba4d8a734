#include "widgets/runs_page.h"

#include <spdlog/spdlog.h>

#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "widgets/curves_panels.h"
#include "widgets/database_error_panel.h"
#include "widgets/welcome_panel.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

RunsPage::RunsPage(Workspace* workspace, QWidget* parent)
    : QStackedWidget(parent),
      workspace_(workspace),
      loader_(
          this,
          [this]() -> std::optional<RunsLoader::Job> {
              if (workspace_->databasePath().isEmpty()) return std::nullopt;
              return RunsLoader::Job{workspace_->databasePath(), loadRuns};
          },
          [this](std::vector<storage::RunOverview> runs) { apply(std::move(runs)); },
          [this](const QString& error) { showLoadError(error); }) {
    model_ = new RunsModel(this);
    filter_ = new RunsFilterModel(this);
    filter_->setSourceModel(model_);
    table_ = new QTableView(this);
    table_->setModel(filter_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(RunsModel::CreatedColumn, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
    table_->setWordWrap(false);
    table_->setTextElideMode(Qt::ElideRight);
    table_->setColumnWidth(RunsModel::NameColumn, 240);
    table_->setColumnWidth(RunsModel::CreatedColumn, 140);
    table_->horizontalHeader()->setStretchLastSection(false);
    table_->horizontalHeader()->setSectionResizeMode(RunsModel::ParamsColumn, QHeaderView::Stretch);
    table_->setContextMenuPolicy(Qt::ActionsContextMenu);
    // Room for six runs however the splitter divides the height; the curves take the rest.
    table_->setMinimumHeight(table_->verticalHeader()->defaultSectionSize() * 6 +
                             table_->horizontalHeader()->sizeHint().height() + 4);
    filterEdit_ = new QLineEdit(this);
    filterEdit_->setPlaceholderText(tr("Filter: name, status:finished, lr=0.1"));
    filterEdit_->setClearButtonEnabled(true);
    connect(filterEdit_, &QLineEdit::textChanged, filter_, &RunsFilterModel::setFilterText);
    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    loadError_ = new QLabel(this);
    loadError_->setWordWrap(true);
    loadError_->setStyleSheet(QStringLiteral("color: #b00020;"));
    loadError_->hide();
    topLayout->addWidget(loadError_);
    topLayout->addWidget(filterEdit_);
    topLayout->addWidget(table_, 1);

    curves_ = new CurvesPanels(workspace, this);
    curves_->addPanel(QStringLiteral("train/loss"));
    curves_->addPanel(QStringLiteral("val/accuracy"));
    splitter_ = new QSplitter(Qt::Vertical, this);
    splitter_->addWidget(top);
    splitter_->addWidget(curves_);
    splitter_->setStretchFactor(1, 3);
    // A quarter for the runs (never under the table's six rows), the rest for the curves: the
    // table's size hint took 37% at 1280x800, when the two panels' plots were 55 px high.
    splitter_->setSizes({1, 3});

    welcome_ = new WelcomePanel(this);
    error_ = new DatabaseErrorPanel(this);
    addWidget(welcome_);
    addWidget(splitter_);
    addWidget(error_);

    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunsPage::publishSelection);
    connect(workspace_, &Workspace::databaseChanged, this, [this] {
        model_->setRuns({});
        welcome_->setDatabasePath(workspace_->databasePath());
        if (currentWidget() == error_) setCurrentWidget(welcome_);
        refresh();
    });
    connect(workspace_, &Workspace::dataChanged, this, &RunsPage::refresh);
}

RunsPage::~RunsPage() = default;

void RunsPage::refresh() {
    loader_.request();
}

void RunsPage::showLoadError(const QString& error) {
    // Not "No runs yet": the runs shown (if any) stay, with what went wrong above them.
    spdlog::warn("loading runs: {}", error.toStdString());
    loadError_->setText(tr("Cannot load the runs of %1: %2 (retrying on the next change)")
                            .arg(workspace_->databasePath(), error));
    loadError_->show();
    if (currentWidget() == welcome_) setCurrentWidget(splitter_);
    emit runsLoaded();
}

void RunsPage::apply(std::vector<storage::RunOverview> runs) {
    loadError_->hide();
    workspace_->setRuns(runs);
    model_->setRuns(std::move(runs));
    if (currentWidget() != error_)
        setCurrentWidget(model_->rowCount() == 0 ? static_cast<QWidget*>(welcome_) : splitter_);
    if (table_->selectionModel()->selectedRows().isEmpty() && model_->rowCount() > 0)
        selectRuns({model_->runId(model_->rowCount() - 1)});
    else
        publishSelection();  // names and statuses may have changed
    emit runsLoaded();
}

std::vector<storage::RunId> RunsPage::selectedRuns() const {
    std::vector<storage::RunId> ids;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows())
        ids.push_back(i.data(RunsModel::RunIdRole).toLongLong());
    return ids;
}

void RunsPage::selectRuns(const std::vector<storage::RunId>& ids) {
    QItemSelection selection;
    for (storage::RunId id : ids) {
        const int row = model_->rowOf(id);
        if (row < 0) continue;
        const QModelIndex i = filter_->mapFromSource(model_->index(row, 0));
        selection.select(i, i.siblingAtColumn(RunsModel::ColumnCount - 1));
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void RunsPage::showDatabaseError(const QString& path, const QString& message) {
    error_->setError(path, message);
    setCurrentWidget(error_);
}

void RunsPage::publishSelection() {
    RunList runs;
    for (storage::RunId id : selectedRuns()) {
        const int row = model_->rowOf(id);
        if (row >= 0)
            runs.emplace_back(id, QStringLiteral("#%1 %2").arg(id).arg(
                                      QString::fromStdString(model_->run(row).run.name)));
    }
    workspace_->setSelection(std::move(runs));  // a no-op when nothing changed
}

}  // namespace runboard::widgets
