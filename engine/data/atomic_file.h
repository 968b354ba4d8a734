#pragma once
// Whole-file writes that either land complete or leave nothing behind: the bytes go to
// "<path>.tmp" (created afresh, never through a symlink or into an existing file planted there),
// are fsync'ed and renamed over <path>. On any failure (a full disk, an I/O
// error, no permission) the temporary file is removed, so a failed checkpoint never keeps the
// disk full, and OutputError says which file and why in words ("the disk is full").

#include <string>
#include <string_view>

namespace runboard::engine {

// `what` names the file for people, e.g. "checkpoint".
void writeFileAtomically(const std::string& path, std::string_view bytes, std::string_view what);

// A cache directory's files named prefix*suffix beyond the `keep` most recently written or
// touched, removed (least recently used first out); errors are ignored (a cache only saves time).
void pruneCacheFiles(const std::string& dir, std::string_view prefix, std::string_view suffix,
                     std::size_t keep);

// "the disk is full (No space left on device)" and the like, for an errno value.
std::string describeIoError(int err);

}  // namespace runboard::engine
