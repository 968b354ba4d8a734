#pragma once
// The leaderboard view: public and private scores and ranks side by side with the shake-up, the
// median and best of each side, paired bars per entry and a public-vs-private scatter with the
// y = x line (points on the wrong side of it overfit the public board). For own runs (scored on
// the stored public/private split of the test set) and for imported competitions.

#include <QAbstractTableModel>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <optional>
#include <vector>

#include "engine/analysis/leaderboard.h"
#include "storage/leaderboard.h"
#include "widgets/latest_loader.h"

class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QTableView;

namespace runboard::widgets {

class Workspace;

class ScoreScatter;

// A virtual table: data() reads the board, and sorting permutes row numbers (a vector of ints,
// typed keys) instead of going through QSortFilterProxyModel, whose lessThan() asks data() for
// QVariants several times per comparison. With the scatter below, a 1M-entry board opens in
// 4.2 s (query and ranking off the GUI thread) and re-sorts in 0.5 s (leaderboard_bench).
class LeaderboardModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        EntryColumn,
        PublicColumn,
        PublicRankColumn,
        PrivateColumn,
        PrivateRankColumn,
        ShiftColumn,
        SubmittedColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, RunIdRole, SummaryRole };

    explicit LeaderboardModel(QObject* parent = nullptr);
    // Keeps the current sort.
    void setBoard(std::shared_ptr<const analysis::Board> board);
    const analysis::Board& board() const { return *board_; }
    // The entries, then two summary rows (median, then best: max or min), as in the lecture's
    // table; they stay last whichever way it is sorted.
    int entryCount() const { return static_cast<int>(board_->rows.size()); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // Missing scores and ranks last either way; ascending on a score column is best first.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    void sortRows();

    std::shared_ptr<const analysis::Board> board_;
    std::vector<int> order_;  // row -> index into board_->rows
    int sortColumn_ = PublicRankColumn;
    Qt::SortOrder sortOrder_ = Qt::AscendingOrder;
};

struct LeaderboardSnapshot {
    std::vector<storage::CompetitionRecord> competitions;  // imported ones
    storage::CompetitionRecord shown;                      // id 0: own runs
    std::shared_ptr<const analysis::Board> board = std::make_shared<analysis::Board>();
    bool competitionMode = false;
    bool privateHidden = false;  // the shown board's private scores (own runs in the mode)
    QString error;               // why nothing is shown
};

class LeaderboardView : public QWidget {
    Q_OBJECT
public:
    explicit LeaderboardView(Workspace* workspace = nullptr, QWidget* parent = nullptr);

    void setDatabase(const QString& path);
    void refresh();
    // 0: own runs; otherwise an imported competition's id.
    void showCompetition(storage::CompetitionId id);

    // For tests.
    LeaderboardModel* model() const { return model_; }
    QTableView* table() const { return table_; }
    const LeaderboardSnapshot& snapshot() const { return current_; }
    QString summaryText() const;
    QChartView* barsView() const { return bars_; }
    // The bars' category labels: the entries' names when they fit, else their public ranks.
    const QStringList& barLabels() const { return barLabels_; }
    ScoreScatter* scatter() const { return scatter_; }

signals:
    void runActivated(qint64 runId);  // an own run's row was double-clicked
    // The competition-mode box was toggled (the app confirms a reveal and writes it).
    void competitionModeRequested(bool on);
    void loaded();

private:
    using Loader = LatestLoader<LeaderboardSnapshot>;
    void apply(LeaderboardSnapshot snapshot);
    void drawCharts();

    QString dbPath_;
    storage::CompetitionId wanted_ = 0;
    LeaderboardSnapshot current_;
    LeaderboardModel* model_ = nullptr;
    QTableView* table_ = nullptr;
    QComboBox* competitionBox_ = nullptr;
    QCheckBox* modeBox_ = nullptr;
    QLabel* summary_ = nullptr;
    QChartView* bars_ = nullptr;
    QStringList barLabels_;
    ScoreScatter* scatter_ = nullptr;
    Loader loader_;
};

}  // namespace runboard::widgets
