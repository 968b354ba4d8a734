#include "engine/config/combinations.h"

#include "engine/config/choices.h"

namespace runboard::config {

std::vector<std::string> combinationProblems(const Config& config) {
    // A config may lack keys (Config{} is empty): a missing or non-text key reads as "".
    const auto textOf = [&config](std::string_view key) -> std::string_view {
        const auto it = config.values().find(key);
        const auto* s =
            it != config.values().end() ? std::get_if<std::string>(&it->second) : nullptr;
        return s ? std::string_view(*s) : std::string_view();
    };
    const auto intOf = [&config](std::string_view key) -> std::int64_t {
        const auto it = config.values().find(key);
        const auto* v =
            it != config.values().end() ? std::get_if<std::int64_t>(&it->second) : nullptr;
        return v ? *v : 0;
    };
    std::vector<std::string> out;
    if (textOf("model") == kModelNames.name(ModelKind::TorchScript) && textOf("model.path").empty())
        out.push_back("'model.path' must name the TorchScript file when model = torchscript");
    if (textOf("data.source") == kDataSourceNames.name(DataSource::Folder) &&
        textOf("data.dir") == std::get<std::string>(findKey("data.dir")->defaultValue))
        out.push_back(
            "'data.dir' must name the image folder when data.source = folder (the default is "
            "Fashion-MNIST's IDX directory)");
    if (const std::int64_t size = intOf("data.image_size"); size > 0 && size < 8)
        out.push_back(
            "'data.image_size' must be 0 (from the images) or at least 8 px (the cnn and "
            "the resnet halve an image three times), got " +
            std::to_string(size));
    if (textOf("data.source") == kDataSourceNames.name(DataSource::Csv)) {
        if (textOf("data.path").empty())
            out.push_back("'data.path' must name the CSV file when data.source = csv");
        if (textOf("model") == kModelNames.name(ModelKind::Cnn) ||
            textOf("model") == kModelNames.name(ModelKind::ResNet))
            out.push_back("'model' = " + std::string(textOf("model")) +
                          " needs images, and data.source = csv gives table rows: use model = "
                          "mlp (or torchscript)");
    }
    const bool text = textOf("data.source") == kDataSourceNames.name(DataSource::Text);
    if (text && textOf("data.path").empty() &&
        textOf("data.dir") == std::get<std::string>(findKey("data.dir")->defaultValue))
        out.push_back(
            "data.source = text needs 'data.path' (a CSV or TSV with a text column) or "
            "'data.dir' (a folder of class sub-folders of .txt files)");
    if (text && !textOf("data.path").empty() && textOf("data.text").empty())
        out.push_back("'data.text' must name the text column of data.path when data.source = text");
    const auto model = kModelNames.parse(textOf("model"));
    if (model && isTextModel(*model) && !text)
        out.push_back("'model' = " + std::string(textOf("model")) +
                      " reads text: set data.source = text");
    if (text && model && *model != ModelKind::Auto && !isTextModel(*model) &&
        *model != ModelKind::TorchScript)
        out.push_back("'model' = " + std::string(textOf("model")) +
                      " cannot read text: use model = textcnn or gru (or auto)");
    return out;
}

}  // namespace runboard::config
