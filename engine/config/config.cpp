#include "engine/config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/config/choices.h"
#include "engine/config/combinations.h"

namespace runboard::config {
namespace {

using nlohmann::json;

// A config file above this size is not a config (the schema's JSON is ~1 KB): without a cap,
// `--config /dev/zero` reads until the process runs out of memory.
constexpr std::size_t kMaxConfigBytes = 1 << 20;

KeySpec str(std::string key, std::string def, std::string help,
            std::vector<std::string> choices = {}) {
    KeySpec k{std::move(key), Type::String, Value(std::move(def)), std::move(help)};
    k.choices = std::move(choices);
    return k;
}
KeySpec optionalStr(std::string key, std::string help) {
    KeySpec k{std::move(key), Type::String, Value(std::string()), std::move(help)};
    k.allowEmpty = true;
    return k;
}
KeySpec integer(std::string key, std::int64_t def, std::string help, double min, double max) {
    return {std::move(key), Type::Int, Value(def), std::move(help), min, max};
}
KeySpec real(std::string key, double def, std::string help, double min, double max,
             bool minEx = false, bool maxEx = false, bool log = false) {
    KeySpec k{std::move(key), Type::Float, Value(def), std::move(help), min, max, minEx, maxEx};
    k.logScale = log;
    return k;
}
KeySpec boolean(std::string key, bool def, std::string help) {
    return {std::move(key), Type::Bool, Value(def), std::move(help)};
}

std::vector<KeySpec> makeSchema() {
    return {
        str("model", "auto",
            "network; auto = mlp for a table, resnet for colour images of 32-96 px, cnn "
            "otherwise (torchscript: your own, see model.path)",
            kModelNames.names()),
        optionalStr("model.path",
                    "model=torchscript: a module saved by torch.jit.script(model).save(PATH)"),
        str("optimizer", "sgd", "optimizer", kOptimizerNames.names()),
        real("lr", 0.1, "learning rate (the peak for onecycle)", 0, 100, true, false, true),
        real("momentum", 0.9, "SGD momentum / Adam beta1", 0, 1, false, true),
        boolean("nesterov", true, "Nesterov momentum (sgd)"),
        real("weight_decay", 5e-4, "L2 weight decay (not applied to biases and norms)", 0, 1),
        integer("batch_size", 128, "mini-batch size", 1, 65536),
        integer("epochs", 15, "number of passes over the train part", 1, 10000),
        str("schedule", "onecycle", "learning-rate schedule", kScheduleNames.names()),
        integer("steplr.step_size", 10, "schedule=step: epochs between decays", 1, 10000),
        real("steplr.gamma", 0.1, "schedule=step: decay factor", 0, 1, true),
        real("onecycle.pct_start", 0.25, "schedule=onecycle: share of steps spent warming up", 0, 1,
             true, true),
        real("onecycle.div_factor", 25, "schedule=onecycle: initial lr = lr / div_factor", 1, 1e6),
        real("onecycle.final_div_factor", 1e4,
             "schedule=onecycle: final lr = initial lr / final_div_factor", 1, 1e9),
        integer("warmup_steps", 50,
                "linear warm-up floor for every schedule: lr x min(1, (step+1)/N) (0 = off)", 0,
                1e9),
        integer("seed", 1, "seed for weights, shuffling and augmentation", 0, 9.007e15),
        integer("threads", 0, "torch threads (0 = OMP_NUM_THREADS or all cores)", 0, 1024),
        real("label_smoothing", 0.1, "label smoothing of the training loss", 0, 1, false, true),
        real("dropout", 0.1, "dropout before the classifier", 0, 1, false, true),
        str("init.head", "default",
            "small = zero bias and small weights in the last layer: the initial loss is ln K",
            kHeadInitNames.names()),
        str("precision", "auto",
            "auto = bf16 autocast where the CPU has native bf16 (AVX512-BF16/AMX), else fp32",
            kPrecisionNames.names()),
        boolean("augment.flip", true, "random horizontal flips"),
        integer("augment.shift", 2, "random shifts of up to N pixels", 0, 8),
        real("augment.erase", 0.25, "probability of random erasing of a patch", 0, 1),
        str("data.source", "fashion-mnist",
            "where samples come from: the IDX files in data.dir, a CSV table in data.path, an "
            "image folder (class sub-folders, optionally inside train/ and test/) in data.dir, "
            "or text (a CSV/TSV in data.path, or class sub-folders of .txt files in data.dir)",
            kDataSourceNames.names()),
        str("data.dir", "/usr/share/datasets/fashion-mnist",
            "fashion-mnist: the directory of the four gzipped IDX files; folder: the image folder; "
            "text: a folder of class sub-folders of .txt files"),
        integer("data.image_size", 0,
                "folder: side of the square images (shorter side scaled to it, then centre-"
                "cropped); 0 = the median of the images' shorter sides, within 8..96",
                0, 1024),
        str("data.channels", "auto", "folder: 1 (gray) or 3 (RGB); auto = 1 if every image is gray",
            kChannelsNames.names()),
        integer("data.cache_mb", 2048,
                "folder: memory for the decoded uint8 pixels; a larger folder is streamed from its "
                "files",
                16, 1 << 20),
        integer("data.workers", 0,
                "folder: threads that scan, and stream a large folder's batches (0 = every core)",
                0, 256),
        optionalStr("data.path",
                    "csv: the CSV file (a header row, one sample per row); text: a CSV or TSV"),
        optionalStr("data.label", "csv and text: the label column (empty = the last column)"),
        optionalStr("data.text", "text: the text column of the CSV/TSV in data.path"),
        str("data.tokens", "word", "text: word or char tokens", kTokenNames.names()),
        integer("data.vocab_size", 20000, "text: the vocabulary's size with <pad> and <unk>", 3,
                1e7),
        integer("data.min_freq", 1, "text: a token rarer than this in training is <unk>", 1, 1e9),
        integer("data.max_len", 256, "text: tokens kept of each sample (the rest is cut)", 1, 1e6),
        boolean("data.bucketing", true, "text: batches of similar length (less padding)"),
        str("data.missing", "refuse",
            "csv: a missing cell (empty, NA, NaN) stops the run, or takes the training mean",
            kMissingNames.names()),
        integer("data.limit", 0,
                "use N samples of the train part (fashion-mnist: the first N; csv and folder: N "
                "drawn by data.split_seed; 0 = all)",
                0, 1e9),
        integer("data.val_size", 5000,
                "fashion-mnist: samples of the 60k training file held out for validation", 0,
                59999),
        real("data.val_share", 0.1,
             "csv and folder: share of the training part held out for validation", 0, 1, false,
             true),
        real("data.test_size", 0.2,
             "csv and folder without a test/ sub-folder: share of the samples held out for test", 0,
             1, true, true),
        integer("data.split_seed", 42, "seed of the train/val split (kept fixed across runs)", 0,
                9.007e15),
        integer("eval_batch_size", 1000, "batch size for validation and test", 1, 65536),
        integer("checkpoint.keep", 3, "how many epoch checkpoints to keep (0 = none)", 0, 1000),
        integer("checkpoint.every_steps", 0,
                "also checkpoint every N steps within an epoch (0 = every 2 minutes of training)",
                0, 1e12),
        boolean("log.predictions", true, "log every val/test prediction with its probabilities"),
        integer(
            "log.grad_norm_every", 10,
            "log the gradient norm on step 1, every N-th step and each epoch's last (0 = never)", 0,
            1e9),
        boolean("checks.enabled", true, "run the pre-flight checklist before training"),
        integer("profile.steps", 0,
                "record N steps with the op profiler: ops, self time, a Chrome trace (0 = off)", 0,
                100000),
        integer("profile.warmup", 5, "profile: steps this process trains before the window", 0,
                1e9),
        integer("profile.trace_mb", 100,
                "profile: the trace file's cap; above it the shortest ops are left out", 1, 4096),
        integer("ddp.world_size", 1,
                "data-parallel processes training this run (runboard train --nproc N, or "
                "--world-size across machines); batch_size is each process's",
                1, 1024),
        real("ddp.timeout", 60,
             "data-parallel: seconds a process waits for the others before the run fails", 1,
             86400),
    };
}

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

[[noreturn]] void unknownKey(std::string_view key) {
    std::string best;
    std::size_t bestDist = 4;
    std::string all;
    for (const auto& k : schema()) {
        // (A key far longer than any in the schema is no typo: skip the quadratic distance.)
        const std::size_t d = key.size() > 64 ? bestDist : editDistance(key, k.key);
        if (d < bestDist) bestDist = d, best = k.key;
        all += (all.empty() ? "" : ", ") + k.key;
    }
    std::string msg = "unknown config key '" + printable(key) + "'";
    if (!best.empty()) msg += "; did you mean '" + best + "'?";
    throw ConfigError(msg + "\nvalid keys: " + all);
}

const KeySpec& specOrThrow(std::string_view key) {
    const KeySpec* spec = findKey(key);
    if (spec == nullptr) unknownKey(key);
    return *spec;
}

std::string describe(const json& j) {
    switch (j.type()) {
        case json::value_t::string:
            return "the string " + j.dump();
        case json::value_t::boolean:
            return "the boolean " + j.dump();
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "the integer " + j.dump();
        case json::value_t::number_float:
            return "the number " + j.dump();
        case json::value_t::null:
            return "null";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "a value";
    }
}

Value fromJson(const KeySpec& spec, const json& j, std::string_view origin) {
    auto wrong = [&]() -> ConfigError {
        return ConfigError(std::string(origin) + ": wrong value type for '" + spec.key +
                           "': expected " + std::string(typeName(spec.type)) + ", got " +
                           printable(describe(j)));
    };
    auto outOfRange = [&]() -> ConfigError {
        return ConfigError(std::string(origin) + ": '" + spec.key +
                           "' is out of range for an int: " + printable(describe(j)));
    };
    switch (spec.type) {
        case Type::Bool:
            if (!j.is_boolean()) throw wrong();
            return j.get<bool>();
        case Type::Int:
            // An unsigned above 2^63-1 would wrap to a negative int64 in get<>.
            if (j.is_number_unsigned()) {
                const auto u = j.get<std::uint64_t>();
                if (u > static_cast<std::uint64_t>(INT64_MAX)) throw outOfRange();
                return static_cast<std::int64_t>(u);
            }
            if (j.is_number_integer()) return j.get<std::int64_t>();
            if (j.is_number_float()) {
                const double d = j.get<double>();
                if (std::floor(d) == d && std::abs(d) < 9e15) return static_cast<std::int64_t>(d);
                if (std::floor(d) == d) throw outOfRange();
            }
            throw wrong();
        case Type::Float:
            if (!j.is_number()) throw wrong();
            return j.get<double>();
        case Type::String:
            if (!j.is_string()) throw wrong();
            return j.get<std::string>();
    }
    throw wrong();
}

// True when some schema key lies under "prefix.": only then can an object there hold keys.
bool isSection(std::string_view prefix) {
    for (const auto& k : schema())
        if (k.key.size() > prefix.size() && k.key.starts_with(prefix) &&
            k.key[prefix.size()] == '.')
            return true;
    return false;
}

void flatten(const json& obj, const std::string& prefix, Config& out, std::string_view origin) {
    for (const auto& [k, v] : obj.items()) {
        const std::string key = prefix.empty() ? k : prefix + "." + k;
        if (v.is_object() && findKey(key) == nullptr) {
            // Recursion only into sections of the schema (two levels today): a file nested
            // 100,000 deep overflowed the stack here before.
            if (!isSection(key)) unknownKey(key);
            flatten(v, key, out, origin);
        } else {
            const KeySpec& spec = specOrThrow(key);
            out.set(key, fromJson(spec, v, origin));
        }
    }
}

json toJsonValue(const Value& v) {
    return std::visit([](const auto& x) { return json(x); }, v);
}

}  // namespace

std::string_view typeName(Type t) {
    switch (t) {
        case Type::Bool:
            return "bool";
        case Type::Int:
            return "int";
        case Type::Float:
            return "float";
        case Type::String:
            return "string";
    }
    return "?";
}

Type typeOf(const Value& value) {
    return static_cast<Type>(value.index());
}

const std::vector<KeySpec>& schema() {
    static const std::vector<KeySpec> s = makeSchema();
    return s;
}

bool isOperational(std::string_view key) {
    // Storage's schema v8 migration marks the same keys in existing databases.
    return key == "threads" || key == "checks.enabled" || key == "log.predictions" ||
           key == "checkpoint.keep" || key == "checkpoint.every_steps" ||
           key == "eval_batch_size" || key == "log.grad_norm_every" || key == "data.workers" ||
           key == "data.cache_mb" || key == "ddp.timeout" || key.starts_with("profile.");
}

const KeySpec* findKey(std::string_view key) {
    for (const auto& k : schema())
        if (k.key == key) return &k;
    return nullptr;
}

Config Config::defaults() {
    Config c;
    for (const auto& k : schema())
        c.values_.emplace(k.key, k.defaultValue);
    return c;
}

const Value& Config::at(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end()) unknownKey(key);
    return it->second;
}

std::int64_t Config::integer(std::string_view key) const {
    return std::get<std::int64_t>(at(key));
}
bool Config::flag(std::string_view key) const {
    return std::get<bool>(at(key));
}
const std::string& Config::text(std::string_view key) const {
    return std::get<std::string>(at(key));
}
double Config::number(std::string_view key) const {
    const Value& v = at(key);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return std::get<double>(v);
}

void Config::set(std::string_view key, Value value) {
    const KeySpec& spec = specOrThrow(key);
    // Configs are stored as JSON, which holds only UTF-8: dump() would throw later on.
    if (const auto* s = std::get_if<std::string>(&value); s && !isValidUtf8(*s))
        throw ConfigError("'" + spec.key + "' is not valid UTF-8: '" + printable(*s) + "'");
    if (spec.type == Type::Float && typeOf(value) == Type::Int)
        value = static_cast<double>(std::get<std::int64_t>(value));
    if (typeOf(value) != spec.type)
        throw ConfigError("wrong value type for '" + spec.key + "': expected " +
                          std::string(typeName(spec.type)) + ", got " +
                          std::string(typeName(typeOf(value))));
    values_.insert_or_assign(spec.key, std::move(value));
}

Value parseValue(const KeySpec& spec, std::string_view text) {
    auto wrong = [&] {
        return ConfigError("wrong value type for '" + spec.key + "': expected " +
                           std::string(typeName(spec.type)) + ", got '" + printable(text) + "'");
    };
    auto outOfRange = [&] {
        return ConfigError(
            "'" + spec.key + "' is out of range: '" + printable(text) + "' does not fit " +
            (spec.type == Type::Int ? "a 64-bit int" : "a double (1e-308 to 1e308)"));
    };
    switch (spec.type) {
        case Type::Bool:
            if (text == "true" || text == "1") return true;
            if (text == "false" || text == "0") return false;
            throw wrong();
        case Type::Int: {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec == std::errc::result_out_of_range && p == text.data() + text.size())
                throw outOfRange();
            if (ec != std::errc() || p != text.data() + text.size() || text.empty()) throw wrong();
            return v;
        }
        case Type::Float: {
            double v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec == std::errc::result_out_of_range && p == text.data() + text.size())
                throw outOfRange();
            if (ec != std::errc() || p != text.data() + text.size() || text.empty()) throw wrong();
            return v;
        }
        case Type::String:
            return std::string(text);
    }
    throw wrong();
}

std::string formatValue(const Value& value) {
    if (const auto* s = std::get_if<std::string>(&value)) return *s;
    if (const auto* d = std::get_if<double>(&value)) {
        char buf[32];  // the shortest text that reads back as the same double: 0.1, 1e-07, 0
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
        return ec == std::errc() ? std::string(buf, end) : std::to_string(*d);
    }
    return toJsonValue(value).dump();
}

void Config::applyOverride(std::string_view assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string_view::npos || eq == 0)
        throw ConfigError("--set expects KEY=VALUE, got '" + printable(assignment) + "'");
    const std::string_view key = assignment.substr(0, eq);
    const KeySpec& spec = specOrThrow(key);
    Value value = parseValue(spec, assignment.substr(eq + 1));
    // No schema key takes NaN or Inf, and JSON cannot hold them: toJson() wrote `--set lr=nan`
    // as null, which did not read back (found by tests/fuzz/fuzz_config_set). Refused here, at
    // the boundary; set() stays a type check, as its callers in the GUI expect (JSON cannot
    // produce NaN, and the editors check values with checkValue() first).
    if (const auto* d = std::get_if<double>(&value); d && !std::isfinite(*d))
        throw ConfigError("'" + spec.key + "' must be finite, got " + formatValue(value));
    set(key, std::move(value));
}

void Config::mergeJson(std::string_view jsonText, std::string_view origin) {
    const std::string where(origin);
    // The dotted key being parsed, from the parser's key events: an out-of-range number is
    // reported by nlohmann without it.
    std::vector<std::string> keys;
    auto track = [&](int depth, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::key && depth > 0) {
            keys.resize(static_cast<std::size_t>(depth));
            keys.back() = parsed.get<std::string>();
        }
        return true;
    };
    auto keyPath = [&] {
        std::string path;
        for (const auto& k : keys)
            if (!k.empty()) path += (path.empty() ? "" : ".") + k;
        return path;
    };
    // Every nlohmann failure becomes a ConfigError here (out_of_range for 1e400 was not a
    // parse_error and reached std::terminate: exit 134).
    try {
        json j;
        try {
            j = json::parse(jsonText, track);
        } catch (const json::out_of_range& e) {
            std::string_view what = e.what();
            const auto open = what.find("parsing '"), close = what.rfind('\'');
            const std::string number = open != std::string_view::npos && close > open + 9
                                           ? std::string(what.substr(open + 9, close - open - 9))
                                           : std::string("a number");
            const std::string key = keyPath();
            throw ConfigError(where + ": " + (key.empty() ? "" : "'" + printable(key) + "': ") +
                              "the number " + printable(number) +
                              " is out of range (beyond the double range, about 1.8e308)");
        } catch (const json::exception& e) {
            std::string_view what = e.what();  // "[json.exception.parse_error.101] parse error..."
            if (what.starts_with("[json.exception.")) what.remove_prefix(what.find(' ') + 1);
            throw ConfigError(where + ": malformed JSON: " + printable(what));
        }
        if (!j.is_object())
            throw ConfigError(where + ": the config must be a JSON object, got " +
                              printable(describe(j)));
        Config merged = *this;  // all or nothing: a bad key leaves this config as it was
        flatten(j, "", merged, origin);
        *this = std::move(merged);
    } catch (const json::exception& e) {
        throw ConfigError(where + ": " + printable(e.what()));
    }
}

std::optional<std::string> checkValue(const KeySpec& spec, const Value& value) {
    if (spec.type == Type::String) {
        const auto& s = std::get<std::string>(value);
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
            std::string list;
            for (const auto& c : spec.choices)
                list += (list.empty() ? "" : ", ") + c;
            return "unknown " + spec.key + " '" + s + "' (choose one of: " + list + ")";
        }
        if (s.empty() && !spec.allowEmpty) return "'" + spec.key + "' must not be empty";
        return std::nullopt;
    }
    if (spec.type == Type::Bool) return std::nullopt;
    const double v = spec.type == Type::Int ? static_cast<double>(std::get<std::int64_t>(value))
                                            : std::get<double>(value);
    const std::string shown = formatValue(value);
    if (!std::isfinite(v)) return "'" + spec.key + "' must be finite, got " + shown;
    if (spec.min) {
        const bool bad = spec.minExclusive ? v <= *spec.min : v < *spec.min;
        if (bad) {
            return "'" + spec.key + "' must be " + (spec.minExclusive ? "> " : ">= ") +
                   formatValue(spec.type == Type::Int ? Value(static_cast<std::int64_t>(*spec.min))
                                                      : Value(*spec.min)) +
                   ", got " + shown;
        }
    }
    if (spec.max) {
        const bool bad = spec.maxExclusive ? v >= *spec.max : v > *spec.max;
        if (bad) {
            return "'" + spec.key + "' must be " + (spec.maxExclusive ? "< " : "<= ") +
                   formatValue(spec.type == Type::Int ? Value(static_cast<std::int64_t>(*spec.max))
                                                      : Value(*spec.max)) +
                   ", got " + shown;
        }
    }
    return std::nullopt;
}

std::vector<std::string> Config::problems() const {
    std::vector<std::string> out;
    for (const auto& spec : schema())
        if (auto p = checkValue(spec, at(spec.key))) out.push_back(*p);
    for (auto& p : combinationProblems(*this))
        out.push_back(std::move(p));
    return out;
}

void Config::validate() const {
    const auto list = problems();
    if (list.empty()) return;
    std::string msg = "invalid config: " + list.front();
    for (std::size_t i = 1; i < list.size(); ++i)
        msg += "\ninvalid config: " + list[i];
    throw ConfigError(msg);
}

std::string Config::toJson() const {
    json j = json::object();
    for (const auto& [k, v] : values_)
        j[k] = toJsonValue(v);
    return j.dump();
}

Config loadConfigFile(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw ConfigError("cannot read config file '" + printable(path) + "': it is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError("cannot read config file '" + printable(path) +
                          "': " + std::strerror(errno));
    // Read at most the cap (+1 to tell): pipes and /dev/zero have no size to check first.
    std::string text(kMaxConfigBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad())
        throw ConfigError("cannot read config file '" + printable(path) + "': read error");
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes)
        throw ConfigError("config file '" + printable(path) + "' is larger than " +
                          std::to_string(kMaxConfigBytes >> 20) + " MB: not a config");
    Config c = Config::defaults();
    c.mergeJson(text, printable(path));
    return c;
}

}  // namespace runboard::config
