#include "widgets/profile_models.h"

#include <QColor>
#include <cmath>

namespace runboard::widgets {

namespace {

template <class R>
std::int64_t idOf(const R& r) {
    return r.id;
}

// The cell's text for Qt::DisplayRole, its number for the sort role, right-aligned.
QVariant number(double value, int role, int decimals) {
    if (role == kSortRole) return value;
    if (role == Qt::DisplayRole) return QString::number(value, 'f', decimals);
    if (role == Qt::TextAlignmentRole) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

}  // namespace

QString shortNumber(double value) {
    const double a = std::abs(value);
    if (a >= 1e9) return QString::number(value / 1e9, 'f', 2) + QStringLiteral(" G");
    if (a >= 1e6) return QString::number(value / 1e6, 'f', 2) + QStringLiteral(" M");
    if (a >= 1e3) return QString::number(value / 1e3, 'f', 1) + QStringLiteral(" k");
    return QString::number(value, 'f', 0);
}

OpTableModel::OpTableModel(QObject* parent)
    : RecordTableModel({tr("Op"), tr("Calls/step"), tr("Self ms/step"), tr("Self %"),
                        tr("Total ms/step"), tr("Input shapes")},
                       &idOf<OpRecord>, Order::AscendingId, parent) {}

void OpTableModel::setWindow(const storage::ProfileWindowRow* w) {
    std::vector<OpRecord> rows;
    if (w != nullptr) {
        double selfTotal = 0;
        for (const auto& op : w->ops)
            selfTotal += op.selfUs;
        const double steps = static_cast<double>(std::max<std::int64_t>(w->steps, 1));
        for (std::size_t i = 0; i < w->ops.size(); ++i)
            rows.push_back({static_cast<std::int64_t>(i), w->ops[i], steps, selfTotal});
    }
    setRecords(std::move(rows));
}

QVariant OpTableModel::cell(const OpRecord& r, int column, int role) const {
    switch (column) {
        case Op:
        case Shapes: {
            const QString text = QString::fromStdString(column == Op ? r.op.name : r.op.shapes);
            if (role == Qt::DisplayRole || role == kSortRole || role == Qt::ToolTipRole)
                return text;
            return {};
        }
        case CallsPerStep:
            return number(static_cast<double>(r.op.calls) / r.steps, role, 1);
        case SelfMs:
            return number(r.op.selfUs / r.steps / 1000, role, 3);
        case SelfShare:
            return number(r.selfTotal > 0 ? 100 * r.op.selfUs / r.selfTotal : 0, role, 1);
        case TotalMs:
            return number(r.op.totalUs / r.steps / 1000, role, 3);
        default:
            return {};
    }
}

OpDiffModel::OpDiffModel(QObject* parent)
    : RecordTableModel({tr("Op"), tr("A ms/step"), tr("B ms/step"), tr("Δ ms/step"),
                        tr("A calls/step"), tr("B calls/step")},
                       &idOf<OpDiffRecord>, Order::AscendingId, parent) {}

void OpDiffModel::setWindows(const storage::ProfileWindowRow& a, const storage::ProfileWindowRow& b,
                             const QString& aName, const QString& bName) {
    aName_ = aName;
    bName_ = bName;
    std::vector<OpDiffRecord> rows;
    std::int64_t id = 0;
    for (auto& d : analysis::diffOps(a, b))
        rows.push_back({id++, std::move(d)});
    setRecords(std::move(rows));
    emit headerDataChanged(Qt::Horizontal, 0, columnCount() - 1);
}

void OpDiffModel::clear() {
    setRecords({});
}

QVariant OpDiffModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole) {
        const QString a = aName_.isEmpty() ? tr("A") : aName_;
        const QString b = bName_.isEmpty() ? tr("B") : bName_;
        if (section == AMs) return tr("%1 ms/step").arg(a);
        if (section == BMs) return tr("%1 ms/step").arg(b);
        if (section == ACalls) return tr("%1 calls/step").arg(a);
        if (section == BCalls) return tr("%1 calls/step").arg(b);
    }
    return RecordTableModel::headerData(section, orientation, role);
}

QVariant OpDiffModel::cell(const OpDiffRecord& r, int column, int role) const {
    const auto& d = r.diff;
    switch (column) {
        case Op:
            if (role == Qt::DisplayRole || role == kSortRole || role == Qt::ToolTipRole)
                return QString::fromStdString(d.name);
            return {};
        case AMs:
            return number(d.aUs / 1000, role, 3);
        case BMs:
            return number(d.bUs / 1000, role, 3);
        case DeltaMs:
            if (role == Qt::ForegroundRole && std::abs(d.deltaUs()) > 0)
                return d.deltaUs() > 0 ? QColor(0xc6, 0x28, 0x28) : QColor(0x2e, 0x7d, 0x32);
            if (role == Qt::DisplayRole)
                return (d.deltaUs() > 0 ? QStringLiteral("+") : QString()) +
                       QString::number(d.deltaUs() / 1000, 'f', 3);
            return number(d.deltaUs() / 1000, role, 3);
        case ACalls:
            return number(static_cast<double>(d.aCalls), role, 0);
        case BCalls:
            return number(static_cast<double>(d.bCalls), role, 0);
        default:
            return {};
    }
}

LayerTableModel::LayerTableModel(QObject* parent)
    : RecordTableModel({tr("Layer"), tr("Op"), tr("Output"), tr("Params"), tr("Activations KB"),
                        tr("Forward FLOPs"), tr("FLOPs %")},
                       &idOf<LayerRecord>, Order::AscendingId, parent) {}

void LayerTableModel::setCost(const storage::RunCost* cost) {
    std::vector<LayerRecord> rows;
    if (cost != nullptr)
        for (std::size_t i = 0; i < cost->layers.size(); ++i)
            rows.push_back({static_cast<std::int64_t>(i), cost->layers[i], cost->forwardFlops});
    setRecords(std::move(rows));
}

QVariant LayerTableModel::cell(const LayerRecord& r, int column, int role) const {
    const auto& l = r.layer;
    switch (column) {
        case Layer:
        case Op:
        case Output: {
            const std::string& s = column == Layer ? l.name : column == Op ? l.op : l.outputShape;
            if (role == Qt::DisplayRole || role == kSortRole) return QString::fromStdString(s);
            return {};
        }
        case Params:
            if (role == Qt::DisplayRole) return QString::number(l.params);
            return number(static_cast<double>(l.params), role, 0);
        case ActivationKb:
            return number(static_cast<double>(l.activationBytes) / 1024, role, 1);
        case Flops:
        case FlopsShare:
            if (!l.flops) {
                if (role == Qt::DisplayRole) return tr("no formula");
                if (role == Qt::ToolTipRole)
                    return tr("No FLOPs formula for %1: not counted in the total, and not "
                              "assumed to be 0")
                        .arg(QString::fromStdString(l.op));
                if (role == Qt::ForegroundRole) return QColor(0xe6, 0x51, 0x00);
                if (role == kSortRole) return -1.0;
                return {};
            }
            if (column == Flops) {
                if (role == Qt::DisplayRole) return shortNumber(*l.flops);
                return number(*l.flops, role, 0);
            }
            return number(r.totalFlops > 0 ? 100 * *l.flops / r.totalFlops : 0, role, 1);
        default:
            return {};
    }
}

}  // namespace runboard::widgets
