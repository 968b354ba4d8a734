// data.source = folder: the listing and the decoding are engine/images (Torch-free); this makes
// the splits, the uint8 tensors and their per-channel statistics, and the scan's check result.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"
#include "engine/images/scan_cache.h"

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
    r.details.push_back(fmt::format(
        "normalisation (training part, per channel, of pixel / 255): mean {:.4f}, std {:.4f}",
        fmt::join(d.channelMean, " "), fmt::join(d.channelStd, " ")));
    r.details.push_back(fmt::format("{}; fingerprint {} (paths, sizes and modification times)",
                                    images.streamed
                                        ? "streamed from the files (larger than data.cache_mb)"
                                        : "kept in memory as uint8",
                                    d.fingerprint));
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

// The files as this run saw them: FNV-1a over each path, size and modification time. Two runs
// with the same fingerprint read the same bytes (short of a rewrite that keeps both).
std::string folderFingerprint(const FolderListing& listing) {
    std::uint64_t h = 14695981039346656037ull;
    const auto mix = [&h](std::string_view bytes) {
        for (unsigned char ch : bytes) {
            h ^= ch;
            h *= 1099511628211ull;
        }
    };
    for (const FolderFile& f : listing.files) {
        const auto stamp = fileStamp((std::filesystem::path(listing.root) / f.path).string());
        mix(f.path);
        mix(fmt::format("\n{} {}\n", stamp ? stamp->first : -1, stamp ? stamp->second : -1));
    }
    return fmt::format("{:016x}", h);
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
    decode.cacheDir = defaultScanCacheDir();
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

    const FolderParts parts =
        folderParts(listing, images, {o.testShare, o.valShare, o.splitSeed, o.limit});
    const std::vector<std::int64_t>&train = parts.train, &val = parts.val, &test = parts.test;
    const auto n = static_cast<std::int64_t>(images.kept.size());
    const std::int64_t c = images.channels, s = images.size;
    std::vector<std::int64_t> labels(images.kept.size()), ids(images.kept.size());
    for (std::size_t k = 0; k < images.kept.size(); ++k) {
        labels[k] = listing.files[images.kept[k]].label;
        ids[k] = listing.files[images.kept[k]].id;
    }
    const torch::Tensor allLabels = torch::tensor(labels, torch::kInt64);
    const torch::Tensor allIds = torch::tensor(ids, torch::kInt64);
    // Cached: one tensor over the decoded block (no copy), and each part's rows from it.
    // Streamed: each part's files, decoded batch by batch.
    torch::Tensor pixels;
    std::shared_ptr<ImageStream> stream;
    if (images.streamed) {
        stream = std::make_shared<ImageStream>();
        stream->listing = listing;
        stream->spec = {&stream->listing, images.size, images.channels, o.workers};
    } else {
        pixels = torch::from_blob(const_cast<std::uint8_t*>(images.pixels.data()), {n, c, s, s},
                                  torch::kUInt8);
    }
    Dataset d;
    d.numClasses = static_cast<int>(listing.classes.size());
    d.classNames = listing.classes;
    d.sampleShape = {c, s, s};
    auto part = [&](const std::vector<std::int64_t>& positions) {
        SplitData split;
        if (positions.empty()) return split;
        const torch::Tensor at = torch::tensor(positions, torch::kInt64);
        if (stream) {
            split.stream = stream;
            for (std::int64_t pos : positions)
                split.files.push_back(images.kept[static_cast<std::size_t>(pos)]);
        } else {
            split.inputs = pixels.index_select(0, at);  // copies: the block is freed on return
        }
        split.labels = allLabels.index_select(0, at);
        split.indices = allIds.index_select(0, at);
        return split;
    };
    d.train = part(train);
    d.val = part(val);
    d.test = part(test);
    // Per-channel statistics of the training part, from the scan's exact integer sums: the same
    // to the last bit whether the pixels are kept or streamed.
    std::vector<std::uint64_t> sum(static_cast<std::size_t>(c)), sq(static_cast<std::size_t>(c));
    for (std::int64_t pos : train)
        for (std::size_t ch = 0; ch < static_cast<std::size_t>(c); ++ch) {
            sum[ch] +=
                images.sums[static_cast<std::size_t>(pos) * static_cast<std::size_t>(c) + ch];
            sq[ch] +=
                images.squares[static_cast<std::size_t>(pos) * static_cast<std::size_t>(c) + ch];
        }
    const double count = static_cast<double>(train.size()) * static_cast<double>(s * s);
    for (std::size_t ch = 0; ch < static_cast<std::size_t>(c); ++ch) {
        const double mean = static_cast<double>(sum[ch]) / 255.0 / count;
        const double meanSq = static_cast<double>(sq[ch]) / (255.0 * 255.0) / count;
        d.channelMean.push_back(mean);
        d.channelStd.push_back(std::sqrt(std::max(meanSq - mean * mean, 1e-12)));
    }
    const auto asTensor = [c](const std::vector<double>& v) {
        return torch::tensor(v, torch::kFloat64).to(torch::kFloat32).view({1, c, 1, 1});
    };
    for (SplitData* split : {&d.train, &d.val, &d.test}) {
        split->pixelMean = asTensor(d.channelMean);
        split->pixelStd = asTensor(d.channelStd);
    }
    d.fingerprint = folderFingerprint(listing);
    d.loadChecks.push_back(scanCheck(listing, images, d));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info(
        "image folder '{}': {} classes, {} images as {}x{}x{} in {:.1f} s ({} decoded, {} from "
        "the scan cache, {} quarantined){}; channel mean {:.4f}, std {:.4f}",
        o.dir, d.numClasses, n, c, s, s, seconds, images.decodedFiles, images.cachedFiles,
        images.quarantined.size(),
        images.streamed ? fmt::format(", streamed: more than data.cache_mb = {}", o.cacheMb) : "",
        fmt::join(d.channelMean, " "), fmt::join(d.channelStd, " "));
    if (!images.cacheNote.empty()) spdlog::warn("{}", images.cacheNote);
    for (const auto& q : images.quarantined)
        spdlog::warn("quarantined '{}': {}", q.path, q.reason);
    return d;
}

}  // namespace runboard::engine
