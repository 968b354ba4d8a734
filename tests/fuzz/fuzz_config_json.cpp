// libFuzzer target: a config file's text (Config::mergeJson, as `--config FILE` reads it).
// Any input must merge or throw ConfigError (the CLI's exit 2); a merged config must store as
// JSON and read back as the same config.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/config/config.h"

using runboard::config::Config;
using runboard::config::ConfigError;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Config c = Config::defaults();
    const Config before = c;
    try {
        c.mergeJson(text, "fuzz.json");
    } catch (const ConfigError&) {
        if (!(c == before)) std::abort();  // a failed merge changes nothing
        return 0;
    }
    (void)c.problems();
    Config back = Config::defaults();
    back.mergeJson(c.toJson(), "stored");  // must not throw: what was accepted is storable
    if (!(back == c)) std::abort();
    return 0;
}
