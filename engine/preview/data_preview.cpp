#include "engine/preview/data_preview.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <numeric>
#include <unordered_map>

#include "engine/data/splits.h"
#include "engine/data/tabular.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"
#include "engine/text/bucketing.h"
#include "engine/text/text_scan.h"

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
    std::string text;  // text: the text column, the token kind and the vocabulary's settings
    config::TokenKind tokens = config::TokenKind::Word;
    std::int64_t maxLen = 256, vocabSize = 20000, minFreq = 1, batchSize = 128;
    std::uint64_t seed = 1;
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
    o.text = c.text("data.text");
    o.tokens = config::choice(c, "data.tokens", config::kTokenNames);
    o.maxLen = c.integer("data.max_len");
    o.vocabSize = c.integer("data.vocab_size");
    o.minFreq = c.integer("data.min_freq");
    o.batchSize = c.integer("batch_size");
    o.seed = static_cast<std::uint64_t>(c.integer("seed"));
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

void previewText(const PreviewOptions& o, const PreviewProgress& progress, DataPreview& out) {
    // The run that follows reads what this scanned (the cache).
    const text::TextScanRequest request{
        .path = o.path,
        .dir = o.dir,
        .textColumn = o.text,
        .labelColumn = o.label,
        .mode = o.tokens == config::TokenKind::Char ? text::TokenMode::Char : text::TokenMode::Word,
        .threads = o.workers,
        .cacheDir = defaultScanCacheDir()};
    if (progress) progress(0, 0);
    std::string note;
    const text::TextScan scan = text::scanText(request, progress, &note);
    if (!note.empty()) out.problems.push_back(note);
    if (scan.replaced > 0)
        out.problems.push_back(
            fmt::format("{} invalid UTF-8 sequences in {} samples, replaced by U+FFFD",
                        scan.replaced, scan.samplesWithReplacements));
    const auto n = static_cast<std::int64_t>(scan.size());
    out.texts = scan.size();
    out.sourceTokens = scan.tokens.size();
    Carved parts = carveSplits(n, o.testShare, o.valShare, o.splitSeed);
    parts.train = limitedSample(parts.train, o.limit, o.splitSeed);
    for (const auto& name : scan.classNames)
        out.classes.push_back({name});
    const auto labelOf = [&](std::int64_t p) { return scan.labels[static_cast<std::size_t>(p)]; };
    countPart(out.classes, parts.train, &ClassCount::train, labelOf);
    countPart(out.classes, parts.val, &ClassCount::val, labelOf);
    countPart(out.classes, parts.test, &ClassCount::test, labelOf);
    if (parts.train.size() < 2)
        throw DataError(scan.origin + ": " + std::to_string(n) +
                        " samples leave fewer than 2 for training after data.test_size and "
                        "data.val_share");

    // The vocabulary's size as the run will count it, and the training part's lengths.
    // The lengths as written (to choose data.max_len by) and as the model sees them (cut).
    std::vector<std::int64_t> counts(scan.tokens.size(), 0), lengths, sorted;
    for (std::int64_t r : parts.train) {
        const auto i = static_cast<std::size_t>(r);
        for (std::uint64_t k = scan.offsets[i]; k < scan.offsets[i + 1]; ++k)
            ++counts[scan.ids[k]];
        out.cut += scan.length(i) > static_cast<std::size_t>(o.maxLen);
        sorted.push_back(static_cast<std::int64_t>(scan.length(i)));
        lengths.push_back(std::min<std::int64_t>(sorted.back(), o.maxLen));
    }
    std::size_t kept = 0;
    for (std::size_t t = 0; t < counts.size(); ++t)
        kept += counts[t] >= std::max<std::int64_t>(1, o.minFreq) && scan.tokens[t] != "<pad>" &&
                scan.tokens[t] != "<unk>";
    out.vocabulary = std::min<std::size_t>(
        kept + 2, o.vocabSize > 0 ? static_cast<std::size_t>(o.vocabSize) : SIZE_MAX);
    if (kept == 0)
        out.problems.push_back(
            fmt::format("no token occurs data.min_freq = {} times in training: lower data.min_freq",
                        o.minFreq));
    std::sort(sorted.begin(), sorted.end());
    out.lengthMedian = sorted[sorted.size() / 2];
    out.lengthP95 = sorted[std::min(sorted.size() - 1, sorted.size() * 95 / 100)];
    out.lengthMax = sorted.back();
    // Epoch 1's batches: the padding smart padding saves, before the run.
    const auto batch =
        std::min<std::int64_t>(o.batchSize, static_cast<std::int64_t>(lengths.size()));
    out.paddingBucketed =
        text::paddingShare(text::lengthGroupedBatches(lengths, batch, o.seed, 1), lengths);
    out.paddingShuffled = text::paddingShare(
        text::shuffledBatches(static_cast<std::int64_t>(lengths.size()), batch, o.seed, 1),
        lengths);
    out.summary = fmt::format(
        "{} texts, {} classes: train {}, val {}, test {}; {} {} tokens in training make a "
        "vocabulary of {}; {} tokens a text (median, 95th percentile {}, longest {}){}",
        out.texts, out.classes.size(), out.trainCount(), out.valCount(), out.testCount(),
        std::accumulate(lengths.begin(), lengths.end(), std::int64_t{0}),
        o.tokens == config::TokenKind::Char ? "char" : "word", out.vocabulary, out.lengthMedian,
        out.lengthP95, out.lengthMax, scan.fromCache ? " (from the scan cache)" : "");
    if (out.cut > 0)
        out.problems.push_back(fmt::format(
            "{} training texts are longer than data.max_len = {} tokens and will be cut", out.cut,
            o.maxLen));
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
                previewText(o, progress, out);
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
    if (p.texts > 0)
        text += fmt::format(
            "padding at batch_size: {:.1f}% of the tokens with data.bucketing, {:.1f}% without\n",
            100 * p.paddingBucketed, 100 * p.paddingShuffled);
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
