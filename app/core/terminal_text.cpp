#include "app/core/terminal_text.h"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

namespace runboard::app {
namespace {

// Decodes one code point at s[i]; returns its length, or 0 for an invalid sequence (overlong
// forms, surrogates and values above U+10FFFF are invalid).
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0)
        len = 2, cp = b0 & 0x1F, min = 0x80;
    else if ((b0 & 0xF0) == 0xE0)
        len = 3, cp = b0 & 0x0F, min = 0x800;
    else if ((b0 & 0xF8) == 0xF0)
        len = 4, cp = b0 & 0x07, min = 0x10000;
    else
        return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

std::string escape(char32_t cp) {
    switch (cp) {
        case '\n':
            return "\\n";
        case '\t':
            return "\\t";
        case '\r':
            return "\\r";
        default:
            break;
    }
    return cp < 0x80 ? fmt::format("\\x{:02x}", static_cast<unsigned>(cp))
                     : fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
}

bool isControl(char32_t cp) {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

// Characters that print nothing or reorder what follows, so a name can look like another one
// (Trojan Source, CVE-2021-42574): bidi embeddings, overrides and isolates, the directional
// marks, zero-width spaces and joiners, word joiner and invisible operators, the BOM, the soft
// hyphen, line and paragraph separators (line breaks to some terminals) and the other
// invisible format characters.
bool isInvisible(char32_t cp) {
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160 ||
           cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206F) || cp == 0x3164 ||
           cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

// One displayed unit: a character, or a whole escape (\x1b, \u202e), and how many columns
// it takes (code points; every escape is ASCII).
struct Unit {
    std::string text;
    std::size_t width = 1;
};

}  // namespace

std::string terminalText(std::string_view text, std::size_t maxChars) {
    std::vector<Unit> units;
    std::size_t total = 0;
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        const std::size_t len = decode(text, i, cp);
        if (len == 0) {
            units.push_back({"\xEF\xBF\xBD", 1});  // U+FFFD for one invalid byte
            ++i;
        } else if (isControl(cp) || isInvisible(cp)) {
            std::string e = escape(cp);
            const std::size_t width = e.size();
            units.push_back({std::move(e), width});
            i += len;
        } else {
            units.push_back({std::string(text.substr(i, len)), 1});
            i += len;
        }
        total += units.back().width;
    }
    // Elided on whole units: a cut never splits a code point or an escape it produced, and the
    // result with its "…" is at most maxChars columns.
    std::size_t keep = units.size();
    const bool elided = maxChars > 0 && total > maxChars;
    if (elided) {
        std::size_t used = 0;
        for (keep = 0; keep < units.size() && used + units[keep].width <= maxChars - 1; ++keep)
            used += units[keep].width;
    }
    std::string out;
    for (std::size_t k = 0; k < keep; ++k)
        out += units[k].text;
    if (elided) out += "\xE2\x80\xA6";  // …
    return out;
}

std::size_t codePoints(std::string_view utf8) {
    std::size_t n = 0;
    for (unsigned char c : utf8)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string padRight(const std::string& text, std::size_t width) {
    const std::size_t n = codePoints(text);
    return n >= width ? text : text + std::string(width - n, ' ');
}

}  // namespace runboard::app
