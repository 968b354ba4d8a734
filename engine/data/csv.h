#pragma once
// A CSV reader (and field writer) for files people download (RFC 4180 and what spreadsheets and
// Kaggle write): a UTF-8 BOM, LF or CRLF line ends, quoted fields with commas, doubled quotes and
// line breaks inside. Plain C++, no Qt: CSV datasets, the leaderboard importer, their fuzz tests
// and the CSV exports use it. Errors are storage/result.h's values (a plain header, nothing to
// link), so every reader of files reports in the project's one error vocabulary.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"

namespace runboard::engine {

struct CsvRecord {
    std::size_t line = 0;  // 1-based line where the record starts
    std::vector<std::string> fields;
};

// Every record, empty lines skipped. Fails (naming the line) on an unterminated quote or on text
// after a closing quote.
storage::Result<std::vector<CsvRecord>> parseCsv(std::string_view text);

// One field as written: quoted (quotes doubled) when it holds a comma, quote or line break.
// For numbers and fixed names; text from users or files goes through csvTextField.
std::string csvField(std::string_view text);

// A text cell of a CSV export, safe to open in a spreadsheet (OWASP's CSV-injection rule): a
// cell that starts with = + - @, a tab, CR or LF (or their full-width forms U+FF1D, U+FF0B,
// U+FF0D, U+FF20, which some spreadsheets read as formulas too) gets a leading single quote, so a
// flag note
// `=cmd|' /C calc'!A0` is shown as text, never run. Every text cell is quoted, so a ';' in it
// cannot start a new cell where the spreadsheet splits on semicolons. Numbers in numeric
// columns are written as they are (-0.5 stays a number): do not pass them here.
std::string csvTextField(std::string_view text);

}  // namespace runboard::engine
