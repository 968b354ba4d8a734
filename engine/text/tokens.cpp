#include "engine/text/tokens.h"

namespace runboard::engine::text {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at `at` with its code point, or 0 when invalid.
std::size_t sequence(std::string_view s, std::size_t at, char32_t& cp) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(at);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t n = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        n = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        n = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        n = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (at + n > s.size()) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(at + i) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

bool isAsciiAlnum(char32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isSpace(char32_t c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

// Punctuation and symbols beyond ASCII that are tokens of their own in word mode: Latin-1's
// (U+00A1-U+00BF, x, division), general punctuation (U+2010-U+205E: dashes, quotes, ellipsis),
// CJK punctuation (U+3001-U+303F) and fullwidth ASCII punctuation.
bool isWideSymbol(char32_t c) {
    return (c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2010 && c <= 0x205E) ||
           (c >= 0x3001 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || c == 0xFFFD;
}

bool isWordChar(char32_t c) {
    return isAsciiAlnum(c) || (c > 0x7F && !isSpace(c) && !isWideSymbol(c));
}

}  // namespace

std::string validUtf8(std::string_view s, std::size_t* replaced) {
    std::string out;
    out.reserve(s.size());
    std::size_t count = 0;
    for (std::size_t at = 0; at < s.size();) {
        char32_t cp = 0;
        const std::size_t n = sequence(s, at, cp);
        if (n == 0) {
            out += kReplacement;
            ++count;
            ++at;  // resynchronise on the next byte
            continue;
        }
        out.append(s.substr(at, n));
        at += n;
    }
    if (replaced != nullptr) *replaced = count;
    return out;
}

std::vector<std::string> tokenize(std::string_view text, TokenMode mode) {
    std::vector<std::string> out;
    std::string word;
    const auto flush = [&] {
        if (!word.empty()) out.push_back(std::move(word));
        word.clear();
    };
    for (std::size_t at = 0; at < text.size();) {
        char32_t cp = 0;
        std::size_t n = sequence(text, at, cp);
        if (n == 0) n = 1, cp = 0xFFFD;  // invalid input: one byte, as a replacement
        const std::string_view piece = text.substr(at, n);
        at += n;
        if (mode == TokenMode::Char) {
            out.emplace_back(cp == 0xFFFD && piece.size() == 1 ? kReplacement : piece);
            continue;
        }
        if (isWordChar(cp)) {
            if (cp >= 'A' && cp <= 'Z')
                word += static_cast<char>(cp - 'A' + 'a');
            else
                word.append(piece);
        } else {
            flush();
            if (!isSpace(cp)) out.emplace_back(cp == 0xFFFD ? kReplacement : piece);
        }
    }
    flush();
    return out;
}

}  // namespace runboard::engine::text
