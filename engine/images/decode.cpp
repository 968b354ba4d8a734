#include "engine/images/decode.h"

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

namespace {

bool isJpeg(const QByteArray& bytes) {
    return bytes.startsWith("\xFF\xD8\xFF");
}

// A PNG's colour type, byte 25 of the file (in IHDR, which comes first): 0 gray, 2 RGB, 3
// palette, 4 gray+alpha, 6 RGBA; -1 for any other format. Qt reports a gray+alpha PNG as ARGB32,
// so its format does not tell gray from colour.
int pngColourType(const QByteArray& bytes) {
    if (bytes.size() < 26 || !bytes.startsWith("\x89PNG\r\n\x1A\n") ||
        bytes.mid(12, 4) != QByteArrayLiteral("IHDR"))
        return -1;
    return static_cast<unsigned char>(bytes[25]);
}

bool isPalette(QImage::Format f) {
    return f == QImage::Format_Indexed8 || f == QImage::Format_Mono || f == QImage::Format_MonoLSB;
}

bool hasAlpha(QImage::Format f) {
    return f != QImage::Format_Invalid &&
           QImage::toPixelFormat(f).alphaUsage() == QPixelFormat::UsesAlpha;
}

// Whether every pixel is gray, alpha aside. A palette may hold colours that no pixel uses (an
// 8-bit BMP's 256 entries), so when it is not all gray, the pixels decide.
bool pixelsGray(const QImage& image) {
    if (image.allGray()) return true;  // a palette's every entry, or every pixel of the others
    return image.colorCount() > 0 && image.convertToFormat(QImage::Format_RGB32).allGray();
}

std::string bytesText(std::uint64_t bytes) {
    if (bytes >= (std::uint64_t{1} << 30))
        return fmt::format("{:.1f} GB", static_cast<double>(bytes) / (1 << 30));
    return fmt::format("{} MB", bytes >> 20);
}

// Qt refuses to make an image above QImageReader::allocationLimit() (128 MB by default) and then
// says only "Unable to read image data". This is its sum (QImageIOHandler::allocateImage: the
// rows at the format's bits per pixel, padded to 4 bytes), made from the header before decoding,
// so the file is quarantined with the real reason and no time is spent on it.
//
// The limit stays Qt's. It is per image, and data.workers threads (every core by default) decode
// at once, each image then copied for its crop, scaling and conversion: at 512 MB, 8 workers on
// a folder of such files could take 8 GB or more. An image above 128 MB (a 20000x20000 gray PNG is
// 381 MB) is scaled to at most 128 px for training anyway; resizing the file once costs less than
// decoding it every epoch. Raising it would also be process-wide (a static in QImageReader),
// changing the gallery's and the rest of the app's limit from a library. A JPEG is exempt: its
// decoder scales while decoding (setScaledSize), so even a 30000x20000 one fits.
std::string tooLargeReason(const QSize& size, QImage::Format format) {
    const int limitMb = QImageReader::allocationLimit();
    if (limitMb <= 0 || !size.isValid()) return {};
    const int bits =
        format == QImage::Format_Invalid ? 32 : QImage::toPixelFormat(format).bitsPerPixel();
    const std::uint64_t line =
        (static_cast<std::uint64_t>(size.width()) * static_cast<std::uint64_t>(std::max(bits, 1)) +
         31) /
        32 * 4;
    const std::uint64_t bytes = line * static_cast<std::uint64_t>(size.height());
    if ((bytes >> 20) <= static_cast<std::uint64_t>(limitMb)) return {};
    return fmt::format(
        "too large to decode: {}x{} px would take {}, more than the {} MB Qt allows per image "
        "(resize the file)",
        size.width(), size.height(), bytesText(bytes), limitMb);
}

}  // namespace

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
    if (!isJpeg(bytes)) {
        h.error = tooLargeReason(size, f);
        if (!h.error.empty()) return h;
    }
    // Gray or colour from the header, without decoding, for all but palette images (the common
    // gray and RGB JPEGs and PNGs are read no further).
    const int pngType = pngColourType(bytes);
    if (pngType >= 0 ? pngType != 3 : !isPalette(f)) {
        h.gray = pngType >= 0 ? pngType == 0 || pngType == 4
                              : f == QImage::Format_Grayscale8 || f == QImage::Format_Grayscale16;
        return h;
    }
    // A palette image (an 8-bit BMP, a palette PNG, a 1-bit BMP of any two colours): decoded, to
    // see the colours its pixels use.
    const QImage image = reader.read();
    if (image.isNull()) {
        h.error = "cannot be decoded: " + reader.errorString().toStdString();
        return h;
    }
    h.gray = pixelsGray(image);
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
    const QImage::Format format = reader.imageFormat();
    if (!isJpeg(bytes))
        if (std::string why = tooLargeReason(native, format); !why.empty()) return why;
    // The centred square of the original, then scaled to `size`: the same as scaling the
    // shorter side to `size` and cropping, without ever making a 6400000x64 image of a 100000x1.
    const int side = std::min(native.width(), native.height());
    if (side != native.width() || side != native.height())
        reader.setClipRect(
            QRect((native.width() - side) / 2, (native.height() - side) / 2, side, side));
    // With alpha, the reader may scale premultiplied (it does when it crops first): a transparent
    // pixel's colour would weigh nothing. The conversion below drops alpha first, then the opaque
    // image is scaled.
    if (side != size && !hasAlpha(format)) reader.setScaledSize(QSize(size, size));
    QImage image = reader.read();
    if (image.isNull()) return "cannot be decoded: " + reader.errorString().toStdString();
    // From the readers' straight (not premultiplied) formats, this keeps the colour and drops
    // alpha.
    image =
        image.convertToFormat(channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    if (image.width() != size || image.height() != size)
        image = image.scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
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

SampleImage decodeWholeImage(const std::string& path, int maxSide) {
    std::string error;
    QByteArray bytes = QByteArray::fromStdString(readImageBytes(path, error));
    if (!error.empty()) return {};
    QBuffer buffer(&bytes);
    QImageReader reader(&buffer);
    const QSize size = reader.size();
    const bool alpha = hasAlpha(reader.imageFormat());
    const bool shrink = size.isValid() && std::max(size.width(), size.height()) > maxSide;
    const QSize shown = shrink ? size.scaled(maxSide, maxSide, Qt::KeepAspectRatio) : size;
    if (shrink && !alpha) reader.setScaledSize(shown);
    QImage image = reader.read();
    if (image.isNull()) return {};
    const bool gray = pixelsGray(image);
    image = image.convertToFormat(gray ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    if (image.size() != shown && shown.isValid())
        image = image.scaled(shown, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
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

}  // namespace runboard::engine
