#pragma once
// Classification data held in memory as tensors: images (the IDX files) or the encoded rows of a
// CSV table. Every sample keeps a stable id (its index in the IDX file, its row in the table),
// so predictions and label flags refer to the same sample across runs.

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/data/data_checks.h"
#include "engine/data/idx.h"
#include "engine/data/sample_images.h"
#include "engine/data/splits.h"
#include "engine/images/prefetch.h"
#include "engine/train_options.h"

namespace runboard::engine {

// An image folder too large for data.cache_mb: its listing and how its files are decoded.
struct ImageStream {
    FolderListing listing;
    StreamSpec spec;  // spec.listing points at `listing`
};

struct SplitData {
    // float32 [N, C, H, W] images or [N, F] table rows, normalized with the train part's
    // statistics (one mean/std for IDX images, per feature for tables); or, for image folders,
    // uint8 [N, C, H, W] pixels (a quarter of the memory) that batch() and slice() normalize
    // per channel with pixelMean/pixelStd ([1, C, 1, 1], of pixel / 255).
    torch::Tensor inputs;
    torch::Tensor labels;   // int64 [N]
    torch::Tensor indices;  // int64 [N]: the stable id (IDX index, table row, path hash)
    torch::Tensor pixelMean, pixelStd;
    // Text: `inputs` are int64 token ids [N, L] padded with 0 (<pad>), `lengths` each sample's
    // tokens [N]; batch() and slice() cut a batch to its longest sample (dynamic padding).
    torch::Tensor lengths;
    // A streamed folder part: no `inputs`; each position's file in the stream's listing, decoded
    // when asked for (the training loop prefetches; see TrainBatches).
    std::shared_ptr<const ImageStream> stream;
    std::vector<std::size_t> files;
    std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
    bool streamed() const { return stream != nullptr; }
    // The model's float inputs of the samples at `positions`, or of [begin, begin + length).
    torch::Tensor batch(const torch::Tensor& positions) const;
    torch::Tensor slice(std::int64_t begin, std::int64_t length) const;
    // uint8 pixels [N, C, H, W] as the model sees them: / 255, less the mean, over the std. The
    // one normalisation of folder images, cached or streamed alike.
    torch::Tensor normalize(const torch::Tensor& pixels) const;
    // uint8 [N, C, H, W] pixels of these positions, decoded from their files (streamed parts).
    torch::Tensor decode(const std::vector<std::int64_t>& positions) const;
};

struct Dataset {
    SplitData train, val, test;
    int numClasses = 10;
    std::vector<std::string> classNames;
    std::vector<std::int64_t> sampleShape{1, 28, 28};  // {C, H, W} or {F}
    std::vector<std::string> featureNames;             // tables: one per encoded feature
    // Image folders: what the training part's per-channel statistics are, and a fingerprint of
    // the files (paths, sizes, modification times) as the run saw them.
    std::vector<double> channelMean, channelStd;
    std::string fingerprint;
    // Tables and text, whose predictions name samples by their position: the name the gallery
    // knows the source by (SampleImages::name, with a fingerprint of its contents), recorded
    // with the run so that a source changed since is not shown as what the run predicted.
    std::string sourceName;
    // IDX images: the pixels' (0 and 1 for tables and folders, whose background is the mean)
    float mean = 0, stdev = 1;
    // What loading found that the checklist reports (an image folder's scan and quarantine).
    std::vector<CheckResult> loadChecks;
    // Text: the vocabulary (index 0 <pad>, 1 <unk>; from the training part) and its tokens'
    // kind; sampleShape is {data.max_len}.
    std::vector<std::string> vocabulary;
    bool text = false;
    bool isImage() const { return sampleShape.size() == 3 && !text; }
};

// The dataset that options.source names; throws DataError naming the file and the problem.
Dataset loadDataset(const DataOptions& options);
// Loads the four gzipped IDX files from options.dir; throws DataError.
Dataset loadFashionMnist(const DataOptions& options);
// Reads the CSV table options.path (see engine/data/tabular.h for the encoding) and carves the
// test part (options.testShare) and then the validation part (options.valShare of the rest) by
// options.splitSeed; the encoding is fitted on the training part only.
Dataset loadCsvDataset(const DataOptions& options);
// Lists and decodes the image folder options.dir (engine/images/image_folder.h): its own
// train/ (val/) test/ parts, or the test part (options.testShare) and the validation part
// (options.valShare of the rest) carved by options.splitSeed. Pixels stay uint8; the per-channel
// statistics come from the training part. `progress` sees the scan's files done and total.
Dataset loadFolderDataset(const DataOptions& options,
                          const std::function<void(std::size_t, std::size_t)>& progress = {});

// Reads text (engine/text/text_source.h): a CSV/TSV in options.path with the column options.text,
// or class sub-folders of .txt files in options.dir; splits as for tables, tokens, the vocabulary
// from the training part, each sample cut at options.maxLen. Throws DataError.
Dataset loadTextDataset(const DataOptions& options);

// Builds the splits from already-read arrays (the loader's second half; used by tests).
Dataset makeDataset(const IdxArray& trainImages, const IdxArray& trainLabels,
                    const IdxArray& testImages, const IdxArray& testLabels,
                    const DataOptions& options, const std::string& origin);

}  // namespace runboard::engine
