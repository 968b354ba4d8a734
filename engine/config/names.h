#pragma once
// One table per enum: each value with the text users type and read. Parsing, printing and the
// config schema's choices read the same table, so a new optimizer, schedule or sweep mode is one
// line in it. Before, the engine had four hand-rolled enum<->text mappings in three styles
// (switch, ternary, loop over values), and the schema listed the choices a fifth time.
// Header-only and dependency-free, so every Torch-free engine library can use it.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runboard::config {

template <typename E, std::size_t N>
struct NameTable {
    std::array<std::pair<E, std::string_view>, N> entries;

    // The text of `value` ("" for a value the table lacks, which a test rules out per table).
    constexpr std::string_view name(E value) const {
        for (const auto& [e, text] : entries)
            if (e == value) return text;
        return {};
    }
    constexpr std::optional<E> parse(std::string_view text) const {
        for (const auto& [e, t] : entries)
            if (t == text) return e;
        return std::nullopt;
    }
    // In table order: the schema's choices and the "choose one of" lists.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : entries)
            out.emplace_back(entry.second);
        return out;
    }
    // "a, b, c" for messages.
    std::string joined() const {
        std::string out;
        for (const auto& entry : entries)
            out.append(out.empty() ? "" : ", ").append(entry.second);
        return out;
    }
};

template <typename E, std::size_t N>
constexpr NameTable<E, N> nameTable(const std::pair<E, std::string_view> (&entries)[N]) {
    NameTable<E, N> table{};
    for (std::size_t i = 0; i < N; ++i)
        table.entries[i] = entries[i];
    return table;
}

}  // namespace runboard::config
