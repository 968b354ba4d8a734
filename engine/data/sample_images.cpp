#include "engine/data/sample_images.h"

#include <filesystem>
#include <mutex>

#include "engine/data/idx.h"
#include "engine/errors.h"

namespace runboard::engine {

FilePart filePartOf(std::string_view split) {
    if (split == "train" || split == "val") return FilePart::Train;
    if (split == "test") return FilePart::Test;
    throw DataError("unknown split '" + std::string(split) + "' (expected train, val or test)");
}

std::string_view filePartName(FilePart part) {
    return part == FilePart::Train ? "train" : "test";
}

std::string idxImagesPath(const std::string& dir, FilePart part) {
    return (std::filesystem::path(dir) /
            (part == FilePart::Train ? "train-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz"))
        .string();
}

std::string idxLabelsPath(const std::string& dir, FilePart part) {
    return (std::filesystem::path(dir) /
            (part == FilePart::Train ? "train-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte.gz"))
        .string();
}

const std::vector<std::string>& fashionMnistClassNames() {
    static const std::vector<std::string> names = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

std::string datasetName(const std::string& dir) {
    std::filesystem::path p(dir);
    while (p.has_relative_path() && p.filename().empty())
        p = p.parent_path();  // "a/b/" -> "a/b"
    const std::string name = p.filename().string();
    return name.empty() ? dir : name;
}

namespace {

// Each file is read on first use (the test gallery never needs the 47 MB training images), once,
// from any thread.
class IdxImages : public SampleImages {
public:
    explicit IdxImages(const std::string& dir) : dir_(dir), name_(datasetName(dir)) {
        for (FilePart part : {FilePart::Train, FilePart::Test})
            if (!std::filesystem::exists(idxImagesPath(dir, part)))
                throw DataError("dataset file '" + idxImagesPath(dir, part) + "' does not exist");
    }

    std::int64_t count(FilePart part) const override { return array(part).dims[0]; }

    SampleImage image(FilePart part, std::int64_t index) const override {
        const IdxArray& a = array(part);
        if (index < 0 || index >= static_cast<std::int64_t>(a.dims[0])) return {};
        SampleImage img;
        img.height = static_cast<int>(a.dims[1]);
        img.width = static_cast<int>(a.dims[2]);
        const auto size =
            static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height);
        const auto begin = a.data.begin() + static_cast<std::ptrdiff_t>(size) * index;
        img.pixels.assign(begin, begin + static_cast<std::ptrdiff_t>(size));
        return img;
    }

    const std::vector<std::string>& classNames() const override {
        return fashionMnistClassNames();  // the engine's classes for IDX data
    }
    const std::string& name() const override { return name_; }

private:
    const IdxArray& array(FilePart part) const {
        const int i = part == FilePart::Train ? 0 : 1;
        std::call_once(loaded_[i], [&] { parts_[i] = readIdx(idxImagesPath(dir_, part), 3); });
        return parts_[i];
    }

    std::string dir_, name_;
    mutable std::once_flag loaded_[2];
    mutable IdxArray parts_[2];
};

}  // namespace

std::unique_ptr<SampleImages> openIdxImages(const std::string& dir) {
    return std::make_unique<IdxImages>(dir);
}

}  // namespace runboard::engine
