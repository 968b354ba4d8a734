#include "widgets/gallery_model.h"

#include <QApplication>
#include <QPainter>
#include <QTextLayout>
#include <cmath>

namespace runboard::widgets {

QString className(const GalleryData& data, int c) {
    if (c >= 0 && static_cast<std::size_t>(c) < data.classNames.size())
        return QString::fromStdString(data.classNames[static_cast<std::size_t>(c)]);
    return QString::number(c);
}

QImage sampleImage(const GalleryData& data, std::int64_t sampleIndex) {
    if (!data.images) return {};
    const engine::SampleImage img = data.images->image(data.part, sampleIndex);
    if (img.empty()) return {};
    const bool rgb = img.channels == 3;
    QImage out(img.width, img.height, rgb ? QImage::Format_RGB888 : QImage::Format_Grayscale8);
    const std::ptrdiff_t line = static_cast<std::ptrdiff_t>(img.width) * (rgb ? 3 : 1);
    for (int y = 0; y < img.height; ++y)
        std::copy_n(img.pixels.begin() + y * line, line, out.scanLine(y));
    return out;
}

QStringList sampleFields(const GalleryData& data, std::int64_t sampleIndex) {
    QStringList out;
    if (!data.images) return out;
    const engine::SampleFields fields = data.images->fields(data.part, sampleIndex);
    for (std::size_t i = 0; i + 1 < fields.size(); ++i)  // the label is last
        out << QStringLiteral("%1\t%2").arg(QString::fromStdString(fields[i].first),
                                            QString::fromStdString(fields[i].second));
    return out;
}

QString sampleText(const GalleryData& data, std::int64_t sampleIndex) {
    return data.images ? QString::fromStdString(data.images->text(data.part, sampleIndex))
                       : QString();
}

bool isTextData(const GalleryData& data) {
    return data.textSource ||
           (!data.rows.empty() && !sampleText(data, data.rows.front().sampleIndex).isEmpty());
}

void drawTextExcerpt(QPainter& painter, const QRect& box, const QString& text, const QFont& font) {
    // A break after a line of 40 or more characters is taken for a hard wrap at a fixed column
    // (fortunes wrap at about 70) and reflowed to the card's width; breaks after short lines
    // (verse, lists, dialogue) and blank lines stay.
    QString flat;
    flat.reserve(text.size());
    qsizetype lineLength = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c != u'\n') {
            flat += c == u'\t' ? QChar(u' ') : c;
            ++lineLength;
            continue;
        }
        const bool nextBlank = i + 1 < text.size() && text[i + 1] == u'\n';
        flat += lineLength >= 40 && !nextBlank ? QChar(u' ') : QChar(QChar::LineSeparator);
        lineLength = 0;
    }
    const QFontMetrics fm(font);
    const int fit = std::max(1, box.height() / fm.lineSpacing());
    QTextLayout layout(flat, font);
    layout.beginLayout();
    std::vector<QTextLine> lines;
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(box.width());
        line.setPosition(QPointF(0, static_cast<double>(lines.size()) * fm.lineSpacing()));
        lines.push_back(line);
        if (static_cast<int>(lines.size()) > fit) break;  // one more: is there more text?
    }
    layout.endLayout();
    painter.save();
    painter.setFont(font);
    painter.setClipRect(box);
    const bool more = static_cast<int>(lines.size()) > fit;
    const int shown = std::min(fit, static_cast<int>(lines.size()));
    for (int i = 0; i < shown; ++i) {
        const QTextLine& line = lines[static_cast<std::size_t>(i)];
        if (i + 1 == shown && more) {
            // The rest on one line, cut with "…".
            QString rest = flat.mid(line.textStart()).simplified();
            rest.replace(QChar::LineSeparator, u' ');
            painter.drawText(QRectF(box.left(), box.top() + line.y(), box.width(), fm.height()),
                             Qt::AlignLeft | Qt::AlignVCenter,
                             fm.elidedText(rest, Qt::ElideRight, box.width()));
        } else {
            line.draw(&painter, box.topLeft());
        }
    }
    painter.restore();
}

QString sampleDescription(const GalleryData& data, std::int64_t sampleIndex) {
    return data.images ? QString::fromStdString(data.images->describe(data.part, sampleIndex))
                       : QStringLiteral("#%1").arg(sampleIndex);
}

void drawSampleImage(QPainter& painter, const QRect& box, const QImage& image) {
    const QSize size = image.size().scaled(box.size(), Qt::KeepAspectRatio);
    const QRect target(box.center().x() - size.width() / 2 + 1,
                       box.center().y() - size.height() / 2 + 1, size.width(), size.height());
    painter.save();
    painter.setRenderHint(QPainter::SmoothPixmapTransform, size.width() < image.width());
    painter.drawImage(target, image);
    painter.restore();
}

PredictionsModel::PredictionsModel(QObject* parent) : QAbstractListModel(parent) {}

void PredictionsModel::setContent(std::shared_ptr<const GalleryData> data,
                                  std::vector<std::size_t> order) {
    beginResetModel();
    data_ = std::move(data);
    order_ = std::move(order);
    endResetModel();
}

const storage::PredictionRecord* PredictionsModel::recordAt(int row) const {
    if (!data_ || row < 0 || static_cast<std::size_t>(row) >= order_.size()) return nullptr;
    return &data_->rows[order_[static_cast<std::size_t>(row)]];
}

int PredictionsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(order_.size());
}

QVariant PredictionsModel::data(const QModelIndex& index, int role) const {
    const storage::PredictionRecord* r = index.isValid() ? recordAt(index.row()) : nullptr;
    if (r == nullptr) return {};
    switch (role) {
        case Qt::DisplayRole:
            return QStringLiteral("%1 → %2").arg(className(*data_, r->target),
                                                 className(*data_, r->predicted));
        case Qt::ToolTipRole: {
            QString tip = QStringLiteral("%1: true %2, predicted %3 (%4%), loss %5")
                              .arg(sampleDescription(*data_, r->sampleIndex))
                              .arg(className(*data_, r->target), className(*data_, r->predicted))
                              .arg(100.0 * r->confidence, 0, 'f', 1)
                              .arg(r->loss, 0, 'g', 4);
            if (const QString text = sampleText(*data_, r->sampleIndex); !text.isEmpty())
                tip += QLatin1Char('\n') + (text.size() > 600 ? text.left(600) + u'…' : text);
            if (auto it = data_->flags.find(r->sampleIndex); it != data_->flags.end())
                tip += QStringLiteral("\nflagged: %1 %2")
                           .arg(QString::fromUtf8(storage::flagName(it->second.flag)),
                                QString::fromStdString(it->second.note));
            return tip;
        }
        case SampleIndexRole:
            return QVariant::fromValue<qint64>(r->sampleIndex);
        case TargetRole:
            return r->target;
        case PredictedRole:
            return r->predicted;
        case ConfidenceRole:
            return static_cast<double>(r->confidence);
        case LossRole:
            return r->loss;
        case CorrectRole:
            return r->correct();
        case ImageRole:
            return sampleImage(*data_, r->sampleIndex);
        case FieldsRole:
            return sampleFields(*data_, r->sampleIndex);
        case TextRole:
            return sampleText(*data_, r->sampleIndex);
        case FlagRole: {
            auto it = data_->flags.find(r->sampleIndex);
            return it == data_->flags.end() ? QString()
                                            : QString::fromUtf8(storage::flagName(it->second.flag));
        }
        default:
            return {};
    }
}

namespace {
constexpr int kImage = 28 * SampleDelegate::kScale;
constexpr int kPad = 4;
const QColor kRight(0x2e, 0x7d, 0x32), kWrong(0xc6, 0x28, 0x28), kFlag(0xef, 0x6c, 0x00);
}  // namespace

SampleDelegate::SampleDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

QSize SampleDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    const int line = option.fontMetrics.height();
    const auto* model = qobject_cast<const PredictionsModel*>(index.model());
    const bool text = model && model->data() && isTextData(*model->data());
    const int width = text ? kTextCardWidth : kImage + 2 * kPad + 24;
    return {width, kImage + 2 * kPad + 2 * line + 4};
}

void SampleDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                           const QModelIndex& index) const {
    painter->save();
    const QRect r = option.rect.adjusted(1, 1, -1, -1);
    if (option.state & QStyle::State_Selected)
        painter->fillRect(r, option.palette.highlight().color().lighter(160));
    const bool correct = index.data(PredictionsModel::CorrectRole).toBool();
    const QImage image = index.data(PredictionsModel::ImageRole).value<QImage>();
    const QString excerpt =
        image.isNull() ? index.data(PredictionsModel::TextRole).toString() : QString();
    const auto* model = qobject_cast<const PredictionsModel*>(index.model());
    const GalleryData* data = model ? model->data() : nullptr;
    const bool textCard = data && isTextData(*data);
    const int boxWidth = textCard ? r.width() - 2 * kPad : kImage;
    const QRect imageRect(r.center().x() - boxWidth / 2, r.top() + kPad, boxWidth, kImage);
    painter->fillRect(imageRect, QColor(0xee, 0xee, 0xee));
    if (!image.isNull()) {
        drawSampleImage(*painter, imageRect, image);
    } else if (textCard) {
        // A text: its first lines, as many as the box holds (none when it cannot be read).
        QFont small = option.font;
        small.setPointSizeF(small.pointSizeF() * 0.85);
        painter->setPen(option.palette.text().color());
        drawTextExcerpt(*painter, imageRect.adjusted(4, 3, -4, -2), excerpt, small);
    } else if (const QStringList fields = index.data(PredictionsModel::FieldsRole).toStringList();
               !fields.isEmpty()) {
        // A table row: its first features, as many as fit.
        QFont small = option.font;
        small.setPointSizeF(small.pointSizeF() * 0.8);
        painter->setFont(small);
        painter->setPen(option.palette.text().color());
        const QFontMetrics fm(small);
        QRect line(imageRect.left() + 3, imageRect.top() + 2, imageRect.width() - 6, fm.height());
        for (int i = 0; i < fields.size() && line.bottom() <= imageRect.bottom(); ++i) {
            const bool last =
                line.bottom() + fm.height() > imageRect.bottom() && i + 1 < fields.size();
            if (last) {
                painter->drawText(line, Qt::AlignLeft | Qt::AlignVCenter,
                                  QStringLiteral("… %1 more").arg(fields.size() - i));
                break;
            }
            // The value whole (elided only if it alone is too wide), the name in what is left.
            const QString name = fields[i].section(QLatin1Char('\t'), 0, 0);
            const QString value = fm.elidedText(fields[i].section(QLatin1Char('\t'), 1),
                                                Qt::ElideRight, line.width() * 2 / 3);
            const int valueWidth = fm.horizontalAdvance(value);
            painter->drawText(line, Qt::AlignRight | Qt::AlignVCenter, value);
            painter->drawText(line.adjusted(0, 0, -valueWidth - 4, 0),
                              Qt::AlignLeft | Qt::AlignVCenter,
                              fm.elidedText(name, Qt::ElideRight, line.width() - valueWidth - 4));
            line.translate(0, fm.height());
        }
        painter->setFont(option.font);
    }
    painter->setPen(QPen(correct ? kRight : kWrong, 3));
    painter->drawRect(imageRect.adjusted(-1, -1, 1, 1));
    if (!index.data(PredictionsModel::FlagRole).toString().isEmpty()) {
        const QPoint c = imageRect.topRight();
        const QPoint tri[3] = {c, c + QPoint(-14, 0), c + QPoint(0, 14)};
        painter->setPen(Qt::NoPen);
        painter->setBrush(kFlag);
        painter->drawPolygon(tri, 3);
    }
    const int line = option.fontMetrics.height();
    QRect text(r.left() + 2, imageRect.bottom() + 4, r.width() - 4, line);
    const QString truth =
        data ? className(*data, index.data(PredictionsModel::TargetRole).toInt()) : QString();
    const QString predicted =
        data ? className(*data, index.data(PredictionsModel::PredictedRole).toInt()) : QString();
    painter->setPen(option.palette.text().color());
    painter->drawText(text, Qt::AlignCenter,
                      option.fontMetrics.elidedText(truth, Qt::ElideRight, text.width()));
    text.translate(0, line);
    painter->setPen(correct ? kRight : kWrong);
    const QString second =
        QStringLiteral("%1 %2%")
            .arg(correct ? QStringLiteral("✓") : predicted)
            .arg(std::lround(100 * index.data(PredictionsModel::ConfidenceRole).toDouble()));
    painter->drawText(text, Qt::AlignCenter,
                      option.fontMetrics.elidedText(second, Qt::ElideMiddle, text.width()));
    painter->restore();
}

ConfusionModel::ConfusionModel(QObject* parent) : QAbstractTableModel(parent) {}

void ConfusionModel::setConfusion(Confusion matrix, QStringList classNames) {
    beginResetModel();
    matrix_ = std::move(matrix);
    names_ = std::move(classNames);
    endResetModel();
}

void ConfusionModel::setNormalized(bool rows) {
    if (rows == normalized_) return;
    normalized_ = rows;
    if (matrix_.classes > 0)
        emit dataChanged(index(0, 0), index(matrix_.classes - 1, matrix_.classes - 1));
}

std::pair<int, int> ConfusionModel::pairAt(const QModelIndex& index) const {
    if (!index.isValid() || index.row() >= matrix_.classes || index.column() >= matrix_.classes)
        return {-1, -1};
    return {index.row(), index.column()};
}

int ConfusionModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || matrix_.classes == 0 ? 0 : matrix_.classes + 1;
}

int ConfusionModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() || matrix_.classes == 0 ? 0 : matrix_.classes + 1;
}

QVariant ConfusionModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || matrix_.classes == 0) return {};
    const int k = matrix_.classes, t = index.row(), p = index.column();
    const auto percent = [](double v) {
        return std::isnan(v) ? QStringLiteral("–") : QString::number(100 * v, 'f', 1);
    };
    if (t == k && p == k) return {};
    if (t == k || p == k) {  // the margins: precision (bottom row), recall (right column)
        const double v = t == k ? matrix_.precision(p) : matrix_.recall(t);
        if (role == Qt::DisplayRole) return percent(v);
        if (role == Qt::ToolTipRole)
            return (t == k ? tr("precision of %1: %2%") : tr("recall of %1: %2%"))
                .arg(names_.value(t == k ? p : t), percent(v));
        if (role == Qt::TextAlignmentRole) return int(Qt::AlignCenter);
        if (role == Qt::FontRole) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    }
    const std::int64_t n = matrix_.at(t, p), row = matrix_.rowTotal(t);
    const double share = row > 0 ? static_cast<double>(n) / static_cast<double>(row) : 0;
    switch (role) {
        case Qt::DisplayRole:
            return normalized_ ? percent(row > 0 ? share : std::nan("")) : QString::number(n);
        case Qt::EditRole:
            return QVariant::fromValue<qint64>(n);
        case Qt::ToolTipRole:
            return tr("true %1, predicted %2: %3 (%4% of %1)")
                .arg(names_.value(t), names_.value(p))
                .arg(n)
                .arg(100 * share, 0, 'f', 1);
        case Qt::TextAlignmentRole:
            return int(Qt::AlignCenter);
        case Qt::BackgroundRole: {
            // Blue on the diagonal, red off it, as strong as the share of the true class.
            const double a = std::sqrt(share);
            const QColor base = t == p ? QColor(0x19, 0x76, 0xd2) : QColor(0xd3, 0x2f, 0x2f);
            return QColor::fromRgbF(1 - a * (1 - base.redF()), 1 - a * (1 - base.greenF()),
                                    1 - a * (1 - base.blueF()));
        }
        case Qt::ForegroundRole:
            return share > 0.45 ? QColor(Qt::white) : QColor(Qt::black);
        default:
            return {};
    }
}

QVariant ConfusionModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    const int k = matrix_.classes;
    if (section == k) return orientation == Qt::Horizontal ? tr("recall %") : tr("precision %");
    const QString name = names_.value(section, QString::number(section));
    if (role == Qt::ToolTipRole)
        return orientation == Qt::Horizontal ? tr("predicted %1").arg(name)
                                             : tr("true %1").arg(name);
    // Columns by number (narrow), rows by number and name.
    return orientation == Qt::Horizontal ? QString::number(section)
                                         : QStringLiteral("%1 %2").arg(section).arg(name);
}

}  // namespace runboard::widgets
