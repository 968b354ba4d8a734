#include "engine/images/decode.h"

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
#include <thread>
#include <vector>

namespace runboard::engine {

namespace fs = std::filesystem;

void parallelFor(std::size_t n, int threads, const std::function<void(std::size_t)>& fn,
                 const std::function<void(std::size_t, std::size_t)>& progress,
                 const std::atomic<bool>* stop) {
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

std::string readImageBytes(const std::string& path, std::string& error) {
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
    std::string data;
    char chunk[1 << 16];
    while (file.read(chunk, sizeof chunk) || file.gcount() > 0)
        data.append(chunk, static_cast<std::size_t>(file.gcount()));
    if (file.bad()) {
        error = "cannot be read: an I/O error";
        return {};
    }
    if (data.empty()) {
        error = "zero bytes";
        return {};
    }
    // libjpeg decodes a truncated JPEG with a warning and grey rows; the end-of-image marker (FF
    // D9) is the one sure sign that the whole file is there (within the last 64 bytes: cameras
    // pad after it).
    const std::string_view eoi("\xFF\xD9", 2);
    if (data.starts_with("\xFF\xD8\xFF") &&
        data.find(eoi, data.size() > 64 ? data.size() - 64 : 0) == std::string::npos)
        error = "truncated JPEG (no end-of-image marker)";
    return data;
}

ImageHeader readImageHeader(const std::string& path) {
    ImageHeader h;
    QByteArray bytes = QByteArray::fromStdString(readImageBytes(path, h.error));
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

std::string decodeImageInto(const std::string& path, int size, int channels, std::uint8_t* out) {
    std::string error;
    QByteArray bytes = QByteArray::fromStdString(readImageBytes(path, error));
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

}  // namespace runboard::engine
