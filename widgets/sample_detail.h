#pragma once
// One sample, large: the image (a table row's values, a text whole), the top-5 class probabilities,
// its prediction at every logged epoch of the run (when it was learned, whether it was forgotten),
// the same sample in the other selected runs, and its label flag. Shows what GalleryView loaded;
// writes nothing itself.

#include <QWidget>
#include <optional>
#include <vector>

#include "widgets/gallery_model.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTreeWidget;

namespace runboard::widgets {

// The top-k classes by probability, as horizontal bars.
class ProbabilityBars : public QWidget {
    Q_OBJECT
public:
    explicit ProbabilityBars(QWidget* parent = nullptr);
    // (class name, probability, is the true class), highest first.
    void setBars(std::vector<std::tuple<QString, double, bool>> bars);
    const std::vector<std::tuple<QString, double, bool>>& bars() const { return bars_; }
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<std::tuple<QString, double, bool>> bars_;
};

struct SampleOtherRun {
    QString run;
    storage::PredictionRecord prediction;
};

class SampleDetail : public QWidget {
    Q_OBJECT
public:
    explicit SampleDetail(QWidget* parent = nullptr);

    void clear();
    // `history`: the run's predictions of this sample at every logged epoch of the split.
    void showSample(const GalleryData& data, const storage::PredictionRecord& current,
                    const Predictions& history, const std::vector<SampleOtherRun>& others);

    std::int64_t sampleIndex() const { return sample_; }
    QString storyText() const;
    QString shownText() const;  // a text sample's text as shown; empty for images and tables
    const ProbabilityBars& bars() const { return *bars_; }
    int historyRows() const;
    int otherRows() const;

signals:
    // nullopt clears the flag.
    void flagRequested(qint64 sampleIndex, std::optional<storage::LabelFlag> flag,
                       const QString& note);

private:
    std::int64_t sample_ = -1;
    QLabel* title_;
    QLabel* image_;
    QPlainTextEdit* text_;  // a text sample, whole and selectable, in place of the image
    ProbabilityBars* bars_;
    QLabel* story_;
    QTreeWidget* history_;
    QTreeWidget* others_;
    QComboBox* flag_;
    QLineEdit* note_;
};

}  // namespace runboard::widgets
