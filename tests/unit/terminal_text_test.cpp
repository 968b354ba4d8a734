// terminalText (issue 13 review): elision never cuts an escape it produced or a character in
// half, and bidi controls and invisible characters are escaped visibly, so a run name cannot
// reorder or hide what a terminal shows (Trojan Source). Checked by hand on the cases found and
// against a brute-force reference on random strings of hostile pieces.

#include "app/core/terminal_text.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using runboard::app::codePoints;
using runboard::app::terminalText;

namespace {

// Code points of UTF-8 that must be valid (fails the test otherwise); an independent decoder.
std::vector<char32_t> decodeAll(const std::string& s) {
    std::vector<char32_t> out;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t n = b < 0x80 ? 1 : b >= 0xF0 && b < 0xF5 ? 4 : b >= 0xE0 ? 3 : 2;
        EXPECT_FALSE(b >= 0x80 && b < 0xC2) << "invalid lead byte in " << s;
        EXPECT_LE(i + n, s.size()) << "truncated character in " << s;
        if (b >= 0x80 && b < 0xC2) return out;
        if (i + n > s.size()) return out;
        char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            EXPECT_EQ(c & 0xC0, 0x80) << "bad continuation in " << s;
            cp = (cp << 6) | (c & 0x3F);
        }
        out.push_back(cp);
        i += n;
    }
    return out;
}

// What must never reach a terminal raw: C0, DEL, C1, and the reordering or invisible characters.
bool forbidden(char32_t cp) {
    const std::vector<std::pair<char32_t, char32_t>> ranges = {
        {0x00, 0x1F},     {0x7F, 0x9F},     {0xAD, 0xAD},     {0x061C, 0x061C}, {0x200B, 0x200F},
        {0x2028, 0x202E}, {0x2060, 0x2064}, {0x2066, 0x2069}, {0xFEFF, 0xFEFF}};
    for (const auto& [lo, hi] : ranges)
        if (cp >= lo && cp <= hi) return true;
    return false;
}

// A piece of input with what it must look like, unit by unit (one character or one escape).
struct Piece {
    std::string bytes;
    std::vector<std::string> shown;
};

const std::vector<Piece>& pieces() {
    static const std::vector<Piece> p = {
        {"a", {"a"}},
        {"Z", {"Z"}},
        {" ", {" "}},
        {"\\", {"\\"}},
        {"\x1b", {"\\x1b"}},
        {"\a", {"\\x07"}},
        {"\n", {"\\n"}},
        {"\t", {"\\t"}},
        {"\x7f", {"\\x7f"}},
        {"\xc2\x85", {"\\u0085"}},                                           // NEL (C1)
        {"\xc3\xa9", {"\xc3\xa9"}},                                          // é
        {"\xe4\xb8\xad", {"\xe4\xb8\xad"}},                                  // 中
        {"\xf0\x9f\x98\x80", {"\xf0\x9f\x98\x80"}},                          // 😀
        {"\xe2\x80\xae", {"\\u202e"}},                                       // RLO
        {"\xe2\x80\xaa", {"\\u202a"}},                                       // LRE
        {"\xe2\x81\xa6", {"\\u2066"}},                                       // LRI
        {"\xe2\x81\xa9", {"\\u2069"}},                                       // PDI
        {"\xe2\x80\x8e", {"\\u200e"}},                                       // LRM
        {"\xe2\x80\x8f", {"\\u200f"}},                                       // RLM
        {"\xd8\x9c", {"\\u061c"}},                                           // ALM
        {"\xe2\x80\x8b", {"\\u200b"}},                                       // zero-width space
        {"\xe2\x80\x8d", {"\\u200d"}},                                       // ZWJ
        {"\xe2\x81\xa0", {"\\u2060"}},                                       // word joiner
        {"\xef\xbb\xbf", {"\\ufeff"}},                                       // BOM
        {"\xc2\xad", {"\\u00ad"}},                                           // soft hyphen
        {"\xff", {"\xef\xbf\xbd"}},                                          // never valid
        {"\xc0\xaf", {"\xef\xbf\xbd", "\xef\xbf\xbd"}},                      // overlong '/'
        {"\xed\xa0\x80", {"\xef\xbf\xbd", "\xef\xbf\xbd", "\xef\xbf\xbd"}},  // a surrogate
        {"\xe2\x82", {"\xef\xbf\xbd", "\xef\xbf\xbd"}},  // truncated (no piece starts with a
                                                         // continuation byte to complete it)
    };
    return p;
}

// The reference: every unit's text in order; elided, the longest prefix of whole units that fits
// in maxChars - 1 columns (found by trying every prefix), then "…".
std::string reference(const std::vector<std::string>& units, std::size_t maxChars) {
    std::size_t total = 0;
    for (const auto& u : units)
        total += codePoints(u);
    std::string all;
    for (const auto& u : units)
        all += u;
    if (maxChars == 0 || total <= maxChars) return all;
    for (std::size_t k = units.size() + 1; k-- > 0;) {
        std::string prefix;
        std::size_t width = 0;
        for (std::size_t j = 0; j < k; ++j) {
            prefix += units[j];
            width += codePoints(units[j]);
        }
        if (width <= maxChars - 1) return prefix + "\xe2\x80\xa6";
    }
    return "\xe2\x80\xa6";
}

}  // namespace

TEST(TerminalText, EscapesBidiControlsAndInvisibleCharactersVisibly) {
    // "admin" shown reversed by U+202E would read as another run's name.
    EXPECT_EQ(terminalText("run\xe2\x80\xae"
                           "nimda"),
              "run\\u202enimda");
    EXPECT_EQ(terminalText("a\xe2\x81\xa6"
                           "b\xe2\x81\xa9"),
              "a\\u2066b\\u2069");
    EXPECT_EQ(terminalText("base\xe2\x80\x8b"), "base\\u200b") << "a zero-width twin of 'base'";
    EXPECT_EQ(terminalText("\xef\xbb\xbfx\xc2\xad"), "\\ufeffx\\u00ad");
    EXPECT_EQ(terminalText("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f"), "\\u061c\\u200e\\u200f");
    // Visible non-ASCII text is kept as it is.
    EXPECT_EQ(terminalText("caf\xc3\xa9 \xe4\xb8\xad \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"),
              "caf\xc3\xa9 \xe4\xb8\xad \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
}

TEST(TerminalText, ElisionNeverCutsAnEscapeOrACharacter) {
    // "ab" + ESC is shown as "ab\x1b" (6 columns): at 5 the escape goes whole, not "ab\x" + "…".
    EXPECT_EQ(terminalText("ab\x1b"
                           "cd",
                           5),
              "ab\xe2\x80\xa6");
    EXPECT_EQ(terminalText("ab\x1b"
                           "cd",
                           7),
              "ab\\x1b\xe2\x80\xa6");
    EXPECT_EQ(terminalText("ab\x1b", 6), "ab\\x1b") << "fits exactly: not elided";
    EXPECT_EQ(terminalText("x\xe2\x80\xae"
                           "yz",
                           6),
              "x\xe2\x80\xa6");
    // Multi-byte characters are kept or dropped whole.
    EXPECT_EQ(terminalText("\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad", 2), "\xe4\xb8\xad\xe2\x80\xa6");
    EXPECT_EQ(terminalText("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1), "\xe2\x80\xa6");
    EXPECT_EQ(terminalText("abc", 0), "abc");
}

TEST(TerminalText, MatchesABruteForceReferenceOnRandomHostileStrings) {
    std::mt19937 rng(20261201);
    const auto& p = pieces();
    std::uniform_int_distribution<std::size_t> pick(0, p.size() - 1), length(0, 14), width(0, 30);
    for (int round = 0; round < 20000; ++round) {
        std::string input;
        std::vector<std::string> units;
        for (std::size_t n = length(rng); n-- > 0;) {
            const Piece& piece = p[pick(rng)];
            input += piece.bytes;
            units.insert(units.end(), piece.shown.begin(), piece.shown.end());
        }
        const std::size_t maxChars = round % 4 == 0 ? 0 : width(rng);
        const std::string out = terminalText(input, maxChars);
        ASSERT_EQ(out, reference(units, maxChars))
            << "input of " << input.size() << " bytes, maxChars " << maxChars;
        const std::vector<char32_t> cps = decodeAll(out);
        for (char32_t cp : cps)
            ASSERT_FALSE(forbidden(cp)) << "U+" << std::hex << static_cast<unsigned>(cp);
        if (maxChars > 0) {
            ASSERT_LE(cps.size(), maxChars);
        }
    }
}
