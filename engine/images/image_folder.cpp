// The scan of a listed image folder (decodeImages: headers, then pixels, with the scan cache) and
// the gallery's view of it. The listing itself is in folder_listing.cpp, the decoding in
// decode.cpp.

#include "engine/images/image_folder.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "engine/errors.h"
#include "engine/images/decode.h"
#include "engine/images/scan_cache.h"

namespace runboard::engine {

namespace fs = std::filesystem;

namespace {

// Per channel, the sum of an image's pixels and of their squares.
void pixelSums(const std::uint8_t* image, int size, int channels, std::uint64_t* sums,
               std::uint64_t* squares) {
    const auto plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
    for (int c = 0; c < channels; ++c) {
        std::uint64_t s = 0, q = 0;
        const std::uint8_t* p = image + static_cast<std::size_t>(c) * plane;
        for (std::size_t i = 0; i < plane; ++i) {
            s += p[i];
            q += static_cast<std::uint64_t>(p[i]) * p[i];
        }
        sums[c] = s;
        squares[c] = q;
    }
}

}  // namespace

DecodedImages decodeImages(const FolderListing& listing, const DecodeOptions& o,
                           std::size_t maxBytes, const DecodeProgress& progress,
                           const std::atomic<bool>* stop) {
    const std::size_t n = listing.files.size();
    auto full = [&](std::size_t i) {
        return (fs::path(listing.root) / listing.files[i].path).string();
    };
    DecodedImages out;
    // The last scan of this folder, and which of its records still describe each file.
    const std::string cachePath = o.cacheDir.empty()
                                      ? std::string()
                                      : scanCachePath(o.cacheDir, listing.root, o.size, o.channels);
    std::optional<ScanCache> cache;
    if (!cachePath.empty()) cache = readScanCache(cachePath, out.cacheNote);
    std::vector<std::pair<std::int64_t, std::int64_t>> stamps(n, {-1, -1});
    std::vector<const ScanRecord*> previous(n, nullptr);
    {
        std::unordered_map<std::string_view, const ScanRecord*> byPath;
        if (cache)
            for (const ScanRecord& r : cache->records)
                byPath.emplace(r.path, &r);
        parallelFor(
            n, o.threads,
            [&](std::size_t i) {
                if (const auto s = fileStamp(full(i))) stamps[i] = *s;
                const auto it = byPath.find(listing.files[i].path);
                if (it != byPath.end() && stamps[i].first >= 0 &&
                    it->second->bytes == stamps[i].first && it->second->mtimeNs == stamps[i].second)
                    previous[i] = it->second;
            },
            {}, stop);
    }

    // Pass 1: the headers (sizes, gray or colour) and the files that cannot even be opened.
    std::vector<ImageHeader> headers(n);
    auto halfProgress = [&](std::size_t done, std::size_t) {
        if (progress) progress(done / 2, n);
    };
    parallelFor(
        n, o.threads,
        [&](std::size_t i) {
            if (const ScanRecord* r = previous[i]) {
                headers[i] = {r->width, r->height, r->gray, r->error};
                return;
            }
            try {
                headers[i] = readImageHeader(full(i));
            } catch (const std::exception& e) {
                headers[i].error = e.what();
            }
        },
        halfProgress, stop);
    std::vector<int> shorter;
    bool allGray = true;
    std::map<std::string, std::size_t> sizes;
    for (const ImageHeader& h : headers)
        if (h.error.empty() && h.width > 0) {
            shorter.push_back(std::min(h.width, h.height));
            allGray = allGray && h.gray;
            ++sizes[fmt::format("{}x{} {}", h.width, h.height, h.gray ? "gray" : "colour")];
        }
    if (shorter.empty())
        throw DataError("image folder '" + listing.root + "': none of its " + std::to_string(n) +
                        " image files can be decoded (" +
                        (n > 0 ? listing.files[0].path + ": " + headers[0].error : "") + ")");
    std::nth_element(shorter.begin(), shorter.begin() + static_cast<long>(shorter.size() / 2),
                     shorter.end());
    out.size = o.size > 0 ? o.size : std::clamp(shorter[shorter.size() / 2], 8, kMaxAutoImageSize);
    out.channels = o.channels > 0 ? o.channels : (allGray ? 1 : 3);
    std::vector<std::pair<std::string, std::size_t>> bySize(sizes.begin(), sizes.end());
    std::stable_sort(bySize.begin(), bySize.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [what, count] : bySize)
        out.sizesSeen.push_back(what + ": " + std::to_string(count));

    // Pass 2: decode each file (or take it from the cache) into its slot when the pixels fit in
    // memory, or into a scratch image when they do not (the loader streams them): either way
    // every file is decoded once, so a bad one is quarantined now, and its sums are known.
    const std::size_t bytes = out.imageBytes();
    const auto channels = static_cast<std::size_t>(out.channels);
    out.streamed = bytes * shorter.size() > maxBytes;
    const bool cacheMatches = cache && cache->size == out.size && cache->channels == out.channels;
    std::vector<std::uint8_t> pixels(out.streamed ? 0 : bytes * n);
    std::vector<std::uint64_t> sums(channels * n), squares(channels * n);
    std::vector<std::string> errors(n, "not decoded: the scan was stopped");
    std::vector<char> reused(n, 0);
    parallelFor(
        n, o.threads,
        [&](std::size_t i) {
            if (!headers[i].error.empty()) {
                errors[i] = headers[i].error;
                return;
            }
            const ScanRecord* r = cacheMatches ? previous[i] : nullptr;
            if (r != nullptr && r->decoded && (out.streamed || r->pixelIndex >= 0)) {
                if (!out.streamed)
                    std::copy_n(
                        cache->pixels.data() + static_cast<std::size_t>(r->pixelIndex) * bytes,
                        bytes, pixels.data() + i * bytes);
                std::copy_n(r->sums.data(), channels, sums.data() + i * channels);
                std::copy_n(r->squares.data(), channels, squares.data() + i * channels);
                errors[i].clear();
                reused[i] = 1;
                return;
            }
            thread_local std::vector<std::uint8_t> scratch;
            std::uint8_t* slot = pixels.data() + i * bytes;
            if (out.streamed) {
                scratch.resize(bytes);
                slot = scratch.data();
            }
            try {
                errors[i] = decodeImageInto(full(i), out.size, out.channels, slot);
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
            if (errors[i].empty())
                pixelSums(slot, out.size, out.channels, sums.data() + i * channels,
                          squares.data() + i * channels);
        },
        [&](std::size_t done, std::size_t) {
            if (progress) progress(n / 2 + done / 2, n);
        },
        stop);
    const bool stopped = stop != nullptr && stop->load(std::memory_order_relaxed);
    ScanCache next;
    next.size = out.size;
    next.channels = out.channels;
    for (std::size_t i = 0; i < n; ++i) {
        ScanRecord r;
        r.path = listing.files[i].path;
        std::tie(r.bytes, r.mtimeNs) = stamps[i];
        r.width = headers[i].width;
        r.height = headers[i].height;
        r.gray = headers[i].gray;
        r.error = errors[i];
        if (reused[i])
            ++out.cachedFiles;
        else if (headers[i].error.empty() || previous[i] == nullptr)
            ++out.decodedFiles;
        if (!errors[i].empty()) {
            out.quarantined.push_back({listing.files[i].path, errors[i]});
            if (stamps[i].first >= 0) next.records.push_back(std::move(r));
            continue;
        }
        const std::size_t k = out.kept.size();
        if (!out.streamed && k != i)
            std::copy_n(pixels.begin() + static_cast<long>(i * bytes), bytes,
                        pixels.begin() + static_cast<long>(k * bytes));
        std::copy_n(sums.begin() + static_cast<long>(i * channels), channels,
                    sums.begin() + static_cast<long>(k * channels));
        std::copy_n(squares.begin() + static_cast<long>(i * channels), channels,
                    squares.begin() + static_cast<long>(k * channels));
        r.decoded = true;
        r.sums.assign(sums.begin() + static_cast<long>(k * channels),
                      sums.begin() + static_cast<long>((k + 1) * channels));
        r.squares.assign(squares.begin() + static_cast<long>(k * channels),
                         squares.begin() + static_cast<long>((k + 1) * channels));
        r.pixelIndex = out.streamed ? -1 : static_cast<std::int64_t>(k);
        if (stamps[i].first >= 0) next.records.push_back(std::move(r));
        out.kept.push_back(i);
    }
    pixels.resize(out.kept.size() * bytes);
    sums.resize(out.kept.size() * channels);
    squares.resize(out.kept.size() * channels);
    out.sums = std::move(sums);
    out.squares = std::move(squares);
    // Written when anything changed (and the scan ran to its end); the pixels go in only when
    // they are kept, so a streamed folder's cache is its records alone.
    if (!cachePath.empty() && !stopped) {
        if (out.decodedFiles > 0 || !cacheMatches || next.records.size() != cache->records.size()) {
            cache.reset();  // its pixels are copied already: free them before writing
            if (!out.streamed) next.pixels = std::move(pixels);
            const std::string problem = writeScanCache(cachePath, next);
            if (!problem.empty()) out.cacheNote = "the scan could not be cached: " + problem;
            if (!out.streamed) pixels = std::move(next.pixels);
        } else {
            touchScanCache(cachePath);
        }
    }
    if (!out.streamed) {
        pixels.shrink_to_fit();
        out.pixels = std::move(pixels);
    }
    return out;
}

namespace {

class FolderImages : public SampleImages {
public:
    explicit FolderImages(const std::string& root) : listing_(listImageFolder(root)) {
        std::uint32_t h = 2166136261u;  // FNV-1a over the file list
        for (std::size_t i = 0; i < listing_.files.size(); ++i) {
            byId_.emplace(listing_.files[i].id, i);
            for (unsigned char c : listing_.files[i].path + '\n') {
                h ^= c;
                h *= 16777619u;
            }
        }
        name_ = fmt::format("{}#{:08x}", fs::path(root).lexically_normal().filename().string(), h);
        if (name_.starts_with('#'))  // "photos/" has an empty last component
            name_.insert(0, fs::path(root).lexically_normal().parent_path().filename().string());
    }

    std::int64_t count(FilePart) const override {
        return static_cast<std::int64_t>(listing_.files.size());
    }

    // The gallery asks for a cell's image at every repaint, on the GUI thread: each file is
    // decoded once and kept (up to kCached images, then the cache starts over).
    SampleImage image(FilePart, std::int64_t id) const override {
        {
            std::lock_guard lock(mutex_);
            if (const auto hit = decoded_.find(id); hit != decoded_.end()) return hit->second;
        }
        SampleImage out = decode(id);
        std::lock_guard lock(mutex_);
        if (decoded_.size() >= kCached) decoded_.clear();
        decoded_.emplace(id, out);
        return out;
    }

    std::string describe(FilePart, std::int64_t id) const override {
        const auto it = byId_.find(id);
        return it == byId_.end() ? SampleImages::describe(FilePart::Train, id)
                                 : listing_.files[it->second].path;
    }

    const std::vector<std::string>& classNames() const override { return listing_.classes; }
    const std::string& name() const override { return name_; }

private:
    static constexpr std::size_t kCached = 4096;  // 4096 images of 64x64 RGB: 50 MB

    SampleImage decode(std::int64_t id) const {
        const auto it = byId_.find(id);
        if (it == byId_.end()) return {};
        return decodeWholeImage(
            (fs::path(listing_.root) / listing_.files[it->second].path).string(), 512);
    }

    FolderListing listing_;
    std::unordered_map<std::int64_t, std::size_t> byId_;
    std::string name_;
    mutable std::mutex mutex_;
    mutable std::unordered_map<std::int64_t, SampleImage> decoded_;
};

}  // namespace

std::unique_ptr<SampleImages> openFolderImages(const std::string& root) {
    return std::make_unique<FolderImages>(root);
}

}  // namespace runboard::engine
