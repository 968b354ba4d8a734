// data.source = text: the source scanned once (engine/text/text_scan: read, tokenized, cached),
// split like a table's rows, and encoded with a vocabulary of the training part only.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <utility>

#include "engine/data/splits.h"
#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"
#include "engine/text/text_scan.h"
#include "engine/text/vocabulary.h"

namespace runboard::engine {

namespace {

// Token ids [N, L] (L the longest sample of the part, at most maxLen) padded with 0.
SplitData textSplit(const std::vector<std::vector<std::int32_t>>& encoded,
                    const text::TextScan& scan, const std::vector<std::int64_t>& rows) {
    SplitData s;
    std::int64_t longest = 1;
    for (std::int64_t r : rows)
        longest = std::max<std::int64_t>(
            longest, static_cast<std::int64_t>(encoded[static_cast<std::size_t>(r)].size()));
    const auto n = static_cast<std::int64_t>(rows.size());
    s.inputs = torch::zeros({n, longest}, torch::kLong);
    s.lengths = torch::empty({n}, torch::kLong);
    s.labels = torch::empty({n}, torch::kLong);
    s.indices = torch::empty({n}, torch::kLong);
    auto in = s.inputs.accessor<std::int64_t, 2>();
    for (std::int64_t i = 0; i < n; ++i) {
        const auto r = static_cast<std::size_t>(rows[static_cast<std::size_t>(i)]);
        const auto& ids = encoded[r];
        for (std::size_t t = 0; t < ids.size(); ++t)
            in[i][static_cast<std::int64_t>(t)] = ids[t];
        s.lengths[i] = std::max<std::int64_t>(1, static_cast<std::int64_t>(ids.size()));
        s.labels[i] = scan.labels[r];
        s.indices[i] = static_cast<std::int64_t>(r);
    }
    return s;
}

// The scan (engine/text/text_scan.h) with a log line about every 10% when it takes long.
text::TextScan scanLogged(const DataOptions& o) {
    const text::TextScanRequest request{
        .path = o.path,
        .dir = o.dir,
        .textColumn = o.text,
        .labelColumn = o.label,
        .mode = o.tokens == config::TokenKind::Char ? text::TokenMode::Char : text::TokenMode::Word,
        .threads = o.workers,
        .cacheDir = defaultScanCacheDir()};
    const std::string& source = o.path.empty() ? o.dir : o.path;
    // Quiet when quick: the read is reported when it took over a second, and the tokenizing
    // about every 10% once it has run for two.
    const auto start = std::chrono::steady_clock::now();
    auto tokenizing = start;
    double logged = 0;
    bool read = false;  // the first report (0 done) may come again while a long text tokenizes
    std::string note;
    text::TextScan s = text::scanText(
        request,
        [&](std::size_t done, std::size_t total) {
            const auto now = std::chrono::steady_clock::now();
            if (done == 0) {
                if (std::exchange(read, true)) return;
                tokenizing = now;
                const double seconds = std::chrono::duration<double>(now - start).count();
                if (seconds > 1)
                    spdlog::info("'{}': {} samples read in {:.1f} s; tokenizing", source, total,
                                 seconds);
                return;
            }
            const double share = static_cast<double>(done) / static_cast<double>(total);
            if (done < total && share >= logged + 0.1 &&
                std::chrono::duration<double>(now - tokenizing).count() > 2) {
                logged = share;
                spdlog::info("tokenizing '{}': {}/{} samples", source, done, total);
            }
        },
        &note);
    if (!note.empty()) spdlog::info("{}", note);
    spdlog::info("'{}': {} samples {} in {:.2f} s", source, s.size(),
                 s.fromCache ? "from the scan cache" : "scanned",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return s;
}

}  // namespace

Dataset loadTextDataset(const DataOptions& o) {
    const text::TextScan samples = scanLogged(o);
    if (samples.replaced > 0)
        spdlog::warn("{}: {} invalid UTF-8 sequences in {} samples replaced by U+FFFD",
                     samples.origin, samples.replaced, samples.samplesWithReplacements);
    const auto n = static_cast<std::int64_t>(samples.size());
    Carved parts = carveSplits(n, o.testShare, o.valShare, o.splitSeed);
    if (parts.train.size() < 2)
        throw DataError(samples.origin + ": " + std::to_string(n) +
                        " samples leave fewer than 2 for training after data.test_size and "
                        "data.val_share");
    parts.train = limitedSample(parts.train, o.limit, o.splitSeed);

    // The vocabulary from the training part's counts, then every sample through it.
    std::vector<std::int64_t> counts(samples.tokens.size(), 0);
    for (std::int64_t r : parts.train) {
        const auto i = static_cast<std::size_t>(r);
        for (std::uint64_t k = samples.offsets[i]; k < samples.offsets[i + 1]; ++k)
            ++counts[samples.ids[k]];
    }
    std::vector<std::pair<std::string, std::int64_t>> counted;
    for (std::size_t t = 0; t < counts.size(); ++t)
        if (counts[t] > 0) counted.emplace_back(samples.tokens[t], counts[t]);
    const text::Vocabulary vocab = text::Vocabulary::fromCounts(
        std::move(counted), static_cast<std::size_t>(o.vocabSize), o.minFreq);
    if (vocab.size() < 3)
        throw DataError(fmt::format(
            "{}: no token occurs data.min_freq = {} times in the {} training samples, so the "
            "vocabulary would hold only <pad> and <unk>: lower data.min_freq{}",
            samples.origin, o.minFreq, parts.train.size(),
            o.vocabSize < 3 ? " and raise data.vocab_size" : ""));
    std::vector<std::int32_t> remap(samples.tokens.size());
    for (std::size_t t = 0; t < remap.size(); ++t)
        remap[t] = vocab.index(samples.tokens[t]);
    std::vector<std::vector<std::int32_t>> encoded(samples.size());
    std::size_t cut = 0;
    const auto maxLen = static_cast<std::size_t>(o.maxLen);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const std::size_t length = samples.length(i);
        cut += length > maxLen;
        encoded[i].reserve(std::min(length, maxLen));
        for (std::size_t k = 0; k < std::min(length, maxLen); ++k)
            encoded[i].push_back(remap[samples.ids[samples.offsets[i] + k]]);
    }
    if (cut > 0)
        spdlog::info("{}: {} of {} samples are longer than data.max_len = {} tokens and were cut",
                     samples.origin, cut, samples.size(), o.maxLen);

    Dataset d;
    d.text = true;
    d.numClasses = static_cast<int>(samples.classNames.size());
    d.classNames = samples.classNames;
    d.sourceName = samples.name;
    d.vocabulary = vocab.tokens();
    d.sampleShape = {o.maxLen};
    d.train = textSplit(encoded, samples, parts.train);
    d.val = textSplit(encoded, samples, parts.val);
    d.test = textSplit(encoded, samples, parts.test);
    d.mean = 0;
    d.stdev = 1;
    spdlog::info("{}: {} samples, {} classes, a vocabulary of {} {} tokens", samples.origin, n,
                 d.numClasses, d.vocabulary.size(),
                 o.tokens == config::TokenKind::Char ? "char" : "word");
    return d;
}

}  // namespace runboard::engine
