// The checks that read a loaded dataset's tensors: duplicates across parts, class balance and
// drift (engine/data/data_checks.h on the tensors), and data.preprocessing.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "engine/check_hooks.h"
#include "engine/checks.h"
#include "engine/data/data_checks.h"
#include "engine/dataset.h"

namespace runboard::engine {

// The same data checks on a loaded dataset's tensors (tables: the standardised features, so the
// statistics say how far validation and test drift from the training part, in its stds).
std::vector<CheckResult> tensorDataChecks(const Dataset& d) {
    if (d.train.streamed()) {
        // Duplicates across parts and the parts' statistics need every pixel in memory at once.
        CheckResult r;
        r.name = "data.leakage";
        r.status = CheckStatus::Warn;
        r.message =
            "not checked: the folder is streamed from its files (its pixels need more than "
            "data.cache_mb), and the duplicate and distribution checks read every pixel at once; "
            "raise data.cache_mb to run them";
        return {r};
    }
    struct Part {
        const char* name;
        const SplitData* data;
        torch::Tensor inputs;
        std::vector<std::int64_t> ids;
        SampleArray samples;
        SplitView view;
    };
    std::vector<Part> parts;
    for (auto [name, split] : {std::pair{"train", &d.train}, {"val", &d.val}, {"test", &d.test}})
        if (split->size() > 0) parts.push_back({name, split, {}, {}, {}, {}});
    // Text: token ids, each part padded to its own longest sample: compared at one width.
    std::int64_t textWidth = 0;
    for (const Part& p : parts)
        if (d.text) textWidth = std::max(textWidth, p.data->inputs.size(1));
    std::vector<SplitStats> stats;
    for (Part& p : parts) {
        const bool pixels = p.data->inputs.scalar_type() == torch::kUInt8;
        p.inputs = p.data->inputs.to(pixels ? torch::kUInt8 : torch::kFloat32).contiguous();
        if (d.text)
            p.inputs =
                torch::constant_pad_nd(p.inputs, {0, textWidth - p.inputs.size(1)}).contiguous();
        const auto n = static_cast<std::size_t>(p.data->size());
        const std::int64_t* ids = p.data->indices.data_ptr<std::int64_t>();
        const std::int64_t* labels = p.data->labels.data_ptr<std::int64_t>();
        p.ids.assign(ids, ids + n);
        const auto width = static_cast<std::size_t>(p.inputs.numel()) / n;
        std::vector<std::int64_t> y(labels, labels + n);
        p.samples =
            pixels ? SampleArray::pixels(p.inputs.data_ptr<std::uint8_t>(), n, width, std::move(y))
                   : SampleArray::features(p.inputs.data_ptr<float>(), n, width, std::move(y));
        p.view = SplitView{p.name, &p.samples, {}, &p.ids};
        for (std::size_t i = 0; i < n; ++i)
            p.view.indices.push_back(static_cast<std::int64_t>(i));
        stats.push_back(splitStats(p.view, d.numClasses));
    }
    std::vector<CheckResult> out;
    for (std::size_t k = 1; k < parts.size(); ++k)
        out.push_back(leakageCheck(parts.front().view, parts[k].view));
    out.push_back(balanceCheck(stats));
    if (!d.text) out.push_back(statsCheck(stats));  // token ids have no distribution to compare
    return out;
}

// Text: every part went through the same tokenizer and the training part's vocabulary, so what
// can differ is how much of validation and test the vocabulary knows. Far more <unk> there than
// in training means other text (another language, other encoding) or a vocabulary cut too short.
static CheckResult textPreprocessingCheck(const Dataset& d) {
    const auto unkShare = [](const SplitData& s) {
        const double tokens = s.lengths.sum().item<double>();
        return tokens > 0 ? s.inputs.eq(1).sum().item<double>() / tokens : 0.0;
    };
    const double train = unkShare(d.train);
    CheckResult r = checkResult("data.preprocessing", CheckStatus::Pass, train, "");
    r.details.push_back(fmt::format("train: {:.1f}% <unk> tokens, a vocabulary of {}", 100 * train,
                                    d.vocabulary.size()));
    std::vector<std::string> problems;
    for (auto [name, split] : {std::pair{"val", &d.val}, {"test", &d.test}}) {
        if (split->size() == 0) continue;
        const double share = unkShare(*split);
        r.details.push_back(fmt::format("{}: {:.1f}% <unk> tokens", name, 100 * share));
        // Training's own share is 0 unless the vocabulary was cut: held-out text always has
        // words training never saw (8% of fortunes' validation words). A quarter is another text.
        if (share > std::max(0.25, 3 * train))
            problems.push_back(
                fmt::format("{:.0f}% of {}'s tokens are <unk> against {:.0f}% of "
                            "training's",
                            100 * share, name, 100 * train));
    }
    if (problems.empty()) {
        r.message =
            fmt::format("every part tokenized alike; {:.1f}% <unk> in training", 100 * train);
    } else {
        r.status = CheckStatus::Warn;
        r.message = fmt::format(
            "{}: other text than training's, or raise data.vocab_size or lower "
            "data.min_freq",
            fmt::join(problems, "; "));
    }
    return r;
}

// data.preprocessing: validation and test go through the training pipeline minus augmentation.
// Each part's model inputs (evenly spread samples, as evaluation reads them) must have the
// training part's shape, be normalised with the training part's statistics, come out the same
// on a second read (no random transform reaches evaluation), and land near the training part's
// mean and spread after normalisation.

CheckResult preprocessingCheck(const Dataset& d) {
    if (d.text) return textPreprocessingCheck(d);
    const auto spread = [](const SplitData& s) {
        const std::int64_t k = std::min<std::int64_t>(256, s.size());
        return s.batch(torch::linspace(0, static_cast<double>(s.size() - 1), k).to(torch::kInt64));
    };
    const torch::Tensor train = spread(d.train);
    const double trainMean = train.mean().item<double>(), trainStd = train.std().item<double>();
    auto shape = [](const torch::Tensor& x) {
        return fmt::format("{}", fmt::join(x.sizes().slice(1), "x"));
    };
    CheckResult r = checkResult("data.preprocessing", CheckStatus::Pass, 0, "");
    r.details.push_back(fmt::format("train: {} inputs, mean {:.3f}, std {:.3f} after normalisation",
                                    shape(train), trainMean, trainStd));
    std::vector<std::string> problems;
    for (auto [name, split] : {std::pair{"val", &d.val}, {"test", &d.test}}) {
        if (split->size() == 0) continue;
        const torch::Tensor x = spread(*split);
        const double mean = x.mean().item<double>(), stdev = x.std().item<double>();
        r.details.push_back(
            fmt::format("{}: {} inputs, mean {:.3f}, std {:.3f} after normalisation", name,
                        shape(x), mean, stdev));
        if (x.sizes().slice(1) != train.sizes().slice(1)) {
            problems.push_back(
                fmt::format("{} inputs are {}, training's {}", name, shape(x), shape(train)));
            continue;
        }
        if (!torch::equal(x, spread(*split)))
            problems.push_back(fmt::format(
                "{} inputs differ between two reads: a random transform reaches evaluation", name));
        if (split->pixelMean.defined() && (!torch::equal(split->pixelMean, d.train.pixelMean) ||
                                           !torch::equal(split->pixelStd, d.train.pixelStd)))
            problems.push_back(fmt::format(
                "{} is normalised with other statistics than the training part's", name));
        if (std::abs(mean - trainMean) > 0.5 * trainStd || stdev < 0.5 * trainStd ||
            stdev > 2 * trainStd)
            problems.push_back(fmt::format(
                "{} after normalisation has mean {:.3f} and std {:.3f} against training's {:.3f} "
                "and {:.3f}: another source, or preprocessed differently?",
                name, mean, stdev, trainMean, trainStd));
    }
    r.value = static_cast<double>(problems.size());
    if (problems.empty()) {
        r.message =
            "validation and test inputs are the training pipeline's without augmentation: "
            "same shape, same normalisation, the same on every read";
    } else {
        r.status = CheckStatus::Warn;
        r.message = fmt::format("{}", fmt::join(problems, "; "));
    }
    return r;
}

}  // namespace runboard::engine
