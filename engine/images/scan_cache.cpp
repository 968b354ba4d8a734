#include "engine/images/scan_cache.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <system_error>

#include "engine/data/atomic_file.h"
#include "engine/data/byte_io.h"

namespace runboard::engine {

namespace fs = std::filesystem;

namespace {

// The last byte is the format's version. 2: a record's `gray` is whether its pixels are gray (a
// gray+alpha PNG, an 8-bit BMP with a gray palette), no longer its Qt format's; images with alpha
// are scaled after alpha is dropped; an image too large for Qt says so. A version-1 cache would
// call those gray images colour, so it is ignored and written again.
constexpr char kMagic[8] = {'R', 'B', 'S', 'C', 'A', 'N', '\0', '\x02'};

// A fast 64-bit hash, eight bytes at a time (the pixels can be a gigabyte): not cryptographic,
// only a guard against a torn or damaged file.
std::uint64_t hashBytes(std::span<const std::uint8_t> bytes) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ bytes.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 29;
    }
    for (; i < bytes.size(); ++i)
        h = (h ^ bytes[i]) * 0x100000001B3ull;
    return h ^ (h >> 32);
}

std::uint64_t checksum(const std::string& meta, const std::vector<std::uint8_t>& pixels) {
    const auto m = hashBytes({reinterpret_cast<const std::uint8_t*>(meta.data()), meta.size()});
    return m ^ (hashBytes(pixels) * 0xC2B2AE3D27D4EB4Full + 1);
}

}  // namespace

std::string scanCachePath(const std::string& dir, const std::string& root, int requestedSize,
                          int requestedChannels) {
    std::error_code ec;
    fs::path absolute = fs::weakly_canonical(fs::absolute(root, ec), ec);
    if (ec) absolute = fs::path(root).lexically_normal();
    const std::string key =
        fmt::format("{}\n{}\n{}", absolute.string(), requestedSize, requestedChannels);
    const auto h = hashBytes({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
    return (fs::path(dir) / fmt::format("scan-{:016x}.bin", h)).string();
}

std::optional<std::pair<std::int64_t, std::int64_t>> fileStamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return std::pair{static_cast<std::int64_t>(st.st_size),
                     static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                         static_cast<std::int64_t>(st.st_mtim.tv_nsec)};
}

std::optional<ScanCache> readScanCache(const std::string& path, std::string& note) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;  // no cache yet: nothing to say
    const auto unusable = [&](const char* why) {
        note = fmt::format("the scan cache '{}' {}; the folder is scanned again", path, why);
        return std::nullopt;
    };
    file.seekg(0, std::ios::end);
    const auto total = static_cast<std::uint64_t>(std::max<std::streamoff>(0, file.tellg()));
    file.seekg(0);
    char magic[8];
    std::uint64_t metaLength = 0;
    if (!file.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 ||
        !file.read(reinterpret_cast<char*>(&metaLength), 8))
        return unusable("is not one this version wrote");
    if (metaLength > total || total - metaLength < 24) return unusable("is truncated");
    std::string meta(metaLength, '\0');
    if (!file.read(meta.data(), static_cast<std::streamsize>(metaLength)))
        return unusable("is truncated");
    ScanCache cache;
    cache.pixels.resize(total - metaLength - 24);
    std::uint64_t stored = 0;
    if (!file.read(reinterpret_cast<char*>(cache.pixels.data()),
                   static_cast<std::streamsize>(cache.pixels.size())) ||
        !file.read(reinterpret_cast<char*>(&stored), 8))
        return unusable("is truncated");
    if (stored != checksum(meta, cache.pixels)) return unusable("fails its checksum");

    ByteReader r(meta);
    cache.size = r.get<std::int32_t>();
    cache.channels = r.get<std::int32_t>();
    const auto count = r.get<std::uint64_t>();
    const auto imageBytes = static_cast<std::uint64_t>(std::max(0, cache.channels)) *
                            static_cast<std::uint64_t>(std::max(0, cache.size)) *
                            static_cast<std::uint64_t>(std::max(0, cache.size));
    if (!r.ok() || count > meta.size() || cache.channels < 0 || cache.channels > 4)
        return unusable("is damaged");
    cache.records.resize(count);
    for (ScanRecord& rec : cache.records) {
        rec.path = r.text();
        rec.bytes = r.get<std::int64_t>();
        rec.mtimeNs = r.get<std::int64_t>();
        rec.width = r.get<std::int32_t>();
        rec.height = r.get<std::int32_t>();
        rec.gray = r.get<std::uint8_t>() != 0;
        rec.decoded = r.get<std::uint8_t>() != 0;
        rec.error = r.text();
        rec.pixelIndex = r.get<std::int64_t>();
        if (rec.decoded) {
            for (auto* v : {&rec.sums, &rec.squares}) {
                v->resize(static_cast<std::size_t>(cache.channels));
                for (auto& x : *v)
                    x = r.get<std::uint64_t>();
            }
        }
        if (!r.ok() || rec.pixelIndex < -1 ||
            (rec.pixelIndex >= 0 &&
             (static_cast<std::uint64_t>(rec.pixelIndex) + 1) * imageBytes > cache.pixels.size()))
            return unusable("is damaged");
    }
    if (!r.done()) return unusable("is damaged");
    return cache;
}

std::string writeScanCache(const std::string& path, const ScanCache& cache) {
    ByteWriter w;
    w.put(static_cast<std::int32_t>(cache.size));
    w.put(static_cast<std::int32_t>(cache.channels));
    w.put(static_cast<std::uint64_t>(cache.records.size()));
    for (const ScanRecord& rec : cache.records) {
        w.text(rec.path);
        w.put(rec.bytes);
        w.put(rec.mtimeNs);
        w.put(static_cast<std::int32_t>(rec.width));
        w.put(static_cast<std::int32_t>(rec.height));
        w.put(static_cast<std::uint8_t>(rec.gray));
        w.put(static_cast<std::uint8_t>(rec.decoded));
        w.text(rec.error);
        w.put(rec.pixelIndex);
        if (rec.decoded)
            for (const auto* v : {&rec.sums, &rec.squares})
                for (std::size_t c = 0; c < static_cast<std::size_t>(cache.channels); ++c)
                    w.put(c < v->size() ? (*v)[c] : 0);
    }
    const std::string& meta = w.bytes();
    std::error_code ec;
    const fs::path target(path);
    fs::create_directories(target.parent_path(), ec);
    if (ec)
        return fmt::format("cannot create '{}': {}", target.parent_path().string(), ec.message());
    // One name per writer: the New Run dialog's Scan and a run in the same process can write the
    // same folder's cache at once.
    static std::atomic<std::uint64_t> writers{0};
    const std::string temporary = fmt::format("{}.{}-{}.tmp", path, ::getpid(), writers++);
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        const std::uint64_t metaLength = meta.size(), sum = checksum(meta, cache.pixels);
        out.write(kMagic, 8);
        out.write(reinterpret_cast<const char*>(&metaLength), 8);
        out.write(meta.data(), static_cast<std::streamsize>(meta.size()));
        out.write(reinterpret_cast<const char*>(cache.pixels.data()),
                  static_cast<std::streamsize>(cache.pixels.size()));
        out.write(reinterpret_cast<const char*>(&sum), 8);
        out.close();
        if (!out) {
            fs::remove(temporary, ec);
            return fmt::format("cannot write '{}' (is the disk full?)", path);
        }
    }
    fs::rename(temporary, target, ec);
    if (ec) {
        fs::remove(temporary, ec);
        return fmt::format("cannot write '{}': {}", path, ec.message());
    }
    pruneCacheFiles(target.parent_path().string(), "scan-", ".bin", kScanCacheKeep);
    return {};
}

void touchScanCache(const std::string& path) {
    std::error_code ec;
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
}

}  // namespace runboard::engine
