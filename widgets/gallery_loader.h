#pragma once
// What the gallery loads off the GUI thread: one evaluation of a run (with the previous epoch, a
// compared run, the dataset's images and the label flags of its part), and one sample's history.
// Plain functions over storage; GalleryView runs them through LatestLoader.

#include <QString>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/run_store.h"
#include "widgets/gallery_model.h"
#include "widgets/sample_detail.h"

namespace runboard::widgets {

// Where a run's samples are: its data.* params (the schema's defaults for keys it lacks).
struct DataSourceRef {
    std::string source, dir, path, label, text;  // text: data.text
    auto operator<=>(const DataSourceRef&) const = default;
};
DataSourceRef runDataSource(storage::RunStore& store, storage::RunId run);

// The datasets' samples (IDX images, a CSV table, an image folder), opened once per source and
// shared by every load (from any thread).
class ImageCache {
public:
    // Null with a message when the samples can't be read.
    std::shared_ptr<const engine::SampleImages> get(const DataSourceRef& source, QString* error);

private:
    std::mutex mutex_;
    std::map<DataSourceRef, std::shared_ptr<const engine::SampleImages>> cache_;
};

struct GallerySnapshot {
    QString error;  // why nothing is shown (no predictions yet, or the load failed)
    std::shared_ptr<const GalleryData> data;
    storage::RunId run = 0;
    std::optional<storage::RunId> other;
    std::string split;  // "val" | "test"
    std::int64_t epoch = 0;
    std::vector<std::int64_t> valEpochs;
    bool hasTest = false;
    std::optional<std::int64_t> previousEpoch;
    bool hasOther = false;
    bool publicOnly = false;  // competition mode: the test set's public part only
    QString imagesError;
    QString dataset;
};

struct SampleSnapshot {
    std::int64_t sampleIndex = -1;
    Predictions history;
    std::vector<SampleOtherRun> others;
};

struct LoadRequest {
    storage::RunId run = 0;
    std::optional<storage::RunId> other;
    std::string split;        // "test" | "val" (falls back to the other when the run has none)
    std::int64_t epoch = -1;  // of the validation set; -1: the latest
};

// A run without predictions yet is a snapshot whose `error` says so; an error of the store is an
// error.
storage::Result<GallerySnapshot> loadGallery(storage::RunStore& store, const LoadRequest& request,
                                             ImageCache& cache);
// The sample in the first run at every logged epoch of the split, and in the other runs (at the
// same epoch when they have it, else their latest).
storage::Result<SampleSnapshot> loadSample(
    storage::RunStore& store, const std::vector<std::pair<storage::RunId, QString>>& runs,
    const std::string& split, std::int64_t epoch, std::int64_t sample);
// Whether a reload found what is already shown (same run, view and rows, same flags): a live
// poll then keeps the model, its scroll position and the selection.
bool sameContent(const GallerySnapshot& a, const GallerySnapshot& b);

}  // namespace runboard::widgets
