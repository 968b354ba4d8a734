#pragma once
// The gallery's item models and its delegate. PredictionsModel is a list over one loaded
// evaluation in display order (a QListView draws only the visible items, so 10k samples cost
// nothing until scrolled to); SampleDelegate paints each as a crisp thumbnail with the true and
// predicted class, the confidence and a frame for right or wrong (a text sample as a wider card
// with its first lines). ConfusionModel is the confusion
// matrix with per-class recall (last column) and precision (last row).

#include <QAbstractListModel>
#include <QAbstractTableModel>
#include <QImage>
#include <QStyledItemDelegate>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/data/sample_images.h"
#include "widgets/gallery_data.h"

namespace runboard::widgets {

// One loaded evaluation and what the gallery shows with it.
struct GalleryData {
    Predictions rows;      // the shown run's split at the epoch, by sample index
    Predictions previous;  // the same split at the previous logged epoch (may be empty)
    Predictions other;     // the compared run, same split and epoch (may be empty)
    std::shared_ptr<const engine::SampleImages> images;  // null when the files can't be read
    engine::FilePart part = engine::FilePart::Test;
    std::vector<std::string> classNames;
    std::map<std::int64_t, storage::FlagRecord> flags;  // this part's, by sample index
    bool textSource = false;  // data.source = text, even when its texts cannot be shown
};

QString className(const GalleryData& data, int c);
// A sample's image as a QImage (gray or RGB, at its own size); null when none.
QImage sampleImage(const GalleryData& data, std::int64_t sampleIndex);
// A table row's features as "name\tvalue" lines, the label left out; empty for images.
QStringList sampleFields(const GalleryData& data, std::int64_t sampleIndex);
// A text sample's whole text; empty for images and table rows.
QString sampleText(const GalleryData& data, std::int64_t sampleIndex);
// Whether the evaluation's samples are texts (the source is text, or its first sample has one).
bool isTextData(const GalleryData& data);
// As many of `text`'s first lines as `box` holds, word-wrapped; the last shown line ends in "…"
// when more follows. Line breaks stay, except those of a text hard-wrapped at a fixed column.
void drawTextExcerpt(QPainter& painter, const QRect& box, const QString& text, const QFont& font);
// Where the sample is ("row 17 (line 18)", "cat/001.png", "#123").
QString sampleDescription(const GalleryData& data, std::int64_t sampleIndex);
// The image drawn into `box`: its aspect kept and centred; crisp (nearest neighbour) when it is
// scaled up, smooth when scaled down.
void drawSampleImage(QPainter& painter, const QRect& box, const QImage& image);

class PredictionsModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        SampleIndexRole = Qt::UserRole + 1,
        TargetRole,
        PredictedRole,
        ConfidenceRole,
        LossRole,
        CorrectRole,
        ImageRole,
        FlagRole,    // the flag's name, or an empty string
        FieldsRole,  // a table row's features as "name\tvalue" lines (empty for images)
        TextRole,    // a text sample's whole text (empty for images and tables)
    };

    explicit PredictionsModel(QObject* parent = nullptr);

    void setContent(std::shared_ptr<const GalleryData> data, std::vector<std::size_t> order);
    const storage::PredictionRecord* recordAt(int row) const;
    const GalleryData* data() const { return data_.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const GalleryData> data_;
    std::vector<std::size_t> order_;
};

class SampleDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    static constexpr int kScale = 3;  // 28 px images drawn at 84 px
    // A text card's width: two side by side in the list of a 1280-pixel window.
    static constexpr int kTextCardWidth = 296;
    explicit SampleDelegate(QObject* parent = nullptr);
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

class ConfusionModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ConfusionModel(QObject* parent = nullptr);

    void setConfusion(Confusion matrix, QStringList classNames);
    void setNormalized(bool rows);  // cells as a share of their true class
    bool normalized() const { return normalized_; }
    const Confusion& confusion() const { return matrix_; }
    const QStringList& classNames() const { return names_; }
    // The (true, predicted) pair of a cell, or (-1, -1) for the recall/precision margins.
    std::pair<int, int> pairAt(const QModelIndex& index) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    Confusion matrix_;
    QStringList names_;
    bool normalized_ = false;
};

}  // namespace runboard::widgets
