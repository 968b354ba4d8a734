#include "engine/images/image_folder.h"

#include <fmt/format.h>

#include <QBuffer>
#include <QByteArray>
#include <QImage>
#include <QImageReader>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "engine/errors.h"

namespace runboard::engine {

namespace fs = std::filesystem;

namespace {

std::string lowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// What no one means as a sample: hidden entries, macOS archive leftovers, Windows thumbnails.
bool isJunk(const std::string& name) {
    const std::string lower = lowerAscii(name);
    return name.starts_with('.') || name == "__MACOSX" || lower == "thumbs.db" ||
           lower == "desktop.ini";
}

std::vector<fs::directory_entry> sortedEntries(const fs::path& dir) {
    std::vector<fs::directory_entry> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec))
        out.push_back(*it);
    if (ec) throw DataError("image folder '" + dir.string() + "' cannot be read: " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.path().filename() < b.path().filename();
    });
    return out;
}

bool isDirectory(const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_directory(ec);
}

std::string relativeTo(const fs::path& p, const fs::path& root) {
    return p.lexically_relative(root).generic_string();
}

// The class folders directly below `dir`; anything else there is skipped.
std::vector<fs::path> classFolders(const fs::path& dir, const fs::path& root,
                                   FolderListing& listing) {
    std::vector<fs::path> out;
    for (const auto& e : sortedEntries(dir)) {
        const std::string name = e.path().filename().string();
        if (isDirectory(e) && !isJunk(name))
            out.push_back(e.path());
        else
            listing.skipped.push_back(relativeTo(e.path(), root) +
                                      (isJunk(name) ? " (hidden or system)" : " (not a class)"));
    }
    return out;
}

// Every image below a class folder, at any depth, sorted by path.
std::vector<std::string> imagesBelow(const fs::path& dir, const fs::path& root,
                                     FolderListing& listing) {
    std::vector<std::string> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (isJunk(name)) {
            if (isDirectory(*it)) it.disable_recursion_pending();
            listing.skipped.push_back(relativeTo(it->path(), root) + " (hidden or system)");
            continue;
        }
        if (isDirectory(*it)) continue;
        if (isImageFileName(name))
            out.push_back(relativeTo(it->path(), root));
        else
            listing.skipped.push_back(relativeTo(it->path(), root) + " (not an image type)");
    }
    if (ec) throw DataError("image folder '" + dir.string() + "' cannot be read: " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

// The split folders Runboard recognises (the first name found of each part is used).
const std::pair<FolderPart, std::vector<const char*>> kSplitNames[] = {
    {FolderPart::Train, {"train", "training"}},
    {FolderPart::Val, {"val", "valid", "validation"}},
    {FolderPart::Test, {"test", "testing"}}};

bool holdsClassFolders(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    for (const auto& e : sortedEntries(dir))
        if (isDirectory(e) && !isJunk(e.path().filename().string())) return true;
    return false;
}

}  // namespace

bool isImageFileName(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    const std::string ext = lowerAscii(name.substr(dot + 1));
    return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "pgm" ||
           ext == "ppm";
}

std::int64_t folderSampleId(std::string_view path) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : path) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return static_cast<std::int64_t>(h & ((std::uint64_t{1} << 53) - 1));
}

FolderListing listImageFolder(const std::string& rootText) {
    const fs::path root(rootText);
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw DataError("image folder '" + rootText + "' does not exist or is not a directory");
    FolderListing listing;
    listing.root = rootText;
    // The split folders: the first of each part's names that exists at the root.
    std::vector<std::pair<FolderPart, fs::path>> parts;
    std::vector<std::string> splitDirs;
    for (const auto& [part, names] : kSplitNames)
        for (const char* name : names)
            if (std::error_code e; fs::is_directory(root / name, e)) {
                splitDirs.push_back(name);
                if (holdsClassFolders(root / name))
                    parts.emplace_back(part, root / name);
                else
                    listing.skipped.push_back(
                        std::string(name) + " (no class folders: unlabelled images are not used)");
                break;
            }
    listing.presplit = !parts.empty() && parts.front().first == FolderPart::Train;
    if (listing.presplit) {
        for (const auto& e : sortedEntries(root)) {
            const std::string name = e.path().filename().string();
            if (std::find(splitDirs.begin(), splitDirs.end(), name) == splitDirs.end())
                listing.skipped.push_back(name + " (not a split folder)");
        }
    } else if (!splitDirs.empty()) {
        // A split folder's name is never a class: without train/ there is no telling.
        throw DataError("image folder '" + rootText + "' has " + splitDirs.front() +
                        "/ but no train/ (or training/) with class folders: put the training "
                        "images in train/<class>/, or the class folders directly in '" +
                        rootText + "'");
    } else {
        parts = {{FolderPart::All, root}};
    }
    for (const auto& [part, dir] : parts) {
        const auto folders = classFolders(dir, root, listing);
        if (part == FolderPart::Train || part == FolderPart::All) {
            for (const auto& f : folders)
                listing.classes.push_back(f.filename().string());
            if (folders.empty())
                throw DataError("image folder '" + dir.string() +
                                "' has no class sub-folders: put each class's images in a "
                                "folder of their own (" +
                                dir.string() + "/cat/1.png, " + dir.string() + "/dog/2.png)");
        }
        for (const auto& folder : folders) {
            const std::string name = folder.filename().string();
            const auto it = std::find(listing.classes.begin(), listing.classes.end(), name);
            if (it == listing.classes.end())
                throw DataError("image folder '" + dir.string() + "' has class '" + name +
                                "', which train/ does not have");
            const auto images = imagesBelow(folder, root, listing);
            if (images.empty() && (part == FolderPart::Train || part == FolderPart::All))
                throw DataError("class folder '" + folder.string() +
                                "' has no images (png, jpg, jpeg, bmp, pgm, ppm): every class "
                                "needs samples");
            for (const auto& path : images)
                listing.files.push_back({path, static_cast<int>(it - listing.classes.begin()), part,
                                         folderSampleId(path)});
        }
    }
    if (listing.classes.size() < 2)
        throw DataError("image folder '" + rootText + "' has one class ('" +
                        listing.classes.front() +
                        "'): a classifier needs at least two class sub-folders");
    return listing;
}

namespace {

// Runs fn(i) for every i in [0, n) on `threads` threads (fn must not throw). With a progress
// callback the calling thread only reports; without, it works as one of the threads.
void parallelFor(std::size_t n, int threads, const std::function<void(std::size_t)>& fn,
                 const DecodeProgress& progress, const std::atomic<bool>* stop) {
    std::atomic<std::size_t> next{0}, done{0};
    const auto stopped = [stop] {
        return stop != nullptr && stop->load(std::memory_order_relaxed);
    };
    const auto work = [&] {
        for (std::size_t i; !stopped() && (i = next.fetch_add(1)) < n;) {
            fn(i);
            done.fetch_add(1, std::memory_order_release);
        }
    };
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    const auto count =
        std::min(static_cast<std::size_t>(std::max(1, threads > 0 ? threads : cores)),
                 std::max<std::size_t>(n, 1));
    {
        std::vector<std::jthread> pool;
        for (std::size_t t = progress ? 0 : 1; t < count; ++t)
            pool.emplace_back(work);
        if (!progress) {
            work();
        } else {
            while (done.load(std::memory_order_acquire) < n && !stopped()) {
                progress(done.load(std::memory_order_acquire), n);
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    }  // joins
    if (progress) progress(done.load(std::memory_order_acquire), n);
}

struct Header {
    int width = 0, height = 0;
    bool gray = false;
    std::string error;  // non-empty: the file is quarantined
};

// The file's bytes and what is wrong with them before decoding, if anything.
QByteArray readBytes(const std::string& path, std::string& error) {
    // By the path's own bytes (QFile's QString names lose bytes that are not UTF-8), regular files
    // only (a FIFO named .png would wait for a writer forever).
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        error = "not a regular file";
        return {};
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        error = "cannot be read: ";
        error.append(std::strerror(errno));
        return {};
    }
    std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (file.bad()) {
        error = "cannot be read: an I/O error";
        return {};
    }
    QByteArray bytes = QByteArray::fromStdString(data);
    if (bytes.isEmpty()) {
        error = "zero bytes";
        return {};
    }
    // libjpeg decodes a truncated JPEG with a warning and grey rows; the end-of-image marker (FF
    // D9) is the one sure sign that the whole file is there.
    if (bytes.startsWith("\xFF\xD8\xFF") &&
        bytes.lastIndexOf(QByteArray("\xFF\xD9", 2)) < bytes.size() - 64 &&
        !bytes.endsWith(QByteArray("\xFF\xD9", 2)))
        error = "truncated JPEG (no end-of-image marker)";
    return bytes;
}

Header readHeader(const std::string& path) {
    Header h;
    QByteArray bytes = readBytes(path, h.error);
    if (!h.error.empty()) return h;
    QBuffer buffer(&bytes);
    QImageReader reader(&buffer);
    const QSize size = reader.size();
    if (!reader.canRead() || !size.isValid()) {
        h.error = "not an image Qt can decode (" + reader.errorString().toStdString() + ")";
        return h;
    }
    h.width = size.width();
    h.height = size.height();
    const QImage::Format f = reader.imageFormat();
    h.gray = f == QImage::Format_Grayscale8 || f == QImage::Format_Grayscale16 ||
             f == QImage::Format_Mono || f == QImage::Format_MonoLSB;
    return h;
}

// Decodes one file into `out` (channels x size x size); an error message when it cannot.
std::string decodeInto(const std::string& path, int size, int channels, std::uint8_t* out) {
    std::string error;
    QByteArray bytes = readBytes(path, error);
    if (!error.empty()) return error;
    QBuffer buffer(&bytes);
    QImageReader reader(&buffer);
    const QSize native = reader.size();
    if (!native.isValid()) return "not an image Qt can decode";
    // The centred square of the original, then scaled to `size`: the same as scaling the
    // shorter side to `size` and cropping, without ever making a 6400000x64 image of a 100000x1.
    const int side = std::min(native.width(), native.height());
    if (side != native.width() || side != native.height())
        reader.setClipRect(
            QRect((native.width() - side) / 2, (native.height() - side) / 2, side, side));
    if (side != size) reader.setScaledSize(QSize(size, size));
    QImage image = reader.read();
    if (image.isNull()) return "cannot be decoded: " + reader.errorString().toStdString();
    if (image.width() != size || image.height() != size)
        image = image.scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    image =
        image.convertToFormat(channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    const auto plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
    for (int y = 0; y < size; ++y) {
        const uchar* line = image.constScanLine(y);
        for (int x = 0; x < size; ++x) {
            const std::size_t at = static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                                   static_cast<std::size_t>(x);
            for (int c = 0; c < channels; ++c)
                out[static_cast<std::size_t>(c) * plane + at] = line[x * channels + c];
        }
    }
    return {};
}

}  // namespace

DecodedImages decodeImages(const FolderListing& listing, const DecodeOptions& o,
                           std::size_t maxBytes, const DecodeProgress& progress,
                           const std::atomic<bool>* stop) {
    const std::size_t n = listing.files.size();
    auto full = [&](std::size_t i) {
        return (fs::path(listing.root) / listing.files[i].path).string();
    };
    // Pass 1: the headers (sizes, gray or colour) and the files that cannot even be opened.
    std::vector<Header> headers(n);
    auto halfProgress = [&](std::size_t done, std::size_t) {
        if (progress) progress(done / 2, n);
    };
    parallelFor(
        n, o.threads,
        [&](std::size_t i) {
            try {
                headers[i] = readHeader(full(i));
            } catch (const std::exception& e) {
                headers[i].error = e.what();
            }
        },
        halfProgress, stop);
    DecodedImages out;
    std::vector<int> shorter;
    bool allGray = true;
    std::map<std::string, std::size_t> sizes;
    for (const Header& h : headers)
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
    out.size = o.size > 0 ? o.size : std::clamp(shorter[shorter.size() / 2], 8, 128);
    out.channels = o.channels > 0 ? o.channels : (allGray ? 1 : 3);
    std::vector<std::pair<std::string, std::size_t>> bySize(sizes.begin(), sizes.end());
    std::stable_sort(bySize.begin(), bySize.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [what, count] : bySize)
        out.sizesSeen.push_back(what + ": " + std::to_string(count));

    const std::size_t bytes = out.imageBytes();
    if (bytes * shorter.size() > maxBytes)
        throw DataError(
            fmt::format("image folder '{}': {} images of {}x{}x{} need {} MB in memory, more than "
                        "data.cache_mb "
                        "= {}; lower data.image_size or raise data.cache_mb",
                        listing.root, shorter.size(), out.channels, out.size, out.size,
                        (bytes * shorter.size() + (1 << 20) - 1) >> 20, maxBytes >> 20));
    // Pass 2: decode into each file's slot, then keep the good ones in order.
    std::vector<std::uint8_t> pixels(bytes * n);
    std::vector<std::string> errors(n, "not decoded: the scan was stopped");
    parallelFor(
        n, o.threads,
        [&](std::size_t i) {
            try {
                errors[i] = headers[i].error.empty() ? decodeInto(full(i), out.size, out.channels,
                                                                  pixels.data() + i * bytes)
                                                     : headers[i].error;
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        },
        [&](std::size_t done, std::size_t) {
            if (progress) progress(n / 2 + done / 2, n);
        },
        stop);
    for (std::size_t i = 0; i < n; ++i) {
        if (!errors[i].empty()) {
            out.quarantined.push_back({listing.files[i].path, errors[i]});
            continue;
        }
        if (out.kept.size() != i)
            std::copy_n(pixels.begin() + static_cast<long>(i * bytes), bytes,
                        pixels.begin() + static_cast<long>(out.kept.size() * bytes));
        out.kept.push_back(i);
    }
    pixels.resize(out.kept.size() * bytes);
    pixels.shrink_to_fit();
    out.pixels = std::move(pixels);
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
        std::string error;
        QByteArray bytes =
            readBytes((fs::path(listing_.root) / listing_.files[it->second].path).string(), error);
        if (!error.empty()) return {};
        QBuffer buffer(&bytes);
        QImageReader reader(&buffer);
        const QSize size = reader.size();
        if (size.isValid() && std::max(size.width(), size.height()) > 512)
            reader.setScaledSize(size.scaled(512, 512, Qt::KeepAspectRatio));
        QImage image = reader.read();
        if (image.isNull()) return {};
        const bool gray = image.isGrayscale();
        image = image.convertToFormat(gray ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
        SampleImage out;
        out.width = image.width();
        out.height = image.height();
        out.channels = gray ? 1 : 3;
        const auto line = static_cast<std::size_t>(out.width * out.channels);
        out.pixels.resize(line * static_cast<std::size_t>(out.height));
        for (int y = 0; y < out.height; ++y)
            std::copy_n(image.constScanLine(y), line,
                        out.pixels.begin() + static_cast<std::ptrdiff_t>(line) * y);
        return out;
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
