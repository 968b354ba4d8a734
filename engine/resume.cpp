#include "engine/resume.h"

#include <fmt/format.h>

#include <fstream>
#include <map>

#include "engine/data/checksum.h"

namespace runboard::engine {
namespace {

std::string_view bytesOf(const torch::Tensor& t) {
    return {static_cast<const char*>(t.data_ptr()),
            static_cast<std::size_t>(t.numel() * t.element_size())};
}

// "54000 samples, CRC-32 1a2b3c4d" over the inputs (or the folder's files), labels and ids.
std::string describePart(const SplitData& part, const Dataset& data) {
    std::string all;
    for (const torch::Tensor& t : {part.labels, part.indices})
        if (t.defined()) all.append(bytesOf(t.contiguous()));
    std::uint32_t crc = crc32Of(all);
    if (part.inputs.defined()) {
        const torch::Tensor inputs = part.inputs.contiguous();
        crc ^= crc32Of(bytesOf(inputs));
    } else if (part.streamed()) {
        crc ^= crc32Of(data.fingerprint);
    }
    return fmt::format("{} samples, CRC-32 {:08x}", part.size(), crc);
}

std::map<std::string, std::string, std::less<>> parse(std::string_view text) {
    std::map<std::string, std::string, std::less<>> out;
    while (!text.empty()) {
        const auto end = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, end);
        const auto tab = line.find('\t');
        if (tab != std::string_view::npos)
            out.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return out;
}

std::string describeKey(std::string_view key) {
    static const std::map<std::string_view, std::string_view> kParts = {
        {"data.train_part", "the training data"}, {"data.val_part", "the validation data"},
        {"data.test_part", "the test data"},      {"data.classes", "the class names"},
        {"model.file", "the model file"},         {"precision", "the precision"},
        {"runtime.threads", "the thread count"}};
    if (const auto it = kParts.find(key); it != kParts.end()) return std::string(it->second);
    return "config key '" + std::string(key.substr(key.find('.') + 1)) + "'";
}

}  // namespace

std::string resumeFingerprint(const config::Config& config, const Dataset& data,
                              std::string_view precision, int threads) {
    std::map<std::string, std::string> lines;
    for (const auto& [key, value] : config.values())
        // What the run learns from: not where it checkpoints or what it profiles.
        if (!key.starts_with("checkpoint.") && !key.starts_with("profile."))
            lines["config." + key] = config::formatValue(value);
    lines["data.train_part"] = describePart(data.train, data);
    lines["data.val_part"] = describePart(data.val, data);
    lines["data.test_part"] = describePart(data.test, data);
    std::string classes;
    for (const auto& c : data.classNames)
        classes.append(classes.empty() ? "" : ", ").append(c);
    lines["data.classes"] = classes;
    lines["precision"] = std::string(precision);
    lines["runtime.threads"] = std::to_string(threads);
    if (const std::string path = config.text("model.path"); !path.empty()) {
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        lines["model.file"] = fmt::format("{} bytes, CRC-32 {:08x}", bytes.size(), crc32Of(bytes));
    }
    std::string out;
    for (const auto& [key, value] : lines)
        out.append(key).append("\t").append(value).append("\n");
    return out;
}

std::vector<std::string> fingerprintDifferences(std::string_view atCheckpoint, std::string_view now,
                                                bool runtime) {
    auto before = parse(atCheckpoint), after = parse(now);
    for (auto* lines : {&before, &after})
        std::erase_if(*lines, [&](const auto& line) {
            return line.first.starts_with("runtime.") != runtime;
        });
    std::vector<std::string> out;
    for (const auto& [key, value] : after) {
        const auto it = before.find(key);
        if (it == before.end())
            out.push_back(describeKey(key) + " is " + value + ", the checkpoint has none");
        else if (it->second != value)
            out.push_back(describeKey(key) + " is " + (value.empty() ? "empty" : value) +
                          ", the checkpoint has " + (it->second.empty() ? "none" : it->second));
    }
    for (const auto& [key, value] : before)
        if (!after.contains(key))
            out.push_back(describeKey(key) + " was " + value + " at the checkpoint, and is gone");
    return out;
}

}  // namespace runboard::engine
