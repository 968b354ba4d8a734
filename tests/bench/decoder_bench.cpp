// Which decoder for image folders (issue 15): Qt's QImageReader, which the engine uses
// (engine/images/decode.cpp), against libjpeg-turbo's TurboJPEG API and libpng's simplified API,
// on the same encoded bytes in memory, one thread, each producing the 8-bit gray or RGB pixels
// at the training size. The images are Fashion-MNIST's first 256 test images (Debian's
// dataset-fashion-mnist), encoded by Qt as JPEG (quality 90) and PNG: 28x28 gray; upscaled to
// 64x64 and tinted into colour; and upscaled to 256x256 colour, which is decoded to 64 px
// (QImageReader::setScaledSize against TurboJPEG's 1/4 DCT scaling). A last row times the
// engine's own decodeImageInto from files (reading included) for reference.
// Built only when libturbojpeg0-dev and libpng-dev are installed; not part of CTest.
//   decoder_bench [--benchmark_repetitions=3 ...]

#include <benchmark/benchmark.h>
#include <png.h>
#include <turbojpeg.h>

#include <QBuffer>
#include <QCoreApplication>
#include <QImage>
#include <QImageReader>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/data/idx.h"
#include "engine/images/decode.h"

namespace {

constexpr int kImages = 256;

struct Encoded {
    std::vector<QByteArray> bytes;
    std::vector<std::string> files;
};

// Fashion-MNIST's first test images at `side` px (smooth upscaling), gray or tinted colour.
std::vector<QImage> sourceImages(int side, bool colour) {
    const auto idx =
        runboard::engine::readIdx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", 3);
    std::vector<QImage> out;
    for (int i = 0; i < kImages; ++i) {
        QImage gray(idx.data.data() + static_cast<std::size_t>(i) * 784, 28, 28, 28,
                    QImage::Format_Grayscale8);
        QImage image =
            gray.copy().scaled(side, side, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        if (colour) {
            image = image.convertToFormat(QImage::Format_RGB888);
            for (int y = 0; y < side; ++y) {
                uchar* line = image.scanLine(y);
                for (int x = 0; x < side; ++x) {  // a tint that changes with the sample
                    line[3 * x + 1] = static_cast<uchar>(line[3 * x + 1] * (i % 7 + 3) / 10);
                    line[3 * x + 2] = static_cast<uchar>(line[3 * x + 2] * (i % 5 + 5) / 10);
                }
            }
        }
        out.push_back(std::move(image));
    }
    return out;
}

Encoded encode(const std::vector<QImage>& images, const char* format, const std::string& dir,
               const std::string& stem) {
    Encoded e;
    std::filesystem::create_directories(dir);
    for (std::size_t i = 0; i < images.size(); ++i) {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        if (!images[i].save(&buffer, format, std::string(format) == "JPG" ? 90 : -1))
            throw std::runtime_error(std::string("Qt cannot encode ") + format);
        e.files.push_back(dir + "/" + stem + std::to_string(i) + "." + format);
        if (std::FILE* f = std::fopen(e.files.back().c_str(), "wb")) {
            std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), f);
            std::fclose(f);
        }
        e.bytes.push_back(std::move(bytes));
    }
    return e;
}

// As engine/images/decode.cpp: QImageReader, scaled while decoding when the size differs.
void decodeQt(const QByteArray& bytes, int size, bool gray, std::vector<std::uint8_t>& out) {
    QByteArray copy = bytes;  // QBuffer needs a non-const array; a shallow copy
    QBuffer buffer(&copy);
    QImageReader reader(&buffer);
    if (reader.size().width() != size) reader.setScaledSize(QSize(size, size));
    QImage image =
        reader.read().convertToFormat(gray ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    const int channels = gray ? 1 : 3;
    for (int y = 0; y < size; ++y)
        std::copy_n(image.constScanLine(y), size * channels,
                    out.data() + static_cast<std::size_t>(y * size * channels));
}

void decodeTurbo(tjhandle tj, const QByteArray& bytes, int size, bool gray,
                 std::vector<std::uint8_t>& out) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.constData());
    const auto length = static_cast<unsigned long>(bytes.size());
    int w = 0, h = 0, subsampling = 0, colourspace = 0;
    if (tjDecompressHeader3(tj, data, length, &w, &h, &subsampling, &colourspace) != 0)
        throw std::runtime_error(tjGetErrorStr2(tj));
    // width/height ask for the scaled size: TurboJPEG picks the DCT scaling factor (1/4 here).
    if (tjDecompress2(tj, data, length, out.data(), size, 0, size, gray ? TJPF_GRAY : TJPF_RGB,
                      0) != 0)
        throw std::runtime_error(tjGetErrorStr2(tj));
}

void decodePng(const QByteArray& bytes, bool gray, std::vector<std::uint8_t>& out) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_memory(&image, bytes.constData(),
                                         static_cast<std::size_t>(bytes.size())) == 0)
        throw std::runtime_error(image.message);
    image.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    if (png_image_finish_read(&image, nullptr, out.data(), 0, nullptr) == 0)
        throw std::runtime_error(image.message);
}

enum class Decoder { Qt, Turbo, Png, Engine };

void registerCase(const std::string& name, Decoder decoder, const Encoded& e, int size, bool gray) {
    benchmark::RegisterBenchmark(name.c_str(), [&e, decoder, size, gray](benchmark::State& state) {
        std::vector<std::uint8_t> out(static_cast<std::size_t>(size * size * (gray ? 1 : 3)));
        tjhandle tj = decoder == Decoder::Turbo ? tjInitDecompress() : nullptr;
        std::size_t i = 0;
        for (auto _ : state) {
            const std::size_t k = i++ % e.bytes.size();
            switch (decoder) {
                case Decoder::Qt:
                    decodeQt(e.bytes[k], size, gray, out);
                    break;
                case Decoder::Turbo:
                    decodeTurbo(tj, e.bytes[k], size, gray, out);
                    break;
                case Decoder::Png:
                    decodePng(e.bytes[k], gray, out);
                    break;
                case Decoder::Engine:
                    if (!runboard::engine::decodeImageInto(e.files[k], size, gray ? 1 : 3,
                                                           out.data())
                             .empty())
                        state.SkipWithError("the engine cannot decode its own file");
                    break;
            }
            benchmark::DoNotOptimize(out.data());
        }
        if (tj != nullptr) tjDestroy(tj);
        state.counters["images/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                        benchmark::Counter::kIsRate);
    });
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);  // Qt's image plugins
    benchmark::Initialize(&argc, argv);
    const std::string dir =
        (std::filesystem::temp_directory_path() / "runboard-decoder-bench").string();
    const auto gray28 = sourceImages(28, false), rgb64 = sourceImages(64, true),
               rgb256 = sourceImages(256, true);
    const Encoded jpg28 = encode(gray28, "JPG", dir, "g28_"),
                  png28 = encode(gray28, "PNG", dir, "g28_"),
                  jpg64 = encode(rgb64, "JPG", dir, "c64_"),
                  png64 = encode(rgb64, "PNG", dir, "c64_"),
                  jpg256 = encode(rgb256, "JPG", dir, "c256_");
    registerCase("jpeg 28 gray/qt", Decoder::Qt, jpg28, 28, true);
    registerCase("jpeg 28 gray/turbojpeg", Decoder::Turbo, jpg28, 28, true);
    registerCase("jpeg 64 rgb/qt", Decoder::Qt, jpg64, 64, false);
    registerCase("jpeg 64 rgb/turbojpeg", Decoder::Turbo, jpg64, 64, false);
    registerCase("jpeg 256->64 rgb/qt", Decoder::Qt, jpg256, 64, false);
    registerCase("jpeg 256->64 rgb/turbojpeg", Decoder::Turbo, jpg256, 64, false);
    registerCase("png 28 gray/qt", Decoder::Qt, png28, 28, true);
    registerCase("png 28 gray/libpng", Decoder::Png, png28, 28, true);
    registerCase("png 64 rgb/qt", Decoder::Qt, png64, 64, false);
    registerCase("png 64 rgb/libpng", Decoder::Png, png64, 64, false);
    registerCase("engine file jpeg 28 gray", Decoder::Engine, jpg28, 28, true);
    registerCase("engine file jpeg 256->64 rgb", Decoder::Engine, jpg256, 64, false);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::filesystem::remove_all(dir);
    return 0;
}
