#include "app/terminal_text.h"

#include <cstdint>
#include <cstdio>
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
    char buf[12];
    if (cp < 0x80)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
    else
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    return buf;
}

bool isControl(char32_t cp) {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

}  // namespace

std::string terminalText(std::string_view text, std::size_t maxChars) {
    // Each piece is one shown character (an escape counts as its length), so eliding never
    // splits a code point or an escape.
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        const std::size_t len = decode(text, i, cp);
        if (len == 0) {
            pieces.emplace_back("\xEF\xBF\xBD");  // U+FFFD for one invalid byte
            ++i;
            continue;
        }
        if (isControl(cp)) {
            for (char c : escape(cp))
                pieces.emplace_back(1, c);
        } else {
            pieces.emplace_back(text.substr(i, len));
        }
        i += len;
    }
    std::size_t keep = pieces.size();
    bool elided = false;
    if (maxChars > 0 && pieces.size() > maxChars) {
        keep = maxChars - 1;
        elided = true;
    }
    std::string out;
    for (std::size_t k = 0; k < keep; ++k)
        out += pieces[k];
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
