#include "support/image_fixtures.h"

#include <QBuffer>
#include <QByteArray>
#include <QImage>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>

namespace runboard::test {

namespace fs = std::filesystem;

namespace {

void save(const QImage& image, const fs::path& file) {
    fs::create_directories(file.parent_path());
    const std::string ext = file.extension().string();
    std::string format = ext.substr(1);
    for (char& c : format)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (format == "jpg") format = "jpeg";
    // Encoded in memory and written by the path's bytes (names need not be UTF-8).
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, format.c_str()))
        throw std::runtime_error("cannot encode the fixture image " + file.string());
    std::ofstream(file, std::ios::binary).write(bytes.constData(), bytes.size());
}

void writeBytes(const fs::path& file, const std::string& bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
}

std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

void putBigEndian(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void putChunk(std::string& png, const char* type, const std::string& data) {
    putBigEndian(png, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    png += body;
    putBigEndian(png, crc32(body));
}

// A PNG of 8-bit samples: rows are the raw rows, each with its filter byte (0).
std::string pngBytes(int w, int h, int colourType, const std::string& rows) {
    std::string png("\x89PNG\r\n\x1A\n", 8), header;
    putBigEndian(header, static_cast<std::uint32_t>(w));
    putBigEndian(header, static_cast<std::uint32_t>(h));
    header += {8, static_cast<char>(colourType), 0, 0, 0};
    putChunk(png, "IHDR", header);
    const QByteArray zlib = qCompress(QByteArray::fromStdString(rows));
    putChunk(png, "IDAT", zlib.mid(4).toStdString());  // qCompress puts the length first
    putChunk(png, "IEND", "");
    return png;
}

}  // namespace

void writeGrayAlphaPng(const fs::path& file, int w, int h,
                       const std::vector<std::uint8_t>& grayAlpha) {
    std::string rows;
    for (int y = 0; y < h; ++y) {
        rows.push_back(0);
        for (int x = 0; x < 2 * w; ++x)
            rows.push_back(static_cast<char>(grayAlpha[static_cast<std::size_t>(y * 2 * w + x)]));
    }
    writeBytes(file, pngBytes(w, h, 4, rows));
}

void writePngHeader(const fs::path& file, int w, int h) {
    writeBytes(file, pngBytes(w, h, 0, std::string(static_cast<std::size_t>(w) + 1, '\0')));
}

void writeBarFolder(const fs::path& root, int perClass, const std::string& ext, int testPerClass,
                    unsigned seed) {
    std::mt19937 rng(seed);
    auto write = [&](const fs::path& dir, int count) {
        for (int k = 0; k < 10; ++k)
            for (int i = 0; i < count; ++i) {
                QImage image(28, 28, QImage::Format_Grayscale8);
                for (int y = 0; y < 28; ++y) {
                    uchar* line = image.scanLine(y);
                    for (int x = 0; x < 28; ++x)
                        line[x] =
                            static_cast<uchar>(y == 2 + 2 * k ? 200 + rng() % 56 : rng() % 60);
                }
                char name[32];
                std::snprintf(name, sizeof name, "%05d.%s", i, ext.c_str());
                save(image, dir / ("class" + std::to_string(k)) / name);
            }
    };
    if (testPerClass > 0) {
        write(root / "train", perClass);
        write(root / "test", testPerClass);
    } else {
        write(root, perClass);
    }
}

void writeSolidImage(const fs::path& file, int w, int h, bool gray, int value) {
    QImage image(w, h, gray ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    image.fill(gray ? QColor(value, value, value) : QColor(value, 255 - value, value / 2));
    save(image, file);
}

std::vector<std::string> writeHostileFolder(const fs::path& root) {
    // Good images: mixed sizes, gray and RGB, upper-case extensions, spaces and unicode, nested.
    writeSolidImage(root / "cat/a.png", 28, 28, true, 10);
    writeSolidImage(root / "cat/B.PNG", 28, 28, true, 20);
    writeSolidImage(root / "cat/c d \xC3\xA9t\xC3\xA9.jpg", 40, 30, false, 30);
    writeSolidImage(root / "cat/nested/deeper/d.bmp", 16, 16, false, 40);
    writeSolidImage(root / "dog/1.png", 32, 32, false, 50);
    writeSolidImage(root / "dog/2.ppm", 20, 24, false, 60);
    writeSolidImage(root / "dog/3.pgm", 28, 28, true, 70);
    writeSolidImage(root / "dog/4.JPEG", 28, 28, true, 80);
    // Bad files, each quarantined with its reason.
    writeSolidImage(root / "cat/truncated.jpg", 64, 64, false, 90);
    {
        const fs::path f = root / "cat/truncated.jpg";
        const auto size = fs::file_size(f);
        fs::resize_file(f, size / 2);
    }
    writeBytes(root / "cat/zero.png", "");
    writeBytes(root / "dog/text.png", "this is a text file, not a PNG\n");
    writeSolidImage(root / "dog/cut.png", 64, 64, false, 100);
    fs::resize_file(root / "dog/cut.png", fs::file_size(root / "dog/cut.png") / 2);
    // Entries that are no samples: skipped and listed.
    writeSolidImage(root / ".ipynb_checkpoints/x.png", 28, 28, true, 1);
    writeSolidImage(root / "__MACOSX/cat/._a.png", 28, 28, true, 1);
    writeBytes(root / ".DS_Store", "junk");
    writeBytes(root / "readme.txt", "about this dataset");
    writeBytes(root / "cat/notes.txt", "notes");
    writeBytes(root / "dog/Thumbs.db", "junk");
    writeSolidImage(root / "dog/.hidden.png", 28, 28, true, 1);
    return {"cat/truncated.jpg", "cat/zero.png", "dog/cut.png", "dog/text.png"};
}

}  // namespace runboard::test
