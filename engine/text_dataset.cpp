// data.source = text: samples read by engine/text/text_source, split like a table's rows,
// tokenized, and encoded with a vocabulary of the training part only.

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "engine/data/splits.h"
#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/text/text_source.h"
#include "engine/text/tokens.h"
#include "engine/text/vocabulary.h"

namespace runboard::engine {

namespace {

// Token ids [N, L] (L the longest sample of the part, at most maxLen) padded with 0.
SplitData textSplit(const std::vector<std::vector<std::int32_t>>& encoded,
                    const text::TextSamples& samples, const std::vector<std::int64_t>& rows) {
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
        s.labels[i] = samples.labels[r];
        s.indices[i] = static_cast<std::int64_t>(r);
    }
    return s;
}

}  // namespace

Dataset loadTextDataset(const DataOptions& o) {
    const bool table = !o.path.empty();
    const text::TextSamples samples =
        table ? text::readTextTable(o.path, o.text, o.label) : text::readTextFolder(o.dir);
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

    const auto mode =
        o.tokens == config::TokenKind::Char ? text::TokenMode::Char : text::TokenMode::Word;
    std::vector<std::vector<std::string>> tokens(samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
        tokens[i] = text::tokenize(samples.texts[i], mode);
        if (tokens[i].empty())
            throw DataError(samples.origin + ": " + samples.where[i] +
                            ": the text has no tokens (only spaces?)");
    }
    std::vector<std::vector<std::string>> training;
    training.reserve(parts.train.size());
    for (std::int64_t r : parts.train)
        training.push_back(tokens[static_cast<std::size_t>(r)]);
    const text::Vocabulary vocab =
        text::Vocabulary::build(training, static_cast<std::size_t>(o.vocabSize), o.minFreq);
    std::vector<std::vector<std::int32_t>> encoded(samples.size());
    std::size_t cut = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        encoded[i] = vocab.encode(tokens[i], static_cast<std::size_t>(o.maxLen));
        cut += tokens[i].size() > static_cast<std::size_t>(o.maxLen);
    }
    if (cut > 0)
        spdlog::info("{}: {} of {} samples are longer than data.max_len = {} tokens and were cut",
                     samples.origin, cut, samples.size(), o.maxLen);

    Dataset d;
    d.text = true;
    d.numClasses = static_cast<int>(samples.classNames.size());
    d.classNames = samples.classNames;
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
