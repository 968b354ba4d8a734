// libFuzzer target: `--set KEY=VALUE` arguments (Config::applyOverride), one per input line.
// Each must apply or throw ConfigError; the config that results must store as JSON, read back
// the same, and its problems() must name each invalid key without throwing.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/config/config.h"

using runboard::config::Config;
using runboard::config::ConfigError;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Config c = Config::defaults();
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view assignment = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        try {
            c.applyOverride(assignment);
        } catch (const ConfigError&) {
        }
    }
    try {
        c.validate();
    } catch (const ConfigError&) {
    }
    Config back = Config::defaults();
    back.mergeJson(c.toJson(), "stored");
    if (!(back == c)) std::abort();
    return 0;
}
