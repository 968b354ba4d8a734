#include "engine/data/checksum.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "engine/data/atomic_file.h"

namespace runboard::engine {

std::uint32_t crc32Of(std::string_view bytes) {
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib takes a uInt length: feed it in 1 GiB pieces.
    constexpr std::size_t kPiece = std::size_t{1} << 30;
    for (std::size_t at = 0; at < bytes.size(); at += kPiece) {
        const std::size_t n = std::min(kPiece, bytes.size() - at);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
    }
    return static_cast<std::uint32_t>(crc);
}

std::optional<std::string> checkFileChecksum(const std::string& path, std::uint32_t crc32,
                                             std::int64_t bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return errno == ENOENT ? "it is missing" : "it cannot be read: " + describeIoError(errno);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return "it cannot be read: " + describeIoError(errno);
    if (static_cast<std::int64_t>(data.size()) != bytes)
        return fmt::format("it has {} bytes, {} were written", data.size(), bytes);
    if (const std::uint32_t now = crc32Of(data); now != crc32)
        return fmt::format("its contents changed (CRC-32 {:08x}, {:08x} was written)", now, crc32);
    return std::nullopt;
}

}  // namespace runboard::engine
