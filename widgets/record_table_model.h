#pragma once
// A table whose rows are records with unique ids, kept in id order, and whose columns are a fixed
// list of headers (hotspot's HashModel idea): rowCount, columnCount, headerData, the bounds check
// in data(), the lookup of a row by id and the merge of a new snapshot live here once, so that a
// model only says what a cell shows.
//
// setRecords() merges by id: rows whose id is gone are removed, new ids are inserted at their
// place and kept ids are updated in place (one dataChanged per row that differs), so views keep
// their selection and scroll position while runs train and sweeps finish (a model reset would
// drop both on every refresh).
//
// Not a Q_OBJECT (templates cannot be); the models deriving from it are, for tr() and signals.

#include <QAbstractTableModel>
#include <QStringList>
#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace runboard::widgets {

template <typename Record>
class RecordTableModel : public QAbstractTableModel {
public:
    enum class Order { AscendingId, DescendingId };
    // `idOf` names a record; `order` is the rows' order by that id.
    using IdOf = std::int64_t (*)(const Record&);

    int rowCount(const QModelIndex& parent = {}) const final {
        return parent.isValid() ? 0 : static_cast<int>(records_.size());
    }
    int columnCount(const QModelIndex& parent = {}) const final {
        return parent.isValid() ? 0 : static_cast<int>(headers_.size());
    }
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override {
        if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
            section >= headers_.size())
            return {};
        return headers_[section];
    }
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const final {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        return cell(records_[static_cast<std::size_t>(index.row())], index.column(), role);
    }

    const Record& record(int row) const { return records_.at(static_cast<std::size_t>(row)); }
    const std::vector<Record>& records() const { return records_; }
    // -1 when absent.
    int rowOf(std::int64_t id) const {
        auto it = std::lower_bound(
            records_.begin(), records_.end(), id,
            [this](const Record& r, std::int64_t v) { return before(idOf_(r), v); });
        return it != records_.end() && idOf_(*it) == id ? static_cast<int>(it - records_.begin())
                                                        : -1;
    }

protected:
    RecordTableModel(QStringList headers, IdOf idOf, Order order, QObject* parent)
        : QAbstractTableModel(parent), headers_(std::move(headers)), idOf_(idOf), order_(order) {}

    // What column `column` of `record` shows for `role`.
    virtual QVariant cell(const Record& record, int column, int role) const = 0;
    // Whether an update changes what the row shows (false: always tell the views).
    virtual bool sameRecord(const Record&, const Record&) const { return false; }

    void setRecords(std::vector<Record> incoming) {
        std::sort(incoming.begin(), incoming.end(),
                  [this](const Record& a, const Record& b) { return before(idOf_(a), idOf_(b)); });
        std::unordered_set<std::int64_t> present;
        for (const Record& r : incoming)
            present.insert(idOf_(r));
        // Removals from the back, so that row numbers stay valid.
        for (int row = static_cast<int>(records_.size()) - 1; row >= 0; --row) {
            if (present.contains(idOf_(records_[static_cast<std::size_t>(row)]))) continue;
            beginRemoveRows({}, row, row);
            records_.erase(records_.begin() + row);
            endRemoveRows();
        }
        // Both lists are in order now: one walk updates and inserts.
        std::size_t i = 0;
        for (Record& r : incoming) {
            while (i < records_.size() && before(idOf_(records_[i]), idOf_(r)))
                ++i;
            const int row = static_cast<int>(i);
            if (i < records_.size() && idOf_(records_[i]) == idOf_(r)) {
                if (!sameRecord(records_[i], r)) {
                    records_[i] = std::move(r);
                    emit dataChanged(index(row, 0), index(row, columnCount() - 1));
                }
            } else {
                beginInsertRows({}, row, row);
                records_.insert(records_.begin() + row, std::move(r));
                endInsertRows();
            }
            ++i;
        }
    }

private:
    bool before(std::int64_t a, std::int64_t b) const {
        return order_ == Order::AscendingId ? a < b : a > b;
    }

    QStringList headers_;
    IdOf idOf_;
    Order order_;
    std::vector<Record> records_;
};

}  // namespace runboard::widgets
