// The parts of a scanned folder (image_folder.h's folderParts) and where scans are cached.

#include <fmt/format.h>

#include <cstdlib>

#include "engine/data/splits.h"
#include "engine/errors.h"
#include "engine/images/image_folder.h"

namespace runboard::engine {

FolderParts folderParts(const FolderListing& listing, const DecodedImages& images,
                        const FolderSplit& split) {
    FolderParts parts;
    auto &train = parts.train, &val = parts.val, &test = parts.test;
    std::vector<std::int64_t> all;
    for (std::size_t k = 0; k < images.kept.size(); ++k) {
        const auto pos = static_cast<std::int64_t>(k);
        switch (listing.files[images.kept[k]].part) {
            case FolderPart::Train:
                train.push_back(pos);
                break;
            case FolderPart::Val:
                val.push_back(pos);
                break;
            case FolderPart::Test:
                test.push_back(pos);
                break;
            case FolderPart::All:
                all.push_back(pos);
                break;
        }
    }
    auto pick = [](const std::vector<std::int64_t>& from, const std::vector<std::int64_t>& at) {
        std::vector<std::int64_t> out;
        for (std::int64_t i : at)
            out.push_back(from[static_cast<std::size_t>(i)]);
        return out;
    };
    if (!listing.presplit) {
        const Carved c = carveSplits(static_cast<std::int64_t>(all.size()), split.testShare,
                                     split.valShare, split.splitSeed);
        train = pick(all, c.train), val = pick(all, c.val), test = pick(all, c.test);
    } else if (val.empty() || test.empty()) {
        // train/ alone, or with only one of val/ and test/: the other is carved from train/.
        const Carved c = carveSplits(static_cast<std::int64_t>(train.size()),
                                     test.empty() ? split.testShare : 0.0,
                                     val.empty() ? split.valShare : 0.0, split.splitSeed);
        if (val.empty()) val = pick(train, c.val);
        if (test.empty()) test = pick(train, c.test);
        train = pick(train, c.train);
    }
    // A class whose every training file was quarantined cannot be learned.
    std::vector<std::int64_t> perClass(listing.classes.size(), 0);
    for (std::int64_t pos : train)
        ++perClass[static_cast<std::size_t>(
            listing.files[images.kept[static_cast<std::size_t>(pos)]].label)];
    for (std::size_t k = 0; k < perClass.size(); ++k) {
        if (perClass[k] > 0) continue;
        std::string message = "image folder '" + listing.root + "': class '" + listing.classes[k] +
                              "' has no training image that can be decoded";
        if (!images.quarantined.empty())
            message.append(fmt::format(" ({} files quarantined, the first {}: {})",
                                       images.quarantined.size(), images.quarantined.front().path,
                                       images.quarantined.front().reason));
        throw DataError(message);
    }
    train = limitedSample(train, split.limit, split.splitSeed);
    if (train.size() < 2 || test.empty())
        throw DataError("image folder '" + listing.root +
                        "': " + std::to_string(images.kept.size()) + " decodable images leave " +
                        std::to_string(train.size()) + " for training and " +
                        std::to_string(test.size()) + " for test; a classifier needs more");

    return parts;
}

std::string defaultScanCacheDir() {
    if (const char* dir = std::getenv("RUNBOARD_CACHE_DIR")) return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/')
        return std::string(xdg) + "/runboard";
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return std::string(home) + "/.cache/runboard";
    return {};
}

}  // namespace runboard::engine
