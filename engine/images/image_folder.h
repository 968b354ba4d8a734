#pragma once
// An image folder as a classification dataset (data.source = folder), Torch-free: the listing of
// the files in torchvision's ImageFolder convention, and their decoding, in parallel, into one
// block of uint8 pixels that the engine turns into tensors and the gallery shows.
//
// The convention, and where Runboard departs from torchvision on purpose:
// - the classes are the sorted names of the root's sub-folders; a class folder's files are found
//   at any depth below it;
// - when the root holds train/ and test/ (and optionally val/) with class folders in each, those
//   are the splits, and every split must have the same classes; split names match in any case
//   (Train/, VAL/), so a split is never taken for a class, and train/ beside Train/ is refused;
// - symbolic links to folders are followed, but a link loop is skipped and listed; a folder that
//   cannot be listed (no permission) is refused, or below a class skipped and listed, with the
//   system's reason, never taken for an empty one;
// - extensions match case-insensitively: png, jpg, jpeg, bmp, pgm, ppm (no webp: Debian's Qt 6
//   has no webp reader without qt6-image-formats-plugins);
// - hidden entries (.ipynb_checkpoints, .git, .DS_Store), __MACOSX, Thumbs.db and files of other
//   types are skipped and listed (torchvision makes .ipynb_checkpoints a class of its own);
// - a file that cannot be read or decoded (zero bytes, a truncated JPEG, a text file named .png,
//   no read permission, too large for Qt's decoders) is quarantined with its reason: the run goes
//   on without it, where torchvision stops mid-epoch;
// - an image is gray when its pixels are (a gray+alpha PNG, an 8-bit BMP with a gray palette),
//   and alpha is dropped, as torchvision's convert("RGB") does.
//
// Every file's stable id is a 53-bit hash of its path relative to the root (exact in a double, so
// JSON and the GUI keep it): a file keeps its id when others are added or removed, and the same
// sample lines up across runs.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/data/sample_images.h"

namespace runboard::engine {

enum class FolderPart { Train, Val, Test, All };  // All: the root holds the class folders

struct FolderFile {
    std::string path;  // relative to the root, '/'-separated
    int label = 0;     // index into FolderListing::classes
    FolderPart part = FolderPart::All;
    std::int64_t id = 0;  // folderSampleId(path)
};

struct FolderListing {
    std::string root;
    std::vector<std::string> classes;
    std::vector<FolderFile> files;     // by part, then class, then path
    std::vector<std::string> skipped;  // relative paths of what was not taken, and why
    bool presplit = false;             // train/ and test/ hold the class folders
};

// Whether a file name has one of the image extensions (any case).
bool isImageFileName(std::string_view name);
std::int64_t folderSampleId(std::string_view relativePath);

// Lists the folder (folder_listing.cpp). Throws DataError for a root that is not a directory, a
// folder that cannot be read, no class sub-folders, a class without images, only one class,
// splits whose classes differ, or two spellings of one split (train/ and Train/).
FolderListing listImageFolder(const std::string& root);

struct DecodeOptions {
    int size = 0;      // side of the square images; 0: from the files (see decodeImages)
    int channels = 0;  // 1 or 3; 0: 1 when every image is grayscale, else 3
    int threads = 0;   // 0: every core
    // Where scans are kept between runs (engine/images/scan_cache.h); empty: none.
    std::string cacheDir;
};

struct Quarantined {
    std::string path;  // relative to the root
    std::string reason;
};

struct DecodedImages {
    int size = 0, channels = 0;
    // kept.size() images of channels x size x size, channel-major (the tensors' CHW layout);
    // empty when they did not fit in memory: the loader then decodes them batch by batch.
    std::vector<std::uint8_t> pixels;
    bool streamed = false;
    std::vector<std::size_t> kept;  // each decoded image's index in the listing's files
    std::vector<Quarantined> quarantined;
    std::vector<std::string> sizesSeen;  // "28x28 gray: 70000", most common first
    // Per kept image and channel, the sum of its pixels and of their squares: exact integers, so
    // the normalisation is the same to the last bit whether the pixels are in memory or not.
    std::vector<std::uint64_t> sums, squares;       // kept.size() x channels
    std::size_t decodedFiles = 0, cachedFiles = 0;  // this scan's work: decoded, or reused
    std::string cacheNote;  // why the scan cache was not used or not written, if it was not
    std::size_t imageBytes() const {
        return static_cast<std::size_t>(channels) * static_cast<std::size_t>(size) *
               static_cast<std::size_t>(size);
    }
};

// progress(done, total) is called on the calling thread about every 100 ms and at the end.
using DecodeProgress = std::function<void(std::size_t done, std::size_t total)>;

// The largest size data.image_size = 0 picks: 96 px, the largest the resnet takes, so that colour
// photos get it under model = auto. At 128 px (the cap before) a review's 450x300 photos went to
// the cnn, which trained at about 6 images/s on this 2-core machine; set data.image_size to go
// larger.
inline constexpr int kMaxAutoImageSize = 96;

// Decodes every listed file, `threads` at a time. Each image is scaled so that its shorter side
// is `size` and then centre-cropped to a square (the aspect is kept; nothing is padded), and
// converted to gray or RGB. With size 0, the size is the median of the images' shorter sides,
// kept between 8 and kMaxAutoImageSize. The pixels are kept when they fit in maxBytes; otherwise
// every file is still decoded once (so a bad one is quarantined now, not mid-epoch) and `streamed`
// is set. With options.cacheDir, a file whose size and modification time match the last scan of the
// same folder is not read again. The result does not depend on the number of threads or on the
// cache. Returns early (with what it has) when `stop` becomes true. Throws DataError when no
// image could be decoded.
DecodedImages decodeImages(const FolderListing& listing, const DecodeOptions& options,
                           std::size_t maxBytes, const DecodeProgress& progress = {},
                           const std::atomic<bool>* stop = nullptr);

// How the parts are made when the folder does not bring them all (data.test_size, data.val_share,
// data.split_seed), and data.limit of the training part.
struct FolderSplit {
    double testShare = 0.2, valShare = 0.1;
    std::uint64_t splitSeed = 42;
    std::int64_t limit = 0;
};
// Each part's decoded images, by position in images.kept: the folder's own train/ (val/) test/,
// and what it lacks carved from train/ by the seed; or all three carved. The run and the New Run
// dialog's preview both ask this, so the preview's counts are the run's. Throws DataError for a
// class without a decodable training image, or too few images to train and test.
struct FolderParts {
    std::vector<std::int64_t> train, val, test;
};
FolderParts folderParts(const FolderListing& listing, const DecodedImages& images,
                        const FolderSplit& split);

// Where folder scans are cached: $RUNBOARD_CACHE_DIR (set but empty: nowhere), else
// $XDG_CACHE_HOME/runboard, else ~/.cache/runboard.
std::string defaultScanCacheDir();

// The folder's images as the gallery shows them, by stable id: each decoded from its file when
// asked (at its own size, at most 512 px on the longer side; gray stays gray), described by its
// path, with the folder's classes. Named by the folder's name and a fingerprint of its file list,
// so flags follow the files. Throws DataError as listImageFolder.
std::unique_ptr<SampleImages> openFolderImages(const std::string& root);

}  // namespace runboard::engine
