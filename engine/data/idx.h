#pragma once
// Reader for gzipped IDX files (the MNIST family's format). Torch-free.

#include <cstdint>
#include <string>
#include <vector>

namespace runboard::engine {

struct IdxArray {
    std::vector<std::uint32_t> dims;
    std::vector<std::uint8_t> data;
};

// Reads an IDX file of unsigned bytes (type code 0x08), gzipped or not. Validates the magic
// number, the dimensions and the length; throws DataError naming the file and the problem.
// `expectedRank` is 1 for labels, 3 for images.
IdxArray readIdx(const std::string& path, int expectedRank);

// Writes one (gzipped): for fixtures and tests.
void writeIdxGz(const std::string& path, const std::vector<std::uint32_t>& dims,
                const std::vector<std::uint8_t>& data);

}  // namespace runboard::engine
