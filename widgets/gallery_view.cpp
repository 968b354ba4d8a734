#include "widgets/gallery_view.h"

#include <spdlog/spdlog.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "engine/analysis/csv.h"
#include "storage/predictions.h"
#include "widgets/workspace.h"

namespace runboard::widgets {

GalleryView::GalleryView(Workspace* workspace, QWidget* parent)
    : QWidget(parent),
      images_(std::make_shared<ImageCache>()),
      sampleLoader_(
          this,
          [this]() -> std::optional<LatestLoader<SampleSnapshot>::Job> {
              if (dbPath_.isEmpty() || runs_.empty() || requestedSample_ < 0) return std::nullopt;
              return LatestLoader<SampleSnapshot>::Job{
                  dbPath_, [runs = runs_, split = current_.split, epoch = current_.epoch,
                            sample = requestedSample_](storage::RunStore& store) {
                      return loadSample(store, runs, split, epoch, sample);
                  }};
          },
          [this](SampleSnapshot s) { applySample(std::move(s)); },
          [](const QString& error) {
              spdlog::warn("loading a sample's history: {}", error.toStdString());
          }),
      loader_(
          this,
          [this]() -> std::optional<LatestLoader<GallerySnapshot>::Job> {
              if (dbPath_.isEmpty() || runs_.empty()) return std::nullopt;
              LoadRequest q{runs_.front().first, compare_, split_, epoch_};
              return LatestLoader<GallerySnapshot>::Job{
                  dbPath_, [q, cache = images_](storage::RunStore& store) {
                      return loadGallery(store, q, *cache);
                  }};
          },
          [this](GallerySnapshot s) { apply(std::move(s)); },
          [this](const QString& error) { apply({.error = error}); }) {
    runLabel_ = new QLabel(this);
    splitBox_ = new QComboBox(this);
    splitBox_->addItem(tr("Test set (final)"), QStringLiteral("test"));
    splitBox_->addItem(tr("Validation set"), QStringLiteral("val"));
    epochSlider_ = new QSlider(Qt::Horizontal, this);
    epochSlider_->setMaximumWidth(200);
    epochSlider_->setPageStep(1);
    epochLabel_ = new QLabel(this);
    sortBox_ = new QComboBox(this);
    sortBox_->addItem(tr("Top losses first"), int(GallerySort::LossDescending));
    sortBox_->addItem(tr("Least confident first"), int(GallerySort::ConfidenceAscending));
    sortBox_->addItem(tr("Most confident first"), int(GallerySort::ConfidenceDescending));
    sortBox_->addItem(tr("By index"), int(GallerySort::Index));
    compareBox_ = new QComboBox(this);
    compareBox_->setToolTip(tr("A second run: see the samples one gets right and the other wrong"));
    mistakes_ = new QCheckBox(tr("Mistakes only"), this);
    trueBox_ = new QComboBox(this);
    predictedBox_ = new QComboBox(this);
    minConfidence_ = new QDoubleSpinBox(this);
    maxConfidence_ = new QDoubleSpinBox(this);
    for (QDoubleSpinBox* box : {minConfidence_, maxConfidence_}) {
        box->setRange(0, 1);
        box->setSingleStep(0.05);
        box->setDecimals(2);
    }
    maxConfidence_->setValue(1);
    changed_ = new QCheckBox(tr("Changed since previous epoch"), this);
    pairBox_ = new QComboBox(this);
    pairBox_->addItem(tr("all samples"), int(PairFilter::Any));
    pairBox_->addItem(tr("this run right, other wrong"), int(PairFilter::OnlyARight));
    pairBox_->addItem(tr("this run wrong, other right"), int(PairFilter::OnlyBRight));
    flagged_ = new QCheckBox(tr("Flagged"), this);
    auto* exportButton = new QPushButton(tr("Export flags…"), this);
    summary_ = new QLabel(this);
    summary_->setWordWrap(true);

    model_ = new PredictionsModel(this);
    list_ = new QListView(this);
    // A grid as a wrapping list: IconMode positions every item on its own (about 95 ms for 10k
    // here); list mode with uniform sizes lays out rows of equal cells at once.
    list_->setViewMode(QListView::ListMode);
    list_->setFlow(QListView::LeftToRight);
    list_->setWrapping(true);
    list_->setResizeMode(QListView::Adjust);
    list_->setUniformItemSizes(true);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setItemDelegate(new SampleDelegate(list_));
    list_->setModel(model_);
    list_->setSpacing(2);

    confusion_ = new ConfusionModel(this);
    matrix_ = new QTableView(this);
    matrix_->setModel(confusion_);
    matrix_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    matrix_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    matrix_->setSelectionMode(QAbstractItemView::SingleSelection);
    matrix_->verticalHeader()->setMinimumSectionSize(fontMetrics().height() + 4);
    matrix_->setMinimumHeight(12 * (fontMetrics().height() + 6));  // ten classes and the margin
    matrix_->setToolTip(tr("Rows: true class, columns: predicted. Click a cell to filter."));
    normalized_ = new QCheckBox(tr("Row-normalised (%)"), this);
    detail_ = new SampleDetail(this);

    auto* row1 = new QHBoxLayout();
    row1->addWidget(runLabel_);
    row1->addWidget(splitBox_);
    row1->addWidget(epochSlider_);
    row1->addWidget(epochLabel_);
    row1->addSpacing(12);
    row1->addWidget(new QLabel(tr("Sort"), this));
    row1->addWidget(sortBox_);
    row1->addSpacing(12);
    row1->addWidget(new QLabel(tr("Compare with"), this));
    row1->addWidget(compareBox_);
    row1->addWidget(pairBox_);
    row1->addStretch(1);
    auto* row2 = new QHBoxLayout();
    row2->addWidget(mistakes_);
    row2->addWidget(new QLabel(tr("True"), this));
    row2->addWidget(trueBox_);
    row2->addWidget(new QLabel(tr("Predicted"), this));
    row2->addWidget(predictedBox_);
    row2->addWidget(new QLabel(tr("Confidence"), this));
    row2->addWidget(minConfidence_);
    row2->addWidget(new QLabel(QStringLiteral("–"), this));
    row2->addWidget(maxConfidence_);
    row2->addWidget(changed_);
    row2->addWidget(flagged_);
    row2->addStretch(1);
    row2->addWidget(exportButton);

    auto* side = new QSplitter(Qt::Vertical, this);
    auto* matrixBox = new QWidget(side);
    auto* matrixLayout = new QVBoxLayout(matrixBox);
    matrixLayout->setContentsMargins(0, 0, 0, 0);
    matrixLayout->addWidget(
        new QLabel(tr("<b>Confusion matrix</b> (rows: true class)"), matrixBox));
    matrixLayout->addWidget(matrix_, 1);
    matrixLayout->addWidget(normalized_);
    side->addWidget(matrixBox);
    // The detail scrolls rather than forcing its height on the window.
    auto* detailScroll = new QScrollArea(side);
    detailScroll->setWidget(detail_);
    detailScroll->setWidgetResizable(true);
    detailScroll->setFrameShape(QFrame::NoFrame);
    side->addWidget(detailScroll);
    side->setSizes({330, 520});
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(list_);
    split->addWidget(side);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({700, 640});
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(row1);
    layout->addLayout(row2);
    layout->addWidget(summary_);
    layout->addWidget(split, 1);

    connect(splitBox_, &QComboBox::currentIndexChanged, this, [this] {
        if (syncing_) return;
        if (splitBox_->currentData().toString() == QLatin1String("test"))
            showTest();
        else
            showValidationEpoch(-1);
    });
    connect(epochSlider_, &QSlider::valueChanged, this, [this](int i) {
        if (syncing_ || i < 0 || static_cast<std::size_t>(i) >= current_.valEpochs.size()) return;
        showValidationEpoch(current_.valEpochs[static_cast<std::size_t>(i)]);
    });
    connect(sortBox_, &QComboBox::currentIndexChanged, this, [this] {
        if (!syncing_) setSort(static_cast<GallerySort>(sortBox_->currentData().toInt()));
    });
    connect(compareBox_, &QComboBox::currentIndexChanged, this, [this] {
        if (syncing_) return;
        const QVariant v = compareBox_->currentData();
        setCompareRun(v.isValid() ? std::optional<storage::RunId>(v.toLongLong()) : std::nullopt);
    });
    const auto fromControls = [this] {
        if (syncing_) return;
        GalleryFilter f;
        f.mistakesOnly = mistakes_->isChecked();
        if (trueBox_->currentData().isValid()) f.trueClass = trueBox_->currentData().toInt();
        if (predictedBox_->currentData().isValid())
            f.predictedClass = predictedBox_->currentData().toInt();
        f.minConfidence = static_cast<float>(minConfidence_->value());
        f.maxConfidence = static_cast<float>(maxConfidence_->value());
        f.changedOnly = changed_->isChecked();
        f.pair = static_cast<PairFilter>(pairBox_->currentData().toInt());
        f.flaggedOnly = flagged_->isChecked();
        setFilter(f);
    };
    for (QCheckBox* box : {mistakes_, changed_, flagged_})
        connect(box, &QCheckBox::toggled, this, fromControls);
    for (QComboBox* box : {trueBox_, predictedBox_, pairBox_})
        connect(box, &QComboBox::currentIndexChanged, this, fromControls);
    for (QDoubleSpinBox* box : {minConfidence_, maxConfidence_})
        connect(box, &QDoubleSpinBox::valueChanged, this, fromControls);
    connect(normalized_, &QCheckBox::toggled, confusion_, &ConfusionModel::setNormalized);
    connect(matrix_, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const auto [t, p] = confusion_->pairAt(index);
        GalleryFilter f = filter_;
        f.trueClass = t >= 0 ? std::optional(t) : std::nullopt;
        f.predictedClass = p >= 0 ? std::optional(p) : std::nullopt;
        setFilter(f);
    });
    connect(list_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &GalleryView::showSampleAt);
    connect(detail_, &SampleDetail::flagRequested, this,
            [this](qint64 sample, std::optional<storage::LabelFlag> flag, const QString& note) {
                QString error;
                if (!setFlag(sample, flag, note, &error))
                    QMessageBox::warning(this, tr("Label flag"), error);
            });
    connect(exportButton, &QPushButton::clicked, this, &GalleryView::exportFlags);
    syncControls();
    if (workspace != nullptr) workspace->follow(this);
}

void GalleryView::setDatabase(const QString& path) {
    dbPath_ = path;
    runs_.clear();
    loader_.invalidate();
    sampleLoader_.invalidate();
    current_ = {};
    model_->setContent(nullptr, {});
    confusion_->setConfusion({}, {});
    detail_->clear();
    syncControls();
}

void GalleryView::setRuns(const std::vector<std::pair<storage::RunId, QString>>& runs) {
    const bool sameShown = !runs.empty() && !runs_.empty() && runs.front() == runs_.front();
    runs_ = runs;
    if (!sameShown) {
        selectedSample_ = -1;
        epoch_ = -1;
    }
    // The compared run must still be selected.
    if (compare_ && std::none_of(runs_.begin() + (runs_.empty() ? 0 : 1), runs_.end(),
                                 [&](const auto& r) { return r.first == *compare_; }))
        compare_.reset();
    requestLoad();
}

void GalleryView::showTest() {
    split_ = "test";
    requestLoad();
}

void GalleryView::showValidationEpoch(std::int64_t epoch) {
    split_ = "val";
    epoch_ = epoch;
    requestLoad();
}

void GalleryView::setSort(GallerySort sort) {
    sort_ = sort;
    applyFilter();
}

void GalleryView::setFilter(const GalleryFilter& filter) {
    filter_ = filter;
    syncControls();
    applyFilter();
}

void GalleryView::setCompareRun(std::optional<storage::RunId> run) {
    compare_ = run;
    if (!run) filter_.pair = PairFilter::Any;
    requestLoad();
}

void GalleryView::refresh() {
    requestLoad();
}

void GalleryView::requestLoad() {
    if (runs_.empty()) {
        loader_.invalidate();
        current_ = {};
        model_->setContent(nullptr, {});
        confusion_->setConfusion({}, {});
        detail_->clear();
        syncControls();
        return;
    }
    loader_.request();
}

void GalleryView::apply(GallerySnapshot snapshot) {
    // A live poll that found nothing new for this view: keep the model, its scroll position and
    // selection; only the list of epochs may have grown.
    if (sameContent(current_, snapshot)) {
        current_.valEpochs = std::move(snapshot.valEpochs);
        current_.hasTest = snapshot.hasTest;
        syncControls();
        emit loaded();
        return;
    }
    current_ = std::move(snapshot);
    if (current_.data) {
        QStringList names;
        for (int c = 0; c < static_cast<int>(current_.data->classNames.size()); ++c)
            names << className(*current_.data, c);
        // ResizeToContents measures every cell at each layout: 2000 classes (4 million cells)
        // froze the window. Past kMeasuredClasses the sections keep one small size.
        constexpr int kMeasuredClasses = 60;
        const auto mode = names.size() > kMeasuredClasses ? QHeaderView::Interactive
                                                          : QHeaderView::ResizeToContents;
        for (QHeaderView* h : {matrix_->horizontalHeader(), matrix_->verticalHeader()}) {
            h->setSectionResizeMode(mode);
            if (mode == QHeaderView::Interactive)
                h->setDefaultSectionSize(
                    h == matrix_->verticalHeader()
                        ? fontMetrics().height() + 4
                        : fontMetrics().horizontalAdvance(QStringLiteral("00000")));
        }
        confusion_->setConfusion(confusionOf(current_.data->rows, static_cast<int>(names.size())),
                                 names);
    } else {
        confusion_->setConfusion({}, {});
    }
    syncControls();
    applyFilter();
    emit loaded();
}

void GalleryView::applyFilter() {
    if (!current_.data) {
        model_->setContent(nullptr, {});
        summary_->setText(current_.error);
        return;
    }
    const GalleryData& d = *current_.data;
    std::set<std::int64_t> flagged;
    for (const auto& [index, flag] : d.flags)
        flagged.insert(index);
    auto order = galleryOrder(d.rows, current_.previousEpoch ? &d.previous : nullptr,
                              current_.hasOther ? &d.other : nullptr, flagged, filter_, sort_);
    model_->setContent(current_.data, std::move(order));
    // Lay the items out now (half a millisecond for 10k equal cells) rather than on the view's
    // delayed-layout timer, so that the scroll range is right at once.
    list_->doItemsLayout();
    summary_->setText(summaryText());
    // Keep the sample the user was looking at, when it is still shown.
    for (int row = 0; row < model_->rowCount() && selectedSample_ >= 0; ++row)
        if (model_->recordAt(row)->sampleIndex == selectedSample_) {
            selectRow(row);
            return;
        }
    detail_->clear();
}

QString GalleryView::summaryText() const {
    if (!current_.data) return current_.error;
    const GalleryData& d = *current_.data;
    std::int64_t right = 0;
    for (const auto& r : d.rows)
        right += r.correct();
    QStringList parts;
    parts << tr("%1 of %2 samples shown · accuracy %3%")
                 .arg(model_->rowCount())
                 .arg(d.rows.size())
                 .arg(d.rows.empty()
                          ? 0.0
                          : 100.0 * static_cast<double>(right) / static_cast<double>(d.rows.size()),
                      0, 'f', 2);
    if (current_.previousEpoch) {
        const Flips f = countFlips(d.rows, d.previous);
        parts << tr("since epoch %1: %2 learned (wrong → right), %3 forgotten (right → wrong), %4 "
                    "switched wrong class")
                     .arg(*current_.previousEpoch)
                     .arg(f.learned)
                     .arg(f.forgotten)
                     .arg(f.switched);
    }
    if (current_.hasOther) {
        const Discordance dis = discordance(d.rows, d.other);
        parts << tr("vs %1: this run right and it wrong on %2, the reverse on %3")
                     .arg(compareBox_->currentText())
                     .arg(dis.onlyA)
                     .arg(dis.onlyB);
    }
    if (compare_ && !current_.hasOther)
        parts
            << tr("%1 has no predictions for this split and epoch").arg(compareBox_->currentText());
    if (current_.publicOnly) parts << tr("competition mode: the test set's public part only");
    if (!current_.imagesError.isEmpty())
        parts << tr("samples not shown: %1").arg(current_.imagesError);
    return parts.join(QStringLiteral(" · "));
}

void GalleryView::syncControls() {
    syncing_ = true;
    runLabel_->setText(runs_.empty() ? tr("Select a run in the Runs tab")
                                     : tr("<b>%1</b>").arg(runs_.front().second.toHtmlEscaped()));
    splitBox_->setCurrentIndex(current_.split == "val" ? 1 : 0);
    const auto& epochs = current_.valEpochs;
    const bool val = current_.split == "val" && !epochs.empty();
    epochSlider_->setEnabled(val && epochs.size() > 1);
    epochSlider_->setRange(0, std::max(0, static_cast<int>(epochs.size()) - 1));
    if (val) {
        const auto it = std::find(epochs.begin(), epochs.end(), current_.epoch);
        epochSlider_->setValue(static_cast<int>(it - epochs.begin()));
    }
    epochLabel_->setText(!current_.data            ? QString()
                         : current_.split == "val" ? tr("epoch %1").arg(current_.epoch)
                                                   : tr("after epoch %1").arg(current_.epoch));
    sortBox_->setCurrentIndex(sortBox_->findData(int(sort_)));
    compareBox_->clear();
    compareBox_->addItem(tr("no other run"));
    for (std::size_t i = 1; i < runs_.size(); ++i)
        compareBox_->addItem(runs_[i].second, QVariant::fromValue<qint64>(runs_[i].first));
    compareBox_->setCurrentIndex(
        compare_ ? compareBox_->findData(QVariant::fromValue<qint64>(*compare_)) : 0);
    pairBox_->setEnabled(compare_.has_value());
    pairBox_->setCurrentIndex(pairBox_->findData(int(filter_.pair)));
    const QStringList& names = confusion_->classNames();
    for (QComboBox* box : {trueBox_, predictedBox_}) {
        box->clear();
        box->addItem(tr("any"));
        for (int c = 0; c < names.size(); ++c)
            box->addItem(names[c], c);
    }
    trueBox_->setCurrentIndex(filter_.trueClass ? trueBox_->findData(*filter_.trueClass) : 0);
    predictedBox_->setCurrentIndex(
        filter_.predictedClass ? predictedBox_->findData(*filter_.predictedClass) : 0);
    mistakes_->setChecked(filter_.mistakesOnly);
    minConfidence_->setValue(filter_.minConfidence);
    maxConfidence_->setValue(filter_.maxConfidence);
    changed_->setChecked(filter_.changedOnly);
    changed_->setEnabled(current_.previousEpoch.has_value());
    flagged_->setChecked(filter_.flaggedOnly);
    syncing_ = false;
}

void GalleryView::selectRow(int row) {
    list_->setCurrentIndex(model_->index(row, 0));
}

void GalleryView::showSampleAt(const QModelIndex& index) {
    const storage::PredictionRecord* r = model_->recordAt(index.row());
    if (r == nullptr) return;
    selectedSample_ = r->sampleIndex;
    requestedSample_ = r->sampleIndex;
    sampleLoader_.request();
}

void GalleryView::applySample(SampleSnapshot s) {
    if (!current_.data) return;
    const auto* current = findSample(current_.data->rows, s.sampleIndex);
    if (current == nullptr) return;
    detail_->showSample(*current_.data, *current, s.history, s.others);
    emit sampleShown();
}

bool GalleryView::setFlag(std::int64_t sampleIndex, std::optional<storage::LabelFlag> flag,
                          const QString& note, QString* error) {
    if (!current_.data || current_.dataset.isEmpty()) {
        if (error) *error = tr("No dataset is shown.");
        return false;
    }
    auto db = storage::openDatabase(dbPath_.toStdString(), {.create = false});
    const std::string part(engine::filePartName(current_.data->part));
    const std::string dataset = current_.dataset.toStdString();
    storage::Status written;
    if (db && flag) {
        const auto* r = findSample(current_.data->rows, sampleIndex);
        written = storage::setFlag(db.value(), {dataset, part, sampleIndex, r ? r->target : 0,
                                                *flag, note.toStdString(), ""});
    } else if (db) {
        written = storage::clearFlag(db.value(), dataset, part, sampleIndex);
    }
    if (!db || !written) {
        if (error)
            *error = QString::fromStdString(!db ? db.error().message : written.error().message);
        return false;
    }
    selectedSample_ = sampleIndex;
    requestLoad();
    return true;
}

bool GalleryView::exportFlagsCsv(const QString& path, QString* error) const {
    auto db = storage::openDatabase(dbPath_.toStdString(), {.create = false, .readOnly = true});
    auto flags = db ? storage::listFlags(db.value(), current_.dataset.toStdString())
                    : storage::Result<std::vector<storage::FlagRecord>>(db.error());
    if (!flags) {
        if (error) *error = QString::fromStdString(flags.error().message);
        return false;
    }
    const auto names = current_.data ? current_.data->classNames : engine::fashionMnistClassNames();
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error) *error = tr("Cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    f.write(QByteArray::fromStdString(analysis::flagsCsv(flags.value(), names)));
    return true;
}

void GalleryView::exportFlags() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export label flags"), QStringLiteral("label-flags.csv"), tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportFlagsCsv(path, &error)) QMessageBox::warning(this, tr("Export label flags"), error);
}

}  // namespace runboard::widgets
