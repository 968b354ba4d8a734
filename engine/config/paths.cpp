// Config::makePathsAbsolute: the keys that name files, resolved against the current directory
// when a run is made (config.h says why).

#include <filesystem>
#include <string>
#include <system_error>
#include <variant>

#include "engine/config/config.h"

namespace runboard::config {

void Config::makePathsAbsolute() {
    for (const char* key : {"data.dir", "data.path", "model.path"}) {
        auto it = values_.find(std::string_view(key));
        auto* text = it == values_.end() ? nullptr : std::get_if<std::string>(&it->second);
        if (text == nullptr || text->empty()) continue;
        std::error_code error;
        const auto absolute = std::filesystem::absolute(*text, error);
        if (!error) *text = absolute.lexically_normal().string();
    }
}

}  // namespace runboard::config
