// Text helpers for config values and messages: UTF-8 validity and a printable form of
// anyone's bytes.

#include <fmt/format.h>

#include "engine/config/config.h"

namespace runboard::config {
namespace {

// Length of the valid UTF-8 sequence at the start of s (1-4), or 0 when it is not one.
std::size_t utf8Length(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xBF) return 0;
    return n;
}

}  // namespace

bool isValidUtf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8Length(text.substr(i));
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string printable(std::string_view text, std::size_t maxBytes) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (out.size() >= maxBytes) {
            out += "...";
            break;
        }
        const std::size_t n = utf8Length(text.substr(i));
        const auto c = static_cast<unsigned char>(text[i]);
        const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if (n == 0 || c < 0x20 || c == 0x7F || c1) {
            // Control characters (ESC, BEL, C1) and broken UTF-8 never reach a terminal raw.
            const unsigned v = c1 ? static_cast<unsigned char>(text[i + 1]) : c;
            out += c1 ? fmt::format("\\u{:04x}", v) : fmt::format("\\x{:02x}", v);
            i += c1 ? 2 : 1;
            continue;
        }
        out.append(text, i, n);
        i += n;
    }
    return out;
}

}  // namespace runboard::config
