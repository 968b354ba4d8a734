#pragma once
// The leaderboard view: public and private scores and ranks side by side with the shake-up, the
// median and best of each side, paired bars per entry and a public-vs-private scatter with the
// y = x line (points on the wrong side of it overfit the public board). For own runs (scored on
// the stored public/private split of the test set) and for imported competitions.

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QWidget>
#include <optional>
#include <vector>

#include "storage/leaderboard.h"
#include "widgets/latest_loader.h"

class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QTableView;

namespace runboard::widgets {

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
    void setBoard(storage::Board board);
    const storage::Board& board() const { return board_; }
    // The entries, then two summary rows (median, then best: max or min), as in the lecture's
    // table; a sorted view keeps the summary rows last (LeaderboardSortModel).
    int entryCount() const { return static_cast<int>(board_.rows.size()); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    storage::Board board_;
};

// Sorts the entries and keeps the summary rows at the bottom in either order.
class LeaderboardSortModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
};

struct LeaderboardSnapshot {
    quint64 generation = 0;
    std::vector<storage::CompetitionRecord> competitions;  // imported ones
    storage::CompetitionRecord shown;                      // id 0: own runs
    storage::Board board;
    bool competitionMode = false;
    bool privateHidden = false;  // the shown board's private scores (own runs in the mode)
    QString error;
};

class LeaderboardView : public QWidget {
    Q_OBJECT
public:
    explicit LeaderboardView(QWidget* parent = nullptr);
    ~LeaderboardView() override;

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
    QChartView* scatterView() const { return scatter_; }

signals:
    void runActivated(qint64 runId);  // an own run's row was double-clicked
    // The competition-mode box was toggled (the app confirms a reveal and writes it).
    void competitionModeRequested(bool on);
    void loaded();

private:
    void apply(LeaderboardSnapshot snapshot);
    void drawCharts();

    QString dbPath_;
    quint64 generation_ = 0;
    storage::CompetitionId wanted_ = 0;
    LeaderboardSnapshot current_;
    LeaderboardModel* model_ = nullptr;
    LeaderboardSortModel* sorted_ = nullptr;
    QTableView* table_ = nullptr;
    QComboBox* competitionBox_ = nullptr;
    QCheckBox* modeBox_ = nullptr;
    QLabel* summary_ = nullptr;
    QChartView* bars_ = nullptr;
    QChartView* scatter_ = nullptr;
    LatestLoader<LeaderboardSnapshot> loader_;  // last: waits for a running load first
};

}  // namespace runboard::widgets
