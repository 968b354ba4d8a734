#pragma once
// A small tmpfs mounted in a test's folder: a real full disk, or (remounted) a read-only medium.
// Mounting needs root, as CI runs; elsewhere `mounted` is false and the test skips. Unmounted on
// destruction (lazily, so that a file a failed test left open does not keep it).

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/fixtures.h"

namespace runboard::test {

struct SmallDisk {
    std::string path;
    bool mounted = false;
    SmallDisk(const TempDir& dir, const std::string& size) : path(dir.file("disk")) {
        std::filesystem::create_directory(path);
        mounted = ::geteuid() == 0 &&
                  ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    }
    ~SmallDisk() {
        if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    bool remountReadOnly() {
        return ::mount("tmpfs", path.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
    }
};

}  // namespace runboard::test
