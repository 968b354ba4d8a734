#pragma once
// Checksums of checkpoint files: a checkpoint records the CRC-32 and size of its bytes when it
// is written, and a resume checks the file against them before loading it, so a torn, truncated
// or edited file is named and skipped instead of crashing LibTorch's reader or training from
// garbage. CRC-32 (zlib's) detects every burst error up to 32 bits and all but 2^-32 of the rest;
// nothing here guards against deliberate tampering.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runboard::engine {

std::uint32_t crc32Of(std::string_view bytes);

// What is wrong with the file at `path` against the recorded size and CRC-32, in words ("it is
// missing", "it has 1024 bytes, 4096 were written", "its contents changed (CRC-32 ...)"), or
// nullopt when it matches.
std::optional<std::string> checkFileChecksum(const std::string& path, std::uint32_t crc32,
                                             std::int64_t bytes);

}  // namespace runboard::engine
