#include "engine/text/text_samples.h"

#include "engine/text/text_source.h"

namespace runboard::engine::text {

namespace {

class TextSampleSet : public SampleImages {
public:
    explicit TextSampleSet(TextSamples samples) : s_(std::move(samples)) {}
    std::int64_t count(FilePart) const override { return static_cast<std::int64_t>(s_.size()); }
    SampleImage image(FilePart, std::int64_t) const override { return {}; }
    std::string text(FilePart, std::int64_t i) const override {
        if (i < 0 || i >= count(FilePart::Train)) return {};
        return s_.texts[static_cast<std::size_t>(i)];
    }
    std::string describe(FilePart, std::int64_t i) const override {
        if (i < 0 || i >= count(FilePart::Train)) {
            std::string out = "#";  // (append: GCC 12 warns falsely on "#" + to_string)
            return out.append(std::to_string(i));
        }
        return s_.where[static_cast<std::size_t>(i)];
    }
    const std::vector<std::string>& classNames() const override { return s_.classNames; }
    const std::string& name() const override { return s_.name; }

private:
    TextSamples s_;
};

}  // namespace

std::unique_ptr<SampleImages> openTextSamples(const std::string& path, const std::string& dir,
                                              const std::string& textColumn,
                                              const std::string& labelColumn) {
    return std::make_unique<TextSampleSet>(
        path.empty() ? readTextFolder(dir) : readTextTable(path, textColumn, labelColumn));
}

}  // namespace runboard::engine::text
