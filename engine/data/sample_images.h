#pragma once
// A dataset's samples as people look at them: the image of a sample by its index in the original
// file, and the class names. Train and validation samples both come from the training file, so a
// sample keeps its identity across splits, epochs and runs. The IDX files (the MNIST family) are
// one implementation; a folder of image files would be another behind the same interface.

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

// What label flags are keyed by: the dataset directory's last component ("fashion-mnist").
std::string datasetName(const std::string& dir);

struct SampleImage {
    int width = 0, height = 0;
    std::vector<std::uint8_t> gray;  // row-major, 0 = black
    bool empty() const { return gray.empty(); }
};

class SampleImages {
public:
    virtual ~SampleImages() = default;
    virtual std::int64_t count(FilePart part) const = 0;
    // Empty when the index is out of range.
    virtual SampleImage image(FilePart part, std::int64_t index) const = 0;
    virtual const std::vector<std::string>& classNames() const = 0;
    virtual const std::string& name() const = 0;  // datasetName()
};

// The images of an IDX dataset directory. Throws DataError naming a missing file; each file is
// read when first needed (a corrupt one throws DataError then), once, thread-safely. Its classes
// are Fashion-MNIST's, as the engine's for IDX data.
std::unique_ptr<SampleImages> openIdxImages(const std::string& dir);

}  // namespace runboard::engine
