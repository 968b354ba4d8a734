// data.source = folder: the listing and the decoding are engine/images (Torch-free); this makes
// the splits, the uint8 tensors and their per-channel statistics, and the scan's check result.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>

#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"

namespace runboard::engine {
namespace {

// What the scan found, as the checklist shows it: counts per class and part, the sizes seen,
// and every quarantined file with its reason (a warning; the run goes on without them).
CheckResult scanCheck(const FolderListing& listing, const DecodedImages& images, const Dataset& d) {
    CheckResult r;
    r.name = "data.scan";
    r.value = static_cast<double>(images.quarantined.size());
    for (auto [name, split] : {std::pair{"train", &d.train}, {"val", &d.val}, {"test", &d.test}}) {
        if (split->size() == 0) continue;
        const auto counts = torch::bincount(split->labels, {}, d.numClasses);
        std::string line = fmt::format("{} ({}):", name, split->size());
        for (int k = 0; k < d.numClasses; ++k)
            line.append(fmt::format(" {} {}", d.classNames[static_cast<std::size_t>(k)],
                                    counts[k].item<std::int64_t>()));
        r.details.push_back(std::move(line));
    }
    r.details.push_back(fmt::format(
        "decoded as {}x{}x{}; sizes seen: {}", images.channels, images.size, images.size,
        fmt::join(
            images.sizesSeen.begin(),
            images.sizesSeen.begin() +
                std::min<std::ptrdiff_t>(5, static_cast<std::ptrdiff_t>(images.sizesSeen.size())),
            ", ")));
    for (const auto& q : images.quarantined)
        r.details.push_back("quarantined: " + q.path + ": " + q.reason);
    for (const auto& s : listing.skipped)
        r.details.push_back("skipped: " + s);
    const std::size_t total = listing.files.size();
    if (images.quarantined.empty()) {
        r.message = fmt::format("{} images in {} classes, every one decoded", total,
                                listing.classes.size());
    } else {
        r.status = CheckStatus::Warn;
        r.message = fmt::format(
            "{} of {} images cannot be decoded and are left out (quarantined; see details): "
            "first {}: {}",
            images.quarantined.size(), total, images.quarantined.front().path,
            images.quarantined.front().reason);
    }
    if (!listing.skipped.empty())
        r.message.append(fmt::format("; {} other entries skipped", listing.skipped.size()));
    return r;
}

}  // namespace

Dataset loadFolderDataset(const DataOptions& o,
                          const std::function<void(std::size_t, std::size_t)>& progress) {
    const auto start = std::chrono::steady_clock::now();
    const FolderListing listing = listImageFolder(o.dir);
    DecodeOptions decode;
    decode.size = o.imageSize;
    decode.channels = o.channels == config::Channels::Gray  ? 1
                      : o.channels == config::Channels::Rgb ? 3
                                                            : 0;
    decode.threads = o.workers;
    // Without a progress callback, a log line about every 10%.
    std::size_t logged = 0;
    const DecodeProgress report =
        progress ? DecodeProgress(progress) : [&](std::size_t done, std::size_t total) {
            if (done < total && done < logged + total / 10) return;
            logged = done;
            spdlog::info("scanning '{}': {}/{} files", o.dir, done, total);
        };
    const DecodedImages images =
        decodeImages(listing, decode, static_cast<std::size_t>(o.cacheMb) << 20, report, nullptr);

    // The decoded files of each part, by position in images.kept.
    std::vector<std::int64_t> train, val, test, all;
    for (std::size_t k = 0; k < images.kept.size(); ++k) {
        const auto pos = static_cast<std::int64_t>(k);
        switch (listing.files[images.kept[k]].part) {
            case FolderPart::Train:
                train.push_back(pos);
                break;
            case FolderPart::Val:
                val.push_back(pos);
                break;
            case FolderPart::Test:
                test.push_back(pos);
                break;
            case FolderPart::All:
                all.push_back(pos);
                break;
        }
    }
    auto pick = [](const std::vector<std::int64_t>& from, const std::vector<std::int64_t>& at) {
        std::vector<std::int64_t> out;
        for (std::int64_t i : at)
            out.push_back(from[static_cast<std::size_t>(i)]);
        return out;
    };
    if (!listing.presplit) {
        const Carved c = carveSplits(static_cast<std::int64_t>(all.size()), o.testShare, o.valShare,
                                     o.splitSeed);
        train = pick(all, c.train), val = pick(all, c.val), test = pick(all, c.test);
    } else if (val.empty() || test.empty()) {
        // train/ alone, or with only one of val/ and test/: the other is carved from train/.
        const Carved c =
            carveSplits(static_cast<std::int64_t>(train.size()), test.empty() ? o.testShare : 0.0,
                        val.empty() ? o.valShare : 0.0, o.splitSeed);
        if (val.empty()) val = pick(train, c.val);
        if (test.empty()) test = pick(train, c.test);
        train = pick(train, c.train);
    }
    // A class whose every training file was quarantined cannot be learned.
    std::vector<std::int64_t> perClass(listing.classes.size(), 0);
    for (std::int64_t pos : train)
        ++perClass[static_cast<std::size_t>(
            listing.files[images.kept[static_cast<std::size_t>(pos)]].label)];
    for (std::size_t k = 0; k < perClass.size(); ++k) {
        if (perClass[k] > 0) continue;
        std::string message = "image folder '" + o.dir + "': class '" + listing.classes[k] +
                              "' has no training image that can be decoded";
        if (!images.quarantined.empty())
            message.append(fmt::format(" ({} files quarantined, the first {}: {})",
                                       images.quarantined.size(), images.quarantined.front().path,
                                       images.quarantined.front().reason));
        throw DataError(message);
    }
    train = limitedSample(train, o.limit, o.splitSeed);
    if (train.size() < 2 || test.empty())
        throw DataError("image folder '" + o.dir + "': " + std::to_string(images.kept.size()) +
                        " decodable images leave " + std::to_string(train.size()) +
                        " for training and " + std::to_string(test.size()) +
                        " for test; a classifier needs more");

    const auto n = static_cast<std::int64_t>(images.kept.size());
    const std::int64_t c = images.channels, s = images.size;
    // One tensor over the decoded block (no copy), and each part's rows from it.
    const torch::Tensor pixels = torch::from_blob(const_cast<std::uint8_t*>(images.pixels.data()),
                                                  {n, c, s, s}, torch::kUInt8);
    std::vector<std::int64_t> labels(images.kept.size()), ids(images.kept.size());
    for (std::size_t k = 0; k < images.kept.size(); ++k) {
        labels[k] = listing.files[images.kept[k]].label;
        ids[k] = listing.files[images.kept[k]].id;
    }
    const torch::Tensor allLabels = torch::tensor(labels, torch::kInt64);
    const torch::Tensor allIds = torch::tensor(ids, torch::kInt64);
    Dataset d;
    d.numClasses = static_cast<int>(listing.classes.size());
    d.classNames = listing.classes;
    d.sampleShape = {c, s, s};
    auto part = [&](const std::vector<std::int64_t>& positions) {
        SplitData split;
        if (positions.empty()) return split;
        const torch::Tensor at = torch::tensor(positions, torch::kInt64);
        split.inputs = pixels.index_select(0, at);  // copies: the block is freed on return
        split.labels = allLabels.index_select(0, at);
        split.indices = allIds.index_select(0, at);
        return split;
    };
    d.train = part(train);
    d.val = part(val);
    d.test = part(test);
    // Per-channel statistics of the training part, in chunks (a float copy of all would be 4x
    // the pixels).
    torch::Tensor sum = torch::zeros({c}, torch::kFloat64), sq = torch::zeros({c}, torch::kFloat64);
    for (std::int64_t b = 0; b < d.train.size(); b += 4096) {
        const auto x = d.train.inputs.narrow(0, b, std::min<std::int64_t>(4096, d.train.size() - b))
                           .to(torch::kFloat64)
                           .div_(255.0);
        sum += x.sum({0, 2, 3});
        sq += x.pow(2).sum({0, 2, 3});
    }
    const double count = static_cast<double>(d.train.size() * s * s);
    const torch::Tensor mean = sum / count;
    const torch::Tensor stdev = (sq / count - mean.pow(2)).clamp_min(1e-12).sqrt();
    for (SplitData* split : {&d.train, &d.val, &d.test}) {
        split->pixelMean = mean.to(torch::kFloat32).view({1, c, 1, 1});
        split->pixelStd = stdev.to(torch::kFloat32).view({1, c, 1, 1});
    }
    d.loadChecks.push_back(scanCheck(listing, images, d));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info(
        "image folder '{}': {} classes, {} images decoded as {}x{}x{} in {:.1f} s ({} "
        "quarantined); channel mean {:.4f}, std {:.4f}",
        o.dir, d.numClasses, n, c, s, s, seconds, images.quarantined.size(),
        fmt::join(std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + c), " "),
        fmt::join(std::vector<double>(stdev.data_ptr<double>(), stdev.data_ptr<double>() + c),
                  " "));
    for (const auto& q : images.quarantined)
        spdlog::warn("quarantined '{}': {}", q.path, q.reason);
    return d;
}

}  // namespace runboard::engine
