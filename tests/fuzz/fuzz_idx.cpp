// libFuzzer target: the IDX reader (engine/data/idx.h) on arbitrary bytes, gzipped or not.
// Any input must end in an IdxArray or a DataError: another exception, a crash, a sanitizer report
// or an allocation beyond -rss_limit_mb is a finding.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/data/idx.h"
#include "engine/errors.h"

namespace {

// The reader takes a path: the input goes to an in-memory file (no disk, ~2 us a run).
struct MemFile {
    int fd = memfd_create("fuzz_idx", 0);
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    ~MemFile() { close(fd); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static MemFile file;
    if (file.fd < 0) std::abort();
    if (ftruncate(file.fd, 0) != 0 || pwrite(file.fd, data, size, 0) != static_cast<ssize_t>(size))
        std::abort();
    for (int rank : {1, 3}) {
        try {
            const runboard::engine::IdxArray a = runboard::engine::readIdx(file.path, rank);
            std::size_t total = 1;
            for (std::uint32_t d : a.dims)
                total *= d;
            if (a.dims.size() != static_cast<std::size_t>(rank) || a.data.size() != total)
                std::abort();  // the reader's promise: dims match the rank and the data
        } catch (const runboard::engine::DataError&) {
        }
    }
    return 0;
}
