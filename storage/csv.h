#pragma once
// A CSV reader (and field writer) for files people download (RFC 4180 and what spreadsheets and
// Kaggle write): a UTF-8 BOM, LF or CRLF line ends, quoted fields with commas, doubled quotes and
// line breaks inside. Plain C++, no Qt: the leaderboard importer and its fuzz test use it.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"

namespace runboard::storage {

struct CsvRecord {
    std::size_t line = 0;  // 1-based line where the record starts
    std::vector<std::string> fields;
};

// Every record, empty lines skipped. Fails (naming the line) on an unterminated quote or on text
// after a closing quote.
Result<std::vector<CsvRecord>> parseCsv(std::string_view text);

// One field as written: quoted (quotes doubled) when it holds a comma, quote or line break.
std::string csvField(std::string_view text);

}  // namespace runboard::storage
