#pragma once
// A dataset's samples as people look at them: a sample by its stable id (the index in the IDX
// file, the row of a CSV table, the path hash of an image folder's file) as an image, as the
// values of its table row, or as its text, and the class names. Train and validation samples both
// come from the training part, so a sample keeps its identity across splits, epochs and runs. Three
// implementations: the IDX files here, CSV tables (openTableSamples, engine/data/tabular.h),
// image folders (openFolderImages, engine/images/image_folder.h) and text
// (openTextSamples, engine/text/text_samples.h).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace runboard::engine {

enum class FilePart { Train, Test };

// "train" and "val" -> Train, "test" -> Test; throws DataError for anything else.
FilePart filePartOf(std::string_view split);
std::string_view filePartName(FilePart part);  // "train" | "test"

// The four files of an IDX dataset directory.
std::string idxImagesPath(const std::string& dir, FilePart part);
std::string idxLabelsPath(const std::string& dir, FilePart part);

const std::vector<std::string>& fashionMnistClassNames();

// What label flags of IDX data are keyed by: the dataset directory's last component
// ("fashion-mnist").
std::string datasetName(const std::string& dir);

struct SampleImage {
    int width = 0, height = 0;
    int channels = 1;                  // 1: gray; 3: RGB
    std::vector<std::uint8_t> pixels;  // row-major, channels interleaved, 0 = black
    bool empty() const { return pixels.empty(); }
};

// A table row's cells, as the file has them: (column, value), the label's column last.
using SampleFields = std::vector<std::pair<std::string, std::string>>;

class SampleImages {
public:
    virtual ~SampleImages() = default;
    virtual std::int64_t count(FilePart part) const = 0;
    // Empty when the index is out of range, or the samples are no images.
    virtual SampleImage image(FilePart part, std::int64_t index) const = 0;
    // A table row's cells; empty for images.
    virtual SampleFields fields(FilePart, std::int64_t) const { return {}; }
    // A text sample's whole text (valid UTF-8); empty for images and table rows.
    virtual std::string text(FilePart, std::int64_t) const { return {}; }
    // Where the sample is, in the user's words ("row 17", "cat/001.png"); "#index" by default.
    virtual std::string describe(FilePart, std::int64_t index) const {
        std::string out = "#";  // (append: GCC 12 warns falsely on "#" + to_string, -Wrestrict)
        return out.append(std::to_string(index));
    }
    virtual const std::vector<std::string>& classNames() const = 0;
    // What label flags are keyed by: the dataset's name, and for tables and folders a
    // fingerprint of the file's contents or the file list ("iris.csv#1a2b3c4d").
    virtual const std::string& name() const = 0;
};

// The images of an IDX dataset directory. Throws DataError naming a missing file; each file is
// read when first needed (a corrupt one throws DataError then), once, thread-safely. Its classes
// are Fashion-MNIST's, as the engine's for IDX data.
std::unique_ptr<SampleImages> openIdxImages(const std::string& dir);

}  // namespace runboard::engine
