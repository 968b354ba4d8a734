#include "engine/preview/data_preview.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <unordered_map>

#include "engine/data/splits.h"
#include "engine/data/tabular.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"

namespace runboard::engine {
namespace {

// The data keys the engine reads (train_options.cpp, which is in the Torch library).
struct PreviewOptions {
    std::string dir, path, label;
    config::MissingPolicy missing = config::MissingPolicy::Refuse;
    double valShare = 0.1, testShare = 0.2;
    std::uint64_t splitSeed = 42;
    std::int64_t limit = 0, cacheMb = 2048;
    int imageSize = 0, workers = 0;
    config::Channels channels = config::Channels::Auto;
};

PreviewOptions optionsOf(const config::Config& c) {
    PreviewOptions o;
    o.dir = c.text("data.dir");
    o.path = c.text("data.path");
    o.label = c.text("data.label");
    o.missing = config::choice(c, "data.missing", config::kMissingNames);
    o.valShare = c.number("data.val_share");
    o.testShare = c.number("data.test_size");
    o.splitSeed = static_cast<std::uint64_t>(c.integer("data.split_seed"));
    o.limit = c.integer("data.limit");
    o.cacheMb = c.integer("data.cache_mb");
    o.imageSize = static_cast<int>(c.integer("data.image_size"));
    o.workers = static_cast<int>(c.integer("data.workers"));
    o.channels = config::choice(c, "data.channels", config::kChannelsNames);
    return o;
}

// Adds each position's label to the part's count.
template <typename LabelOf>
void countPart(std::vector<ClassCount>& classes, const std::vector<std::int64_t>& positions,
               std::int64_t ClassCount::*part, LabelOf labelOf) {
    for (std::int64_t p : positions)
        ++(classes[static_cast<std::size_t>(labelOf(p))].*part);
}

void previewFolder(const PreviewOptions& o, const PreviewProgress& progress,
                   const std::atomic<bool>* stop, DataPreview& out) {
    if (progress) progress(0, 0);
    const FolderListing listing = listImageFolder(o.dir);
    out.presplit = listing.presplit;
    out.files = listing.files.size();
    out.skippedEntries = listing.skipped.size();
    for (const auto& name : listing.classes)
        out.classes.push_back(ClassCount{name});

    DecodeOptions decode;
    decode.size = o.imageSize;
    decode.channels = o.channels == config::Channels::Gray  ? 1
                      : o.channels == config::Channels::Rgb ? 3
                                                            : 0;
    decode.threads = o.workers;
    decode.cacheDir = defaultScanCacheDir();  // the run that follows reads nothing again
    const DecodedImages images =
        decodeImages(listing, decode, static_cast<std::size_t>(o.cacheMb) << 20,
                     progress ? DecodeProgress(progress) : DecodeProgress(), stop);
    if (stop != nullptr && stop->load()) {
        out.stopped = true;
        out.error = "the scan was stopped";
        return;
    }
    out.imageSize = images.size;
    out.channels = images.channels;
    out.sizesSeen = images.sizesSeen;
    out.quarantinedFiles = images.quarantined.size();

    std::unordered_map<std::string_view, int> labelOfPath;
    for (const auto& f : listing.files)
        labelOfPath.emplace(f.path, f.label);
    for (const auto& q : images.quarantined) {
        if (auto it = labelOfPath.find(q.path); it != labelOfPath.end())
            ++out.classes[static_cast<std::size_t>(it->second)].quarantined;
        out.problems.push_back("quarantined: " + q.path + ": " + q.reason);
    }
    for (const auto& s : listing.skipped)
        out.problems.push_back("skipped: " + s);

    // The parts exactly as the run makes them (it refuses what the run refuses).
    const FolderParts parts =
        folderParts(listing, images, {o.testShare, o.valShare, o.splitSeed, o.limit});
    const auto labelOf = [&](std::int64_t pos) {
        return listing.files[images.kept[static_cast<std::size_t>(pos)]].label;
    };
    countPart(out.classes, parts.train, &ClassCount::train, labelOf);
    countPart(out.classes, parts.val, &ClassCount::val, labelOf);
    countPart(out.classes, parts.test, &ClassCount::test, labelOf);

    out.summary = fmt::format(
        "{} images in {} classes{}: train {}, val {}, test {}; decoded as {}x{}x{}", out.files,
        out.classes.size(), listing.presplit ? " (train/ and test/ folders)" : "", out.trainCount(),
        out.valCount(), out.testCount(), images.channels, images.size, images.size);
    if (!images.quarantined.empty())
        out.summary.append(fmt::format("; {} quarantined", images.quarantined.size()));
    if (!listing.skipped.empty())
        out.summary.append(fmt::format("; {} skipped", listing.skipped.size()));
}

void previewTable(const PreviewOptions& o, const PreviewProgress& progress, DataPreview& out) {
    if (progress) progress(0, 0);
    const TableSpec spec{o.label, o.missing};
    const Table table = readTable(o.path, spec);
    out.rows = table.rows.size();
    out.labelColumn = table.header[table.labelColumn];
    const std::vector<std::string> classes = labelClasses(table);
    std::map<std::string, std::size_t, std::less<>> classIndex;
    for (const auto& name : classes) {
        classIndex.emplace(name, out.classes.size());
        out.classes.push_back(ClassCount{name});
    }
    // A row's class is labelOf ("0.0" is class "0"); a missing label (refused below) counts in
    // no class.
    const auto n = static_cast<std::int64_t>(table.rows.size());
    Carved parts = carveSplits(n, o.testShare, o.valShare, o.splitSeed);
    parts.train = limitedSample(parts.train, o.limit, o.splitSeed);
    for (auto [positions, part] : {std::pair{&parts.train, &ClassCount::train},
                                   {&parts.val, &ClassCount::val},
                                   {&parts.test, &ClassCount::test}})
        for (std::int64_t r : *positions) {
            const auto row = static_cast<std::size_t>(r);
            if (isMissing(table.rows[row][table.labelColumn])) continue;
            if (auto it = classIndex.find(labelOf(table, row)); it != classIndex.end())
                ++(out.classes[it->second].*part);
        }

    // Missing cells per column, named by their first lines.
    std::size_t missingCells = 0;
    for (std::size_t c = 0; c < table.header.size(); ++c) {
        std::vector<std::size_t> lines;
        for (std::size_t r = 0; r < table.rows.size(); ++r)
            if (isMissing(table.rows[r][c])) lines.push_back(table.lines[r]);
        if (c != table.labelColumn) {
            ColumnPreview column;
            column.name = table.header[c];
            column.missing = lines.size();
            out.columns.push_back(std::move(column));
        }
        if (lines.empty()) continue;
        missingCells += lines.size();
        std::string first;
        for (std::size_t i = 0; i < std::min<std::size_t>(lines.size(), 3); ++i)
            first += (i > 0 ? ", " : "") + std::to_string(lines[i]);
        out.problems.push_back(fmt::format(
            "missing: column '{}': {} cells (line{} {}{}){}", table.header[c], lines.size(),
            lines.size() > 1 ? "s" : "", first, lines.size() > 3 ? ", ..." : "",
            c == table.labelColumn ? ": a missing label is always refused"
            : o.missing == config::MissingPolicy::Mean
                ? ": data.missing=mean fills them"
                : ": the run stops unless data.missing=mean"));
    }
    out.summary = fmt::format(
        "{} rows, {} feature columns, label '{}' with {} classes: train "
        "{}, val {}, test {}",
        out.rows, out.columns.size(), out.labelColumn, classes.size(), out.trainCount(),
        out.valCount(), out.testCount());
    if (missingCells > 0) out.summary.append(fmt::format("; {} missing cells", missingCells));

    // The encoding the run fits: it refuses what the run refuses, and types the columns.
    if (parts.train.size() < 2)
        throw DataError(o.path + ": " + std::to_string(n) +
                        " rows leave fewer than 2 for training after data.test_size and "
                        "data.val_share; a classifier needs more rows");
    const Encoding encoding = fitEncoding(table, parts.train, spec);
    for (const ColumnEncoding& f : encoding.features)
        for (ColumnPreview& column : out.columns)
            if (column.name == f.name) {
                column.categorical = f.categorical;
                column.categories = f.categories.size();
            }
    out.encodedWidth = encoding.width();
    out.summary.append(fmt::format("; {} inputs after encoding", out.encodedWidth));
    if (encoding.width() == 0)
        throw DataError(o.path + ": no column besides the label '" + out.labelColumn +
                        "' to learn from");
}

}  // namespace

std::int64_t DataPreview::trainCount() const {
    std::int64_t n = 0;
    for (const auto& c : classes)
        n += c.train;
    return n;
}
std::int64_t DataPreview::valCount() const {
    std::int64_t n = 0;
    for (const auto& c : classes)
        n += c.val;
    return n;
}
std::int64_t DataPreview::testCount() const {
    std::int64_t n = 0;
    for (const auto& c : classes)
        n += c.test;
    return n;
}

DataPreview previewData(const config::Config& config, const PreviewProgress& progress,
                        const std::atomic<bool>* stop) {
    DataPreview out;
    try {
        out.source = config::choice(config, "data.source", config::kDataSourceNames);
        const PreviewOptions o = optionsOf(config);
        switch (out.source) {
            case config::DataSource::FashionMnist:
                out.summary = fmt::format(
                    "Fashion-MNIST, the built-in dataset: the IDX files in '{}', 10 classes, "
                    "60,000 training images ({} held out for validation) and 10,000 test images; "
                    "nothing to scan",
                    o.dir, config.integer("data.val_size"));
                break;
            case config::DataSource::Csv:
                if (o.path.empty()) throw DataError("data.path: choose the CSV file to read");
                previewTable(o, progress, out);
                break;
            case config::DataSource::Folder:
                previewFolder(o, progress, stop, out);
                break;
            case config::DataSource::Text:
                out.summary =
                    "text: read, tokenized and split when the run starts (the New Run dialog "
                    "does not preview text yet)";
                break;
        }
        if (!out.stopped) {
            out.ok = true;
            std::vector<std::int64_t> shape{1, 28, 28};  // Fashion-MNIST
            if (out.source == config::DataSource::Csv)
                shape = {static_cast<std::int64_t>(out.encodedWidth)};
            else if (out.source == config::DataSource::Folder)
                shape = {out.channels, out.imageSize, out.imageSize};
            auto kind = config::choice(config, "model", config::kModelNames);
            if (out.source == config::DataSource::Text && kind == config::ModelKind::Auto)
                kind = config::ModelKind::TextCnn;  // as engine::resolveModel
            out.model = config::kModelNames.name(config::resolveModel(kind, shape));
        }
    } catch (const std::exception& e) {  // DataError, ConfigError, bad_alloc, anything
        out.ok = false;
        out.error = e.what();
        // A stopped decode finds too few images and says so; the stop is what happened.
        if (stop != nullptr && stop->load()) {
            out.stopped = true;
            out.error = "the scan was stopped";
        }
    } catch (...) {
        out.ok = false;
        out.error = "the data could not be read (an unknown error)";
    }
    return out;
}

std::string formatPreview(const DataPreview& p, std::size_t maxProblems) {
    std::string text;
    if (!p.classes.empty()) {
        const bool folder = p.source == config::DataSource::Folder;
        std::size_t width = 5;
        for (const auto& c : p.classes)
            width = std::max(width, c.name.size());
        width = std::min<std::size_t>(width, 40);
        text += fmt::format("{:<{}}  {:>7}  {:>7}  {:>7}{}\n", "class", width, "train", "val",
                            "test", folder ? "  quarantined" : "");
        ClassCount sum{"total"};
        for (const auto& c : p.classes) {
            text += fmt::format("{:<{}}  {:>7}  {:>7}  {:>7}", c.name.substr(0, width), width,
                                c.train, c.val, c.test);
            if (folder) text += fmt::format("  {:>11}", c.quarantined);
            text += '\n';
            sum.train += c.train, sum.val += c.val, sum.test += c.test;
            sum.quarantined += c.quarantined;
        }
        text += fmt::format("{:<{}}  {:>7}  {:>7}  {:>7}", sum.name, width, sum.train, sum.val,
                            sum.test);
        if (folder) text += fmt::format("  {:>11}", sum.quarantined);
        text += "\n\n";
    }
    if (!p.model.empty()) text += fmt::format("model: {}\n", p.model);
    if (p.imageSize > 0)
        text += fmt::format("decoded as {} channel{}, {}x{} px\n", p.channels,
                            p.channels == 1 ? "" : "s", p.imageSize, p.imageSize);
    if (!p.sizesSeen.empty()) {
        text += "sizes seen: ";
        for (std::size_t i = 0; i < std::min<std::size_t>(p.sizesSeen.size(), 5); ++i)
            text += (i > 0 ? ", " : "") + p.sizesSeen[i];
        if (p.sizesSeen.size() > 5) text += fmt::format(" and {} more", p.sizesSeen.size() - 5);
        text += '\n';
    }
    if (!p.columns.empty() && p.encodedWidth == 0) {  // the encoding was refused: no types
        text += "columns: ";
        for (std::size_t i = 0; i < p.columns.size(); ++i)
            text += (i > 0 ? ", " : "") + p.columns[i].name;
        text += '\n';
    } else if (!p.columns.empty()) {
        std::string numeric, categorical;
        for (const auto& c : p.columns) {
            std::string& list = c.categorical ? categorical : numeric;
            list += (list.empty() ? "" : ", ") + c.name;
            if (c.categorical && c.categories > 0)
                list += fmt::format(" ({} values)", c.categories);
        }
        if (!numeric.empty()) text += "numeric: " + numeric + '\n';
        if (!categorical.empty()) text += "categorical: " + categorical + '\n';
    }
    if (!p.problems.empty()) {
        text += fmt::format("\n{} to look at:\n", p.problems.size());
        for (std::size_t i = 0; i < std::min(p.problems.size(), maxProblems); ++i)
            text += "  " + p.problems[i] + '\n';
        if (p.problems.size() > maxProblems)
            text += fmt::format("  ... and {} more\n", p.problems.size() - maxProblems);
    }
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text;
}

}  // namespace runboard::engine
