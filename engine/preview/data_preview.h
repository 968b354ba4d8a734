#pragma once
// What a run's data settings will give, before the run: the New Run dialog's Scan button (issue
// 15). It reads the data the way the engine will (the same listing, decoding options, splits and
// table reader) but keeps no pixels or tensors, only what a person checks before pressing Start:
// the classes and how many samples each part holds, the files the scan quarantines and why, the
// entries it skips, a table's columns and its missing cells, a text's lengths and padding.
//
// Torch-free and Qt-free in its header (the decoding behind engine/images uses Qt Gui), so the GUI
// links it without Torch. A folder is decoded with exactly the run's options (data.image_size,
// data.channels, data.workers, data.cache_mb), so a scan cache behind decodeImages serves the run
// that follows.
//
// previewData never throws: the errors the run would stop with (DataError, ConfigError, anything
// else) come back as ok = false with the message, together with whatever was found before them,
// because the preview runs on a worker thread and its caller only shows the result.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/config/choices.h"
#include "engine/config/config.h"

namespace runboard::engine {

// One class and its samples in each part as the run will split them (after data.limit for the
// train part). A folder's quarantined files of the class are counted apart: they are in no part.
struct ClassCount {
    std::string name;
    std::int64_t train = 0, val = 0, test = 0;
    std::int64_t quarantined = 0;
    std::int64_t total() const { return train + val + test; }
};

// A table's column as the encoding sees it (fitted on the training part).
struct ColumnPreview {
    std::string name;
    bool categorical = false;
    std::size_t categories = 0;  // categorical: the training part's distinct values
    std::size_t missing = 0;     // missing cells ("", NA, NaN, ...) in the whole table
};

struct DataPreview {
    config::DataSource source = config::DataSource::FashionMnist;
    bool ok = false;
    bool stopped = false;  // the caller's stop flag ended the scan (ok is false)
    std::string error;     // why the run would not start (ok is false); empty when ok
    std::string summary;   // one line: what was found
    // The model the config's `model` trains on this data: model = auto resolved by the decoded
    // shape (config::resolveModel), as the run will; empty when the data cannot be read.
    std::string model;

    std::vector<ClassCount> classes;  // in the model's output order
    // Quarantined files ("path: reason"), skipped entries, missing cells: what a person should
    // look at, one line each. A problem does not stop the run; an error does.
    std::vector<std::string> problems;

    // Folders.
    std::size_t files = 0;  // image files listed (decoded + quarantined)
    std::size_t quarantinedFiles = 0;
    std::size_t skippedEntries = 0;
    bool presplit = false;            // train/ (val/) test/ folders hold the classes
    int imageSize = 0, channels = 0;  // as decoded (data.image_size 0 and channels auto resolved)
    std::vector<std::string> sizesSeen;  // "28x28 gray: 70000", most common first

    // Tables.
    std::size_t rows = 0;
    std::vector<ColumnPreview> columns;  // the feature columns, the label left out
    std::string labelColumn;
    std::size_t encodedWidth = 0;  // the model's input features after one-hot encoding

    // Text: the scan (cached for the run), the vocabulary the run will build, the training
    // part's lengths in tokens as written (data.max_len is chosen by them), and the padding of its
    // batches at batch_size with and without data.bucketing (one epoch's batches drawn by the
    // config's seed; the run draws its own, so its shares differ a little).
    std::size_t texts = 0, vocabulary = 0, sourceTokens = 0;
    std::int64_t lengthMedian = 0, lengthP95 = 0, lengthMax = 0;
    std::size_t cut = 0;  // samples longer than data.max_len
    double paddingBucketed = 0, paddingShuffled = 0;

    std::int64_t trainCount() const;
    std::int64_t valCount() const;
    std::int64_t testCount() const;
};

// progress(done, total) on the calling thread: a folder's files decoded, about every 100 ms and at
// the end; total 0 while the amount is not known (listing a folder, reading a table).
using PreviewProgress = std::function<void(std::size_t done, std::size_t total)>;

// Reads the data `config` names (data.source and its keys) once. `stop` (may be null) ends a
// folder's scan early: the result is then stopped, not ok. Never throws.
DataPreview previewData(const config::Config& config, const PreviewProgress& progress = {},
                        const std::atomic<bool>* stop = nullptr);

// The preview as plain text for a fixed-width view: the per-class table by part, then the details
// (decoded size, sizes seen, columns) and the problems, `maxProblems` of them at most.
std::string formatPreview(const DataPreview& preview, std::size_t maxProblems = 200);

}  // namespace runboard::engine
