#pragma once
// Review predictions by eye. The first selected run's evaluation (the final test set, or the
// validation set at an epoch on a slider) as a virtualized gallery sorted by loss, confidence or
// index and filtered by mistakes, true and predicted class, confidence, "changed since the
// previous epoch", a second run's disagreement and label flags; a linked confusion matrix (a click
// filters the gallery to that pair); flips against the previous epoch; and the detail of one
// sample. Loads run off the GUI thread; results for a state the user has left are dropped.

#include <QWidget>
#include <memory>
#include <optional>
#include <vector>

#include "storage/run_store.h"
#include "widgets/gallery_loader.h"
#include "widgets/gallery_model.h"
#include "widgets/latest_loader.h"
#include "widgets/sample_detail.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListView;
class QSlider;
class QTableView;

namespace runboard::widgets {

class Workspace;

class GalleryView : public QWidget {
    Q_OBJECT
public:
    explicit GalleryView(Workspace* workspace = nullptr, QWidget* parent = nullptr);

    void setDatabase(const QString& path);
    // The first run is shown; the others can be compared and appear in a sample's detail.
    void setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs);
    void showTest();
    void showValidationEpoch(std::int64_t epoch);
    void setSort(GallerySort sort);
    void setFilter(const GalleryFilter& filter);
    GalleryFilter filter() const { return filter_; }
    void setCompareRun(std::optional<storage::RunId> run);
    void refresh();

    void selectRow(int row);
    // Writes (or with nullopt clears) a sample's flag, then reloads. False with a message on error.
    bool setFlag(std::int64_t sampleIndex, std::optional<storage::LabelFlag> flag,
                 const QString& note, QString* error = nullptr);
    bool exportFlagsCsv(const QString& path, QString* error = nullptr) const;

    PredictionsModel* model() const { return model_; }
    ConfusionModel* confusion() const { return confusion_; }
    SampleDetail* detail() const { return detail_; }
    const GallerySnapshot& snapshot() const { return current_; }
    QString summaryText() const;

signals:
    void loaded();
    void sampleShown();

private:
    void requestLoad();
    void apply(GallerySnapshot snapshot);
    void applyFilter();  // the order from the loaded data, the filter and the sort
    void syncControls();
    void showSampleAt(const QModelIndex& index);
    void applySample(SampleSnapshot s);
    void exportFlags();

    QString dbPath_;
    std::vector<std::pair<storage::RunId, QString>> runs_;
    std::string split_ = "test";
    std::int64_t epoch_ = -1;  // -1: the latest
    std::optional<storage::RunId> compare_;
    GalleryFilter filter_;
    GallerySort sort_ = GallerySort::LossDescending;
    std::int64_t selectedSample_ = -1;  // kept across reloads
    std::int64_t requestedSample_ = -1;
    GallerySnapshot current_;
    std::shared_ptr<ImageCache> images_;
    bool syncing_ = false;

    QLabel* runLabel_;
    QComboBox* splitBox_;
    QSlider* epochSlider_;
    QLabel* epochLabel_;
    QComboBox* sortBox_;
    QComboBox* compareBox_;
    QCheckBox* mistakes_;
    QComboBox* trueBox_;
    QComboBox* predictedBox_;
    QDoubleSpinBox* minConfidence_;
    QDoubleSpinBox* maxConfidence_;
    QCheckBox* changed_;
    QComboBox* pairBox_;
    QCheckBox* flagged_;
    QLabel* summary_;
    QListView* list_;
    QTableView* matrix_;
    QCheckBox* normalized_;
    PredictionsModel* model_;
    ConfusionModel* confusion_;
    SampleDetail* detail_;
    LatestLoader<SampleSnapshot> sampleLoader_;
    LatestLoader<GallerySnapshot> loader_;
};

}  // namespace runboard::widgets
