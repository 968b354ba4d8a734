#include "engine/data/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/errors.h"

namespace runboard::engine {

void pruneCacheFiles(const std::string& dir, std::string_view prefix, std::string_view suffix,
                     std::size_t keep) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<std::pair<fs::file_time_type, fs::path>> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with(prefix) && name.ends_with(suffix))
            files.emplace_back(it->last_write_time(ec), it->path());
    }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t k = keep; k < files.size(); ++k)
        fs::remove(files[k].second, ec);
}

std::string describeIoError(int err) {
    const std::string raw = std::strerror(err);
    switch (err) {
        case ENOSPC:
            return "the disk is full (" + raw + ")";
        case EDQUOT:
            return "the disk quota is used up (" + raw + ")";
        case EIO:
            return "the disk reported an I/O error (" + raw + ")";
        case EACCES:
        case EPERM:
            return "permission denied (" + raw + ")";
        case EROFS:
            return "the file system is read-only (" + raw + ")";
        default:
            return raw;
    }
}

namespace {

[[noreturn]] void fail(int fd, const std::string& tmp, const std::string& path,
                       std::string_view what, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw OutputError("cannot write " + std::string(what) + " '" + path +
                      "': " + describeIoError(err));
}

// The temporary is always "<path>.tmp" (not a mkstemp-style unique name): a crash leaves at most
// one known file per target, which the next write of that target removes, instead of a growing
// litter of random names nobody cleans up. It is opened O_CREAT | O_EXCL | O_NOFOLLOW, so a
// symlink (or any file) planted at that name is never followed or written through: whatever is
// there is a leftover or an attack, and unlink() removes the name itself (never what a symlink
// points to) before one retry. A second EEXIST means someone is racing us for the name: refused.
int openTemporary(const std::string& tmp) {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::open(tmp.c_str(), kFlags, 0644);
    if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0)
        fd = ::open(tmp.c_str(), kFlags, 0644);
    return fd;
}

}  // namespace

void writeFileAtomically(const std::string& path, std::string_view bytes, std::string_view what) {
    const std::string tmp = path + ".tmp";
    const int fd = openTemporary(tmp);
    if (fd < 0) {
        // Not ours to remove: another writer may have created it between our unlink and open.
        const int err = errno;
        throw OutputError("cannot write " + std::string(what) + " '" + path +
                          "': " + describeIoError(err));
    }
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(fd, tmp, path, what, errno);
        if (n == 0) fail(fd, tmp, path, what, ENOSPC);  // a write that stores nothing: no room
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    // Some file systems (NFS, tmpfs under quota) report a full disk only at fsync or close.
    if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) fail(fd, tmp, path, what, errno);
    if (::close(fd) != 0) fail(-1, tmp, path, what, errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail(-1, tmp, path, what, errno);
    // The rename is durable once the folder is: best effort, a failure loses nothing written.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    if (const int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d >= 0) {
        (void)::fsync(d);
        ::close(d);
    }
}

}  // namespace runboard::engine
