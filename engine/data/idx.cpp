#include "engine/data/idx.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "engine/errors.h"

namespace runboard::engine {
namespace {

struct GzCloser {
    void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

std::uint32_t bigEndian(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw DataError("dataset file '" + path + "': " + what);
}

// The data is read in steps of this size, and the array grows with what was read: a 20-byte file
// whose header claims 2^28 x 64 bytes fails as truncated instead of allocating 16 GB first (found
// by tests/fuzz/fuzz_idx). Fashion-MNIST's 47 MB of images take 3 steps.
constexpr std::size_t kReadStep = std::size_t{16} << 20;

// Reads exactly n bytes or explains why not; `before` bytes of the same part (`total` in all)
// were read by earlier calls, for the message.
void readExactly(gzFile f, const std::string& path, void* out, std::size_t n, const char* what,
                 std::size_t before = 0, std::size_t total = 0) {
    auto* dst = static_cast<unsigned char*>(out);
    std::size_t done = 0;
    while (done < n) {
        const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
        const int got = gzread(f, dst + done, chunk);
        if (got < 0) {
            int err = 0;
            const char* msg = gzerror(f, &err);
            fail(path, std::string("corrupt gzip data while reading ") + what + " (" + msg + ")");
        }
        if (got == 0) {
            int err = 0;
            const char* msg = gzerror(f, &err);
            fail(path, "truncated: " + std::string(what) + " needs " +
                           std::to_string(total != 0 ? total : n) + " bytes, the file ends after " +
                           std::to_string(before + done) +
                           (err != Z_OK ? std::string(" (") + msg + ")" : std::string()));
        }
        done += static_cast<std::size_t>(got);
    }
}

}  // namespace

IdxArray readIdx(const std::string& path, int expectedRank) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "not found");
    GzFile f(gzopen(path.c_str(), "rb"));
    if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(f.get(), 1 << 20);

    std::array<unsigned char, 4> magic{};
    readExactly(f.get(), path, magic.data(), magic.size(), "the magic number");
    const int rank = magic[3];
    if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || rank != expectedRank) {
        fail(path, fmt::format("wrong IDX magic number 0x{:02x}{:02x}{:02x}{:02x}", magic[0],
                               magic[1], magic[2], magic[3]) +
                       " (expected 0x000008" + (expectedRank == 1 ? "01" : "03") +
                       ": unsigned bytes, " + std::to_string(expectedRank) + " dimension" +
                       (expectedRank == 1 ? ")" : "s)"));
    }
    IdxArray out;
    std::size_t total = 1;
    for (int i = 0; i < rank; ++i) {
        std::array<unsigned char, 4> d{};
        readExactly(f.get(), path, d.data(), d.size(), "the header");
        const std::uint32_t n = bigEndian(d.data());
        if (n == 0 || n > (1u << 28)) fail(path, "implausible dimension " + std::to_string(n));
        out.dims.push_back(n);
        total *= n;
        if (total > (std::size_t{1} << 34)) fail(path, "implausibly large");
    }
    for (std::size_t done = 0; done < total;) {
        const std::size_t n = std::min(kReadStep, total - done);
        out.data.resize(done + n);
        readExactly(f.get(), path, out.data.data() + done, n, "the data", done, total);
        done += n;
    }
    unsigned char extra = 0;
    if (gzread(f.get(), &extra, 1) != 0)
        fail(path, "longer than its header says (" + std::to_string(total) + " data bytes)");
    return out;
}

void writeIdxGz(const std::string& path, const std::vector<std::uint32_t>& dims,
                const std::vector<std::uint8_t>& data) {
    GzFile f(gzopen(path.c_str(), "wb"));
    if (!f) throw DataError("cannot write '" + path + "'");
    std::vector<unsigned char> header = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int s = 24; s >= 0; s -= 8)
            header.push_back(static_cast<unsigned char>(d >> s));
    gzwrite(f.get(), header.data(), static_cast<unsigned>(header.size()));
    if (!data.empty()) gzwrite(f.get(), data.data(), static_cast<unsigned>(data.size()));
}

}  // namespace runboard::engine
