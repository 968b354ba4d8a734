#include "storage/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

namespace runboard::storage {

std::string runFilesDir(const std::string& dbPath, std::int64_t runId) {
    return dbPath + ".files/run-" + std::to_string(runId);
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

RunLock::~RunLock() {
    release();
}

void RunLock::release() {
    if (fd_ >= 0) {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
        fd_ = -1;
    }
}

Result<RunLock> RunLock::acquire(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) return Error{ErrorKind::CannotOpen, "cannot create '" + path + "': " + ec.message()};
    RunLock lock;
    lock.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock.fd_ < 0)
        return Error{ErrorKind::CannotOpen, "cannot open lock '" + path + "': " + strerror(errno)};
    if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0)
        return Error{ErrorKind::InvalidArgument,
                     "run lock '" + path + "' is held by another process"};
    return lock;
}

bool RunLock::isHeld(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (!held) ::flock(fd, LOCK_UN);
    ::close(fd);
    return held;
}

}  // namespace runboard::storage
