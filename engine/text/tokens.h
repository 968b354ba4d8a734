#pragma once
// Text into tokens. Input is anyone's bytes: invalid UTF-8 is replaced by U+FFFD and counted,
// never a reason to stop (a review found a CSV with one Latin-1 line among 5,000 UTF-8 ones).
//   char: one token per code point, whitespace included (it separates words);
//   word: lower-cased runs of letters and digits, each other visible code point a token of its
//         own ("don't!" -> don ' t !), whitespace dropped. Letters are ASCII letters and every
//         code point above U+007F that is not punctuation or a space (Unicode's categories would
//         need ICU for a tokenizer that is a baseline, not a linguistic tool); lower-casing is
//         ASCII's.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace runboard::engine::text {

enum class TokenMode { Char, Word };

// The text with each invalid UTF-8 sequence (a stray continuation byte, a truncated or overlong
// sequence, a surrogate, a code point above U+10FFFF) replaced by U+FFFD; `replaced` counts them.
std::string validUtf8(std::string_view bytes, std::size_t* replaced = nullptr);

// Tokens of valid UTF-8 (validUtf8 first for anything else).
std::vector<std::string> tokenize(std::string_view text, TokenMode mode);

}  // namespace runboard::engine::text
