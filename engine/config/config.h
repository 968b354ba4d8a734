#pragma once
// The run configuration: a flat map of dotted keys, its schema and its validation.
// Torch-free and Qt-free so that the CLI, the engine and the GUI share one set of rules and
// one set of error messages.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace runboard::config {

using Value = std::variant<bool, std::int64_t, double, std::string>;
enum class Type { Bool, Int, Float, String };
std::string_view typeName(Type t);  // bool | int | float | string

struct KeySpec {
    std::string key;
    Type type;
    Value defaultValue;
    std::string help;
    std::optional<double> min, max;    // inclusive bounds for numbers
    bool minExclusive = false;         // e.g. lr > 0
    bool maxExclusive = false;         // e.g. momentum < 1
    std::vector<std::string> choices;  // for strings with a fixed set of values
    bool logScale = false;             // a hint for editors (learning rates)
    bool allowEmpty = false;           // strings: "" means "not set" (data.path, data.label)
};

// Every key the engine understands, in display order.
const std::vector<KeySpec>& schema();
const KeySpec* findKey(std::string_view key);
// Keys that change how a run executes, not what it learns (threads, the checklist, prediction
// logging, checkpoints kept, the evaluation batch): lineage does not count them as changes.
bool isOperational(std::string_view key);

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Config {
public:
    static Config defaults();

    const Value& at(std::string_view key) const;
    std::int64_t integer(std::string_view key) const;
    double number(std::string_view key) const;  // int or float keys
    bool flag(std::string_view key) const;
    const std::string& text(std::string_view key) const;

    // Sets a value, checking the key exists and the type fits (no range checks: see validate()).
    void set(std::string_view key, Value value);
    // "KEY=VALUE" as given to --set, the value parsed by the key's type.
    void applyOverride(std::string_view assignment);
    // Merges a JSON object (nested objects or dotted keys) over this config.
    void mergeJson(std::string_view jsonText, std::string_view origin);

    // The keys that name files or folders (data.dir, data.path, model.path) made absolute
    // against the current directory, so that a stored run names the same files from anywhere
    // (a review found a run's "data.path = iris.csv" meaningful only in the shell it ran from).
    // Empty values and the defaults stay as they are.
    void makePathsAbsolute();
    // All violations of ranges and choices, each naming the key; empty when valid.
    std::vector<std::string> problems() const;
    void validate() const;  // throws ConfigError with every problem, one per line

    const std::map<std::string, Value, std::less<>>& values() const { return values_; }
    // The flat config as a JSON object with dotted keys, sorted (stable for storage and diffs).
    std::string toJson() const;
    bool operator==(const Config&) const = default;

private:
    std::map<std::string, Value, std::less<>> values_;
};

// The problem with one value for one key, or nullopt; the CLI and the GUI's inline validation
// use the same text.
std::optional<std::string> checkValue(const KeySpec& spec, const Value& value);
// Parses text as the key's type ("0.1" for floats, "true" for bools); throws ConfigError.
Value parseValue(const KeySpec& spec, std::string_view text);
std::string formatValue(const Value& value);
Type typeOf(const Value& value);

// Defaults merged with the file. Every failure (missing, a directory, over 1 MB, malformed JSON,
// a number beyond the double range, unknown keys, wrong types) is a ConfigError naming the file
// and, where there is one, the key: nothing from the JSON parser escapes.
Config loadConfigFile(const std::string& path);

// Whether text is well-formed UTF-8 (no overlongs, surrogates or bytes above U+10FFFF).
bool isValidUtf8(std::string_view text);
// Text for messages: control characters (C0, DEL, C1) and bytes that are not UTF-8 as \xNN or
// \uNNNN, so a key or value typed with ESC or BEL cannot drive the terminal; cut after about
// maxBytes with "...".
std::string printable(std::string_view text, std::size_t maxBytes = 200);

}  // namespace runboard::config
