// An image folder's listing (image_folder.h's listImageFolder): the split folders, the classes,
// the image files below each class, and what was skipped and why.
//
// Split folders are recognised in any case (Train/, VAL/, Valid/): a split's name taken for a
// class would have the model learn train-against-test without a word. Linux tells train/ from
// Train/, so both at once are refused rather than one picked.
//
// Below a class folder, symbolic links to folders are followed (as torchvision's os.walk with
// followlinks does), except a link back to a folder it is inside, which would list the same files
// forever: that, and a link that resolves to itself, is skipped and listed as a "symbolic link
// loop". A folder that cannot be listed (no permission, an I/O error) is never taken for an empty
// one: the root, a split or a class folder is refused with the system's reason; a folder deeper
// down is skipped and listed with it, as an unreadable file is quarantined.

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "engine/errors.h"
#include "engine/images/image_folder.h"

namespace runboard::engine {

namespace fs = std::filesystem;

namespace {

std::string lowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// What no one means as a sample: hidden entries, macOS archive leftovers, Windows thumbnails.
bool isJunk(const std::string& name) {
    const std::string lower = lowerAscii(name);
    return name.starts_with('.') || name == "__MACOSX" || lower == "thumbs.db" ||
           lower == "desktop.ini";
}

// A directory's entries, sorted by name; false (and `ec` says why) when it cannot be listed.
bool listDirectory(const fs::path& dir, std::vector<fs::directory_entry>& out,
                   std::error_code& ec) {
    out.clear();
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        out.push_back(*it);
    if (ec) return false;
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.path().filename() < b.path().filename();
    });
    return true;
}

std::vector<fs::directory_entry> sortedEntries(const fs::path& dir) {
    std::vector<fs::directory_entry> out;
    if (std::error_code ec; !listDirectory(dir, out, ec))
        throw DataError("image folder '" + dir.string() + "' cannot be read: " + ec.message());
    return out;
}

bool isDirectory(const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_directory(ec);
}

// A link that resolves to itself, or through others back to itself (ELOOP). Only links are
// stat'ed again: the others' type comes with the listing.
bool isLinkLoop(const fs::directory_entry& e) {
    std::error_code ec;
    if (!e.is_symlink(ec)) return false;
    (void)e.status(ec);
    return ec == std::errc::too_many_symbolic_link_levels;
}

std::string relativeTo(const fs::path& p, const fs::path& root) {
    return p.lexically_relative(root).generic_string();
}

// A folder's identity (device and inode, links followed), to tell a link to a folder it is inside.
struct FolderId {
    std::uint64_t device = 0, inode = 0;
    bool operator==(const FolderId&) const = default;
};
std::optional<FolderId> folderId(const fs::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
    return FolderId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}
bool isInside(const std::vector<FolderId>& inside, const fs::path& dir) {
    const auto id = folderId(dir);
    return id && std::find(inside.begin(), inside.end(), *id) != inside.end();
}

// The class folders directly below `dir`; anything else there is skipped. `inside`: the root
// and the split folder, which a class folder must not lead back to.
std::vector<fs::path> classFolders(const fs::path& dir, const fs::path& root,
                                   const std::vector<FolderId>& inside, FolderListing& listing) {
    std::vector<fs::path> out;
    for (const auto& e : sortedEntries(dir)) {
        const std::string name = e.path().filename().string();
        const std::string where = relativeTo(e.path(), root);
        if (isJunk(name))
            listing.skipped.push_back(where + " (hidden or system)");
        else if (isLinkLoop(e) || (isDirectory(e) && isInside(inside, e.path())))
            listing.skipped.push_back(where + " (symbolic link loop)");
        else if (isDirectory(e))
            out.push_back(e.path());
        else
            listing.skipped.push_back(where + " (not a class)");
    }
    return out;
}

// Every image below `dir`, at any depth, into `out`. `inside`: the folders it is inside. A
// class folder (top) that cannot be listed is refused: it is not a class without images.
void collectImages(const fs::path& dir, const fs::path& root, std::vector<FolderId>& inside,
                   std::vector<std::string>& out, FolderListing& listing, bool top = false) {
    std::vector<fs::directory_entry> entries;
    if (std::error_code ec; !listDirectory(dir, entries, ec)) {
        if (top)
            throw DataError("class folder '" + dir.string() + "' cannot be read: " + ec.message());
        listing.skipped.push_back(relativeTo(dir, root) + " (cannot be read: " + ec.message() +
                                  ")");
        return;
    }
    for (const auto& e : entries) {
        const std::string name = e.path().filename().string();
        const std::string where = relativeTo(e.path(), root);
        if (isJunk(name)) {
            listing.skipped.push_back(where + " (hidden or system)");
        } else if (isLinkLoop(e)) {
            listing.skipped.push_back(where + " (symbolic link loop)");
        } else if (isDirectory(e)) {
            const auto id = folderId(e.path());
            if (id && std::find(inside.begin(), inside.end(), *id) != inside.end()) {
                listing.skipped.push_back(where + " (symbolic link loop)");
                continue;
            }
            if (id) inside.push_back(*id);
            collectImages(e.path(), root, inside, out, listing);
            if (id) inside.pop_back();
        } else if (isImageFileName(name)) {
            out.push_back(where);
        } else {
            listing.skipped.push_back(where + " (not an image type)");
        }
    }
}

// Every image below a class folder, sorted by path.
std::vector<std::string> imagesBelow(const fs::path& dir, const fs::path& root,
                                     std::vector<FolderId> inside, FolderListing& listing) {
    if (const auto id = folderId(dir)) inside.push_back(*id);
    std::vector<std::string> out;
    collectImages(dir, root, inside, out, listing, true);
    std::sort(out.begin(), out.end());
    return out;
}

// The split folders Runboard recognises, in lower case (the first name found of each part is
// used; any case matches).
const std::pair<FolderPart, std::vector<const char*>> kSplitNames[] = {
    {FolderPart::Train, {"train", "training"}},
    {FolderPart::Val, {"val", "valid", "validation"}},
    {FolderPart::Test, {"test", "testing"}}};

bool isSplitName(const std::string& lower) {
    for (const auto& [part, names] : kSplitNames)
        for (const char* name : names)
            if (lower == name) return true;
    return false;
}

bool holdsClassFolders(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    for (const auto& e : sortedEntries(dir))
        if (isDirectory(e) && !isJunk(e.path().filename().string())) return true;
    return false;
}

}  // namespace

bool isImageFileName(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    const std::string ext = lowerAscii(name.substr(dot + 1));
    return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "pgm" ||
           ext == "ppm";
}

std::int64_t folderSampleId(std::string_view path) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : path) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return static_cast<std::int64_t>(h & ((std::uint64_t{1} << 53) - 1));
}

FolderListing listImageFolder(const std::string& rootText) {
    const fs::path root(rootText);
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw DataError("image folder '" + rootText + "' does not exist or is not a directory");
    FolderListing listing;
    listing.root = rootText;
    // The folders at the root named as a split, in any case, by that name in lower case.
    std::map<std::string, std::vector<std::string>> spellings;
    for (const auto& e : sortedEntries(root)) {
        const std::string name = e.path().filename().string();
        if (isDirectory(e) && isSplitName(lowerAscii(name)))
            spellings[lowerAscii(name)].push_back(name);
    }
    for (const auto& [lower, names] : spellings)
        if (names.size() > 1)
            throw DataError(fmt::format(
                "image folder '{}' has both {}/ and {}/: two spellings of one split, and no "
                "telling which is meant; merge them into one folder",
                rootText, names[0], names[1]));
    // The split folders: the first of each part's names that exists at the root.
    std::vector<std::pair<FolderPart, fs::path>> parts;
    std::vector<std::string> splitDirs;
    for (const auto& [part, names] : kSplitNames)
        for (const char* lower : names)
            if (const auto it = spellings.find(lower); it != spellings.end()) {
                const std::string& name = it->second.front();
                splitDirs.push_back(name);
                if (holdsClassFolders(root / name))
                    parts.emplace_back(part, root / name);
                else
                    listing.skipped.push_back(
                        name + " (no class folders: unlabelled images are not used)");
                break;
            }
    listing.presplit = !parts.empty() && parts.front().first == FolderPart::Train;
    if (listing.presplit) {
        for (const auto& e : sortedEntries(root)) {
            const std::string name = e.path().filename().string();
            if (std::find(splitDirs.begin(), splitDirs.end(), name) == splitDirs.end())
                listing.skipped.push_back(name + " (not a split folder)");
        }
    } else if (!splitDirs.empty()) {
        // A split folder's name is never a class: without train/ there is no telling.
        throw DataError("image folder '" + rootText + "' has " + splitDirs.front() +
                        "/ but no train/ (or training/) with class folders: put the training "
                        "images in train/<class>/, or the class folders directly in '" +
                        rootText + "'");
    } else {
        parts = {{FolderPart::All, root}};
    }
    std::vector<FolderId> inside;
    if (const auto id = folderId(root)) inside.push_back(*id);
    for (const auto& [part, dir] : parts) {
        std::vector<FolderId> above = inside;
        if (const auto id = folderId(dir); id && part != FolderPart::All) above.push_back(*id);
        const auto folders = classFolders(dir, root, above, listing);
        if (part == FolderPart::Train || part == FolderPart::All) {
            for (const auto& f : folders)
                listing.classes.push_back(f.filename().string());
            if (folders.empty())
                throw DataError("image folder '" + dir.string() +
                                "' has no class sub-folders: put each class's images in a "
                                "folder of their own (" +
                                dir.string() + "/cat/1.png, " + dir.string() + "/dog/2.png)");
        }
        for (const auto& folder : folders) {
            const std::string name = folder.filename().string();
            const auto it = std::find(listing.classes.begin(), listing.classes.end(), name);
            if (it == listing.classes.end())
                throw DataError("image folder '" + dir.string() + "' has class '" + name +
                                "', which train/ does not have");
            const auto images = imagesBelow(folder, root, above, listing);
            if (images.empty() && (part == FolderPart::Train || part == FolderPart::All))
                throw DataError("class folder '" + folder.string() +
                                "' has no images (png, jpg, jpeg, bmp, pgm, ppm): every class "
                                "needs samples");
            for (const auto& path : images)
                listing.files.push_back({path, static_cast<int>(it - listing.classes.begin()), part,
                                         folderSampleId(path)});
        }
    }
    if (listing.classes.size() < 2)
        throw DataError("image folder '" + rootText + "' has one class ('" +
                        listing.classes.front() +
                        "'): a classifier needs at least two class sub-folders");
    return listing;
}

}  // namespace runboard::engine
