#include "engine/data/csv.h"

namespace runboard::engine {

using storage::Error;
using storage::ErrorKind;

storage::Result<std::vector<CsvRecord>> parseCsv(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::vector<CsvRecord> out;
    CsvRecord record;
    std::string field;
    std::size_t line = 1, i = 0;
    bool recordStarted = false;

    auto endField = [&] {
        record.fields.push_back(std::move(field));
        field.clear();
    };
    auto endRecord = [&] {
        endField();
        const bool blank = record.fields.size() == 1 && record.fields.front().empty();
        if (!blank) out.push_back(std::move(record));
        record = CsvRecord{};
        recordStarted = false;
    };

    while (i < text.size()) {
        if (!recordStarted) {
            record.line = line;
            recordStarted = true;
        }
        const char c = text[i];
        if (c == '"' && field.empty()) {
            // A quoted field: up to the closing quote; "" is a quote.
            const std::size_t opened = line;
            ++i;
            for (;;) {
                if (i >= text.size())
                    return Error{ErrorKind::InvalidArgument,
                                 "line " + std::to_string(opened) +
                                     ": a quoted field is not closed before the end of the file"};
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                if (text[i] == '\n') ++line;
                field += text[i++];
            }
            // After the closing quote: a separator, a line end or the end.
            if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                return Error{
                    ErrorKind::InvalidArgument,
                    "line " + std::to_string(line) + ": text after the closing quote of a field"};
            continue;
        }
        if (c == ',') {
            endField();
            ++i;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            ++i;
            endRecord();
            ++line;
        } else {
            field += c;
            ++i;
        }
    }
    if (recordStarted) endRecord();
    return out;
}

std::string csvField(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string csvTextField(std::string_view text) {
    static constexpr std::string_view kFullWidth[] = {"\xEF\xBC\x9D", "\xEF\xBC\x8B",
                                                      "\xEF\xBC\x8D", "\xEF\xBC\xA0"};
    bool formula = !text.empty() &&
                   std::string_view("=+-@\t\r\n").find(text.front()) != std::string_view::npos;
    for (std::string_view f : kFullWidth)
        formula = formula || text.starts_with(f);
    std::string out = formula ? "\"'" : "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace runboard::engine
