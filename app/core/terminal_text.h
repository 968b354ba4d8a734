#pragma once
// Text from the database on a terminal. Names, notes, messages and imported team names are
// anyone's bytes: a newline or tab in a run's name broke `runboard runs` into extra rows, ESC and
// BEL from an imported leaderboard reached the terminal, and a fixed 256-byte buffer cut a long
// name inside a UTF-8 character. Everything printed in a table goes through terminalText(), and
// so does every stored string `runboard compare` prints.

#include <cstddef>
#include <string>
#include <string_view>

namespace runboard::app {

// Valid UTF-8 always: invalid bytes become U+FFFD; control characters (C0, DEL, C1) are
// escaped as \n, \t, \r, \\ stays, others \xHH (C1 as \u0085...); bidi controls and invisible
// characters (U+202A-U+202E, U+2066-U+2069, U+200B-U+200F, U+061C, U+2060, U+FEFF, U+00AD and
// the like), which could make one name look like another, are escaped as \u202e. At most
// maxChars code points: longer text is elided with "…" on whole characters and whole escapes
// (0 = no limit).
std::string terminalText(std::string_view text, std::size_t maxChars = 0);

// The number of code points of valid UTF-8 (for padding columns).
std::size_t codePoints(std::string_view utf8);

// text padded with spaces to `width` code points (never cut).
std::string padRight(const std::string& text, std::size_t width);

}  // namespace runboard::app
