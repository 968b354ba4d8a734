#include "widgets/leaderboard_view.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QCursor>
#include <QFont>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegend>
#include <QSplitter>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "storage/run_store.h"
#include "widgets/score_scatter.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

namespace {

constexpr std::size_t kBars = 20;  // paired bars for the first entries by public rank

QString number(const std::optional<double>& v) {
    return v ? QString::number(*v, 'g', 5) : QStringLiteral("\u2014");
}

storage::Result<LeaderboardSnapshot> loadBoard(storage::RunStore& store,
                                               storage::CompetitionId wanted) {
    LeaderboardSnapshot snap;
    auto& db = store.connection();
    if (auto all = storage::listCompetitions(db)) snap.competitions = std::move(all.value());
    if (auto mode = storage::competitionMode(db)) snap.competitionMode = mode.value();
    std::vector<analysis::BoardEntry> entries;
    if (wanted == 0) {
        auto own = storage::ownRuns(db).transform(
            [](const auto& runs) { return analysis::ownBoard(runs); });
        if (!own) return own.error();
        entries = std::move(own->entries);
        snap.shown = own->record;
        snap.privateHidden = own->privateHidden;
    } else {
        auto it = std::find_if(snap.competitions.begin(), snap.competitions.end(),
                               [wanted](const auto& c) { return c.id == wanted; });
        if (it == snap.competitions.end()) {  // deleted meanwhile: the list stays usable
            snap.error = QStringLiteral("no competition with id %1").arg(wanted);
            return snap;
        }
        snap.shown = *it;
        auto rows = storage::competitionEntries(db, wanted);
        if (!rows) return rows.error();
        entries = std::move(rows.value());
    }
    snap.board = std::make_shared<const analysis::Board>(
        analysis::rankBoard(std::move(entries), snap.shown.higherIsBetter));
    return snap;
}

}  // namespace

LeaderboardModel::LeaderboardModel(QObject* parent)
    : QAbstractTableModel(parent), board_(std::make_shared<analysis::Board>()) {}

void LeaderboardModel::setBoard(std::shared_ptr<const analysis::Board> board) {
    beginResetModel();
    board_ = board ? std::move(board) : std::make_shared<analysis::Board>();
    order_.resize(board_->rows.size());
    std::iota(order_.begin(), order_.end(), 0);  // the board comes by public rank
    if (sortColumn_ != PublicRankColumn || sortOrder_ != Qt::AscendingOrder) sortRows();
    endResetModel();
}

void LeaderboardModel::sort(int column, Qt::SortOrder order) {
    if (column < 0 || column >= ColumnCount) return;
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    // Selections and the current cell follow their entries.
    const QModelIndexList before = persistentIndexList();
    std::vector<int> entries;
    for (const QModelIndex& i : before)
        entries.push_back(i.row() < entryCount() ? order_[static_cast<std::size_t>(i.row())]
                                                 : -1 - (i.row() - entryCount()));
    sortColumn_ = column;
    sortOrder_ = order;
    sortRows();
    std::vector<int> rowOf(order_.size());
    for (std::size_t r = 0; r < order_.size(); ++r)
        rowOf[static_cast<std::size_t>(order_[r])] = static_cast<int>(r);
    QModelIndexList after;
    for (qsizetype k = 0; k < before.size(); ++k) {
        const int e = entries[static_cast<std::size_t>(k)];
        const int row = e >= 0 ? rowOf[static_cast<std::size_t>(e)] : entryCount() + (-1 - e);
        after << index(row, before[k].column());
    }
    changePersistentIndexList(before, after);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void LeaderboardModel::sortRows() {
    const auto& rows = board_->rows;
    const bool higher = board_->higherIsBetter;
    std::iota(order_.begin(), order_.end(), 0);
    const auto text = [&](int i) -> const std::string& {
        const auto& e = rows[static_cast<std::size_t>(i)].entry;
        return sortColumn_ == SubmittedColumn ? e.submittedAt : e.name;
    };
    if (sortColumn_ == EntryColumn || sortColumn_ == SubmittedColumn) {
        std::stable_sort(order_.begin(), order_.end(),
                         [&](int a, int b) { return text(a) < text(b); });
    } else {
        // One number per entry, smaller first when ascending; missing ones last either way.
        constexpr double kMissing = std::numeric_limits<double>::infinity();
        std::vector<double> key(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const analysis::BoardRow& r = rows[i];
            const auto score = [&](const std::optional<double>& v) {
                return v ? (higher ? -*v : *v) : kMissing;  // best first
            };
            const auto rank = [](const std::optional<int>& v) {
                return v ? static_cast<double>(*v) : kMissing;
            };
            key[i] = sortColumn_ == PublicColumn        ? score(r.entry.publicScore)
                     : sortColumn_ == PrivateColumn     ? score(r.entry.privateScore)
                     : sortColumn_ == PublicRankColumn  ? rank(r.publicRank)
                     : sortColumn_ == PrivateRankColumn ? rank(r.privateRank)
                     : r.shift                          ? -static_cast<double>(*r.shift)
                                                        : kMissing;
        }
        const bool descending = sortOrder_ == Qt::DescendingOrder;
        std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) {
            const double x = key[static_cast<std::size_t>(a)], y = key[static_cast<std::size_t>(b)];
            if (x == kMissing || y == kMissing) return x != kMissing && y == kMissing;
            return descending ? y < x : x < y;
        });
        return;
    }
    if (sortOrder_ == Qt::DescendingOrder) std::reverse(order_.begin(), order_.end());
}

int LeaderboardModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : entryCount() + 2;
}

int LeaderboardModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LeaderboardModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const int col = index.column();
    if (index.row() >= entryCount()) {  // the summary rows
        const bool isMedian = index.row() == entryCount();
        const auto& pub = board_->publicSide;
        const auto& priv = board_->privateSide;
        if (role == SummaryRole) return true;
        if (role == Qt::FontRole) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        if (role == Qt::TextAlignmentRole && col != EntryColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        if (role != Qt::DisplayRole && role != SortRole) return {};
        switch (col) {
            case EntryColumn:
                return isMedian ? tr("median") : board_->higherIsBetter ? tr("max") : tr("min");
            case PublicColumn:
                return number(isMedian ? pub.median : pub.best);
            case PrivateColumn:
                return number(isMedian ? priv.median : priv.best);
            default:
                return QString();
        }
    }
    const analysis::BoardRow& r =
        board_->rows[static_cast<std::size_t>(order_[static_cast<std::size_t>(index.row())])];
    if (role == RunIdRole)
        return r.entry.run ? QVariant::fromValue<qlonglong>(*r.entry.run) : QVariant();
    if (role == SortRole) {
        // Missing scores and ranks sort last either way round.
        auto orLast = [&](const std::optional<double>& v, bool higher) {
            const double big = 1e300;
            return QVariant(v ? (higher ? -*v : *v) : big);
        };
        switch (col) {
            case PublicColumn:
                return orLast(r.entry.publicScore, board_->higherIsBetter);
            case PrivateColumn:
                return orLast(r.entry.privateScore, board_->higherIsBetter);
            case PublicRankColumn:
                return r.publicRank.value_or(1 << 30);
            case PrivateRankColumn:
                return r.privateRank.value_or(1 << 30);
            case ShiftColumn:
                return r.shift ? QVariant(-*r.shift) : QVariant(1 << 30);
            case SubmittedColumn:
                return QString::fromStdString(r.entry.submittedAt);
            default:
                return QString::fromStdString(r.entry.name);
        }
    }
    if (role == Qt::DisplayRole) {
        auto rank = [](const std::optional<int>& v) {
            return v ? QString::number(*v) : QStringLiteral("\u2014");
        };
        switch (col) {
            case EntryColumn:
                return QString::fromStdString(r.entry.name);
            case PublicColumn:
                return number(r.entry.publicScore);
            case PublicRankColumn:
                return rank(r.publicRank);
            case PrivateColumn:
                return number(r.entry.privateScore);
            case PrivateRankColumn:
                return rank(r.privateRank);
            case ShiftColumn:
                if (!r.shift) return QStringLiteral("\u2014");
                if (*r.shift > 0) return QStringLiteral("\u25B2 %1").arg(*r.shift);
                if (*r.shift < 0) return QStringLiteral("\u25BC %1").arg(-*r.shift);
                return QStringLiteral("=");
            case SubmittedColumn:
                return QString::fromStdString(r.entry.submittedAt).left(19).replace('T', ' ');
        }
    }
    if (role == Qt::ForegroundRole && col == ShiftColumn && r.shift && *r.shift != 0)
        return *r.shift > 0 ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28);
    if (role == Qt::TextAlignmentRole && col != EntryColumn && col != SubmittedColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && col == ShiftColumn)
        return tr("Public rank minus private rank: \u25B2 moved up on the private board");
    return {};
}

QVariant LeaderboardModel::headerData(int section, Qt::Orientation orientation, int role) const {
    static constexpr const char* kTitles[] = {
        QT_TR_NOOP("Entry"), QT_TR_NOOP("Public"), QT_TR_NOOP("#"),        QT_TR_NOOP("Private"),
        QT_TR_NOOP("#"),     QT_TR_NOOP("Shift"),  QT_TR_NOOP("Submitted")};
    static_assert(std::size(kTitles) == ColumnCount);
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
        section >= ColumnCount)
        return {};
    return tr(kTitles[section]);
}

LeaderboardView::LeaderboardView(Workspace* workspace, QWidget* parent)
    : QWidget(parent),
      loader_(
          this,
          [this]() -> std::optional<Loader::Job> {
              if (dbPath_.isEmpty()) return std::nullopt;
              return Loader::Job{dbPath_, [wanted = wanted_](storage::RunStore& store) {
                                     return loadBoard(store, wanted);
                                 }};
          },
          [this](LeaderboardSnapshot s) { apply(std::move(s)); },
          [this](const QString& error) { apply({.error = error}); }) {
    model_ = new LeaderboardModel(this);
    table_ = new QTableView(this);
    table_->setModel(model_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(LeaderboardModel::PublicRankColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setSectionResizeMode(LeaderboardModel::EntryColumn,
                                                     QHeaderView::Stretch);
    table_->setAlternatingRowColors(true);
    competitionBox_ = new QComboBox(this);
    competitionBox_->setMinimumContentsLength(28);
    summary_ = new QLabel(this);
    summary_->setTextFormat(Qt::RichText);
    summary_->setWordWrap(true);  // a long name must not widen the window

    auto makeChart = [this](const QString& title) {
        auto* chart = new QChart();
        chart->setTitle(title);
        chart->setMargins(QMargins(4, 4, 4, 4));
        chart->legend()->setAlignment(Qt::AlignBottom);
        auto* view = new QChartView(chart, this);
        view->setRenderHint(QPainter::Antialiasing, true);
        return view;
    };
    bars_ = makeChart(tr("Public vs private per entry"));
    scatter_ = new ScoreScatter(this);

    auto* top = new QHBoxLayout();
    top->addWidget(new QLabel(tr("Competition"), this));
    top->addWidget(competitionBox_);
    top->addStretch(1);
    modeBox_ = new QCheckBox(tr("Competition mode: hide the private part"), this);
    modeBox_->setToolTip(
        tr("Practise not overfitting the public board: own runs' private scores are hidden, and "
           "test metrics everywhere are on the public part of the test set only."));
    top->addWidget(modeBox_);
    connect(modeBox_, &QCheckBox::toggled, this, &LeaderboardView::competitionModeRequested);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(top);
    leftLayout->addWidget(table_, 1);
    leftLayout->addWidget(summary_);
    auto* charts = new QSplitter(Qt::Vertical, this);
    charts->addWidget(bars_);
    charts->addWidget(scatter_);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(charts);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    charts->setMinimumWidth(380);
    split->setSizes({700, 600});  // the table's own size hint would squeeze the charts
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(competitionBox_, &QComboBox::activated, this,
            [this](int i) { showCompetition(competitionBox_->itemData(i).toLongLong()); });
    connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        const QVariant run = index.data(LeaderboardModel::RunIdRole);
        if (run.isValid()) emit runActivated(run.toLongLong());
    });
    if (workspace != nullptr) workspace->follow(this);
}

void LeaderboardView::setDatabase(const QString& path) {
    dbPath_ = path;
    wanted_ = 0;
    refresh();
}

void LeaderboardView::refresh() {
    loader_.request();
}

void LeaderboardView::showCompetition(storage::CompetitionId id) {
    wanted_ = id;
    refresh();
}

QString LeaderboardView::summaryText() const {
    return summary_->text();
}

void LeaderboardView::apply(LeaderboardSnapshot snapshot) {
    current_ = std::move(snapshot);
    {
        const QSignalBlocker block(competitionBox_);
        competitionBox_->clear();
        competitionBox_->addItem(tr("Own runs"), QVariant::fromValue<qlonglong>(0));
        for (const auto& c : current_.competitions)
            competitionBox_->addItem(QString::fromStdString(c.name),
                                     QVariant::fromValue<qlonglong>(c.id));
        competitionBox_->setCurrentIndex(
            std::max(0, competitionBox_->findData(QVariant::fromValue<qlonglong>(wanted_))));
    }
    {
        const QSignalBlocker block(modeBox_);
        modeBox_->setChecked(current_.competitionMode);
    }
    model_->setBoard(current_.board);
    const auto& b = *current_.board;
    const QString best = b.higherIsBetter ? tr("max") : tr("min");
    summary_->setText(
        current_.error.isEmpty()
            ? tr("<b>%1</b> (%2, %3 is better) &nbsp; <b>median</b> public %4 \u00b7 private %5 "
                 "&nbsp; <b>%6</b> public %7 \u00b7 private %8")
                  .arg(QString::fromStdString(current_.shown.name).toHtmlEscaped(),
                       QString::fromStdString(current_.shown.metric),
                       b.higherIsBetter ? tr("higher") : tr("lower"), number(b.publicSide.median),
                       number(b.privateSide.median), best, number(b.publicSide.best),
                       number(b.privateSide.best))
            : current_.error.toHtmlEscaped());
    table_->resizeColumnsToContents();
    drawCharts();
    emit loaded();
}

void LeaderboardView::drawCharts() {
    const auto& rows = current_.board->rows;
    // One range for both sides and both charts: every entry's scores.
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& r : rows)
        for (const auto& v : {r.entry.publicScore, r.entry.privateScore})
            if (v) lo = std::min(lo, *v), hi = std::max(hi, *v);

    // Paired bars: the first 20 entries by public rank (the table has them all).
    QChart* barsChart = bars_->chart();
    barsChart->removeAllSeries();
    for (QAbstractAxis* a : barsChart->axes())
        barsChart->removeAxis(a), delete a;
    auto* pub = new QBarSet(tr("public"));
    auto* priv = new QBarSet(tr("private"));
    pub->setColor(QColor(0x42, 0x85, 0xf4));
    priv->setColor(QColor(0xf4, 0xa2, 0x42));
    const std::size_t shown = std::min<std::size_t>(rows.size(), kBars);
    // Names when they fit under their bars, else the public rank (the table's # column): an
    // ellipsis under every bar named none of them.
    const QFontMetrics fm(barsChart->font());
    const int perBar = shown > 0 ? std::max(1, (bars_->width() - 90) / static_cast<int>(shown)) : 1;
    bool namesFit = true;
    for (std::size_t i = 0; i < shown; ++i)
        namesFit = namesFit &&
                   fm.horizontalAdvance(QString::fromStdString(rows[i].entry.name)) <= perBar - 8;
    QStringList names;
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& r = rows[i];
        names << (namesFit       ? QString::fromStdString(r.entry.name)
                  : r.publicRank ? QString::number(*r.publicRank)
                                 : QStringLiteral("\u2014"));
        *pub << r.entry.publicScore.value_or(0);
        *priv << r.entry.privateScore.value_or(0);
    }
    barLabels_ = names;
    auto* series = new QBarSeries();
    series->append(pub);
    if (current_.privateHidden)  // competition mode: no private bars at all, not zeros
        delete priv;
    else
        series->append(priv);
    connect(series, &QBarSeries::hovered, this, [this](bool on, int index) {
        const auto& all = current_.board->rows;
        if (!on || index < 0 || static_cast<std::size_t>(index) >= all.size()) {
            QToolTip::hideText();
            return;
        }
        const auto& e = all[static_cast<std::size_t>(index)].entry;
        QToolTip::showText(
            QCursor::pos(),
            tr("<b>%1</b><br>public %2 \u00b7 private %3")
                .arg(QString::fromStdString(e.name).toHtmlEscaped(), number(e.publicScore),
                     current_.privateHidden ? tr("hidden") : number(e.privateScore)));
    });
    barsChart->addSeries(series);
    auto* categories = new QBarCategoryAxis();
    categories->append(names);
    if (!namesFit && shown > 0)
        categories->setTitleText(tr("entries by public rank (hover a bar for its name)"));
    auto* values = new QValueAxis();
    if (std::isfinite(lo)) {
        const double pad = std::max((hi - lo) * 0.15, 1e-9);
        values->setRange(std::max(0.0, lo - pad), hi + pad * 0.3);
    }
    barsChart->addAxis(categories, Qt::AlignBottom);
    barsChart->addAxis(values, Qt::AlignLeft);
    series->attachAxis(categories);
    series->attachAxis(values);

    // Scatter: private against public, and y = x, in one paint pass however many entries.
    std::vector<ScoreScatter::Point> points;
    points.reserve(rows.size());
    for (const auto& r : rows) {
        if (!r.entry.publicScore || !r.entry.privateScore) continue;
        const double x = *r.entry.publicScore, y = *r.entry.privateScore;
        const bool worse = current_.board->higherIsBetter ? y < x : y > x;
        points.push_back({static_cast<float>(x), static_cast<float>(y), worse});
    }
    const double a = std::isfinite(lo) ? lo : 0, z = std::isfinite(hi) ? hi : 1;
    const double margin = std::max((z - a) * 0.05, 1e-9);
    scatter_->setPoints(std::move(points), a - margin, z + margin);
}

}  // namespace runboard::widgets
