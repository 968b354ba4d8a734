#include "engine/data/tabular.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "engine/data/csv.h"
#include "engine/errors.h"

namespace runboard::engine {

// Names of their own: the unity builds put this file in one unit with idx.cpp and the others.
namespace {

std::string lowerAscii(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trimmedCell(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The cell as a finite number, if it is one (surrounding blanks allowed, nothing else).
std::optional<double> numberIn(std::string_view cell) {
    cell = trimmedCell(cell);
    if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc() || end != cell.data() + cell.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

[[noreturn]] void failTable(const std::string& path, const std::string& what) {
    throw DataError("CSV dataset '" + path + "': " + what);
}

// "line 4", "lines 4, 9 and 12", "lines 4, 9, 12 and 3 more".
std::string linesOf(const std::vector<std::size_t>& lines) {
    std::string out = lines.size() == 1 ? "line " : "lines ";
    const std::size_t shown = std::min<std::size_t>(lines.size(), 3);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) out += i + 1 == shown && lines.size() == shown ? " and " : ", ";
        out += std::to_string(lines[i]);
    }
    if (lines.size() > shown) out += fmt::format(" and {} more", lines.size() - shown);
    return out;
}

// Levenshtein distance, for suggesting a column name (config.cpp's own is private to the config
// library, which the data library does not link).
std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// The column `wanted` (a data.label naming none) most likely means: the same name but for case,
// else the closest within two edits that is no wholesale replacement ('x' is not a typo of 'y').
std::string nearestColumn(const std::vector<std::string>& header, std::string_view wanted) {
    const std::string lower = lowerAscii(trimmedCell(wanted));
    for (const auto& name : header)
        if (lowerAscii(name) == lower) return name;
    std::string best;
    std::size_t bestDistance = 3;
    if (lower.size() > 64) return best;  // no typo of a column name: skip the quadratic distance
    for (const auto& name : header) {
        if (name.size() > 64) continue;
        const std::size_t d = editDistance(lower, lowerAscii(name));
        if (d < bestDistance && d < std::min(lower.size(), name.size()))
            bestDistance = d, best = name;
    }
    return best;
}

// The separator the header line seems to use when it has no comma outside quotes but ';' (what
// spreadsheets write where the decimal mark is a comma) or tabs: that character, else 0. Such a
// file would otherwise be read as one column and refused as "no feature column". The header's
// line number goes to `line` (blank lines before it are skipped, as parseCsv does).
char foreignSeparator(std::string_view text, std::size_t& line) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    line = 1;
    while (!text.empty() && (text.front() == '\n' || text.front() == '\r')) {
        if (text.front() == '\n') ++line;
        text.remove_prefix(1);
    }
    std::size_t commas = 0, semicolons = 0, tabs = 0;
    bool quoted = false;
    for (char c : text) {
        if (c == '"') {
            quoted = !quoted;  // a doubled quote toggles twice
        } else if (quoted) {
            continue;
        } else if (c == '\n' || c == '\r') {
            break;
        } else {
            commas += c == ',';
            semicolons += c == ';';
            tabs += c == '\t';
        }
    }
    if (commas > 0 || semicolons + tabs == 0) return 0;
    return semicolons >= tabs ? ';' : '\t';
}

// A whole number as a class name: "0" for 0.0, -0 and "+0".
std::string integerName(double v) {
    return fmt::format("{:.0f}", v + 0.0);
}

// "a, b, c, d, e and 3 more": the columns other than the label, for a message.
std::string otherColumns(const Table& table) {
    std::string out;
    std::size_t shown = 0;
    for (std::size_t c = 0; c < table.header.size(); ++c) {
        if (c == table.labelColumn || shown == 5) continue;
        out += fmt::format("{}'{}'", shown++ > 0 ? ", " : "", table.header[c]);
    }
    if (table.header.size() - 1 > shown)
        out += fmt::format(" and {} more", table.header.size() - 1 - shown);
    return out;
}

// Refuses a label that is no set of classes: numbers with decimals (a regression target), or
// more than 20 distinct values in more than half the rows (a target, an id, free text). Either
// would become a class per value and fail only at training, with a hint about the learning rate.
void checkLabelHoldsClasses(const Table& table, std::size_t distinct, const TableSpec& spec) {
    bool numbers = true;
    std::optional<std::size_t> decimal;  // the first row with a fraction
    for (std::size_t r = 0; r < table.rows.size() && numbers; ++r) {
        const auto v = numberIn(table.rows[r][table.labelColumn]);
        if (!v) numbers = false;
        if (v && !decimal && std::trunc(*v) != *v) decimal = r;
    }
    const std::size_t rows = table.rows.size();
    const bool fractions = numbers && decimal.has_value();
    if (!fractions && (distinct * 2 <= rows || distinct <= 20)) return;
    const std::string& name = table.header[table.labelColumn];
    std::string found = fmt::format("{} distinct values in {} rows", distinct, rows);
    if (fractions)
        found += fmt::format(", with decimals ('{}' on line {})",
                             trimmedCell(table.rows[*decimal][table.labelColumn]),
                             table.lines[*decimal]);
    failTable(
        table.path,
        fmt::format("the label column '{}'{} has {}; '{}' looks like {}, not a class. "
                    "Runboard trains classifiers only: set data.label=COLUMN to the column "
                    "that holds the classes (the others are {})",
                    name, spec.labelColumn.empty() ? " (the last column: data.label is unset)" : "",
                    found, name, numbers ? "a number to predict" : "an id or free text",
                    otherColumns(table)));
}

}  // namespace

bool isMissing(std::string_view cell) {
    const std::string s = lowerAscii(trimmedCell(cell));
    // "?" is how the UCI repository writes a missing value.
    return s.empty() || s == "na" || s == "nan" || s == "n/a" || s == "null" || s == "?";
}

Table parseTable(std::string_view text, const std::string& path, const TableSpec& spec) {
    std::size_t headerLine = 1;
    if (const char sep = foreignSeparator(text, headerLine))
        failTable(path, fmt::format("line {} looks separated by {}, not by commas: Runboard reads "
                                    "comma-separated files only; convert it (a spreadsheet's Save "
                                    "As CSV, with ',' between fields and '.' as the decimal mark)",
                                    headerLine, sep == ';' ? "';'" : "tabs"));
    auto records = parseCsv(text);
    if (!records) failTable(path, records.error().message);
    if (records->empty()) failTable(path, "the file is empty: it needs a header row and data rows");
    Table t;
    t.path = path;
    t.header = std::move(records->front().fields);
    std::set<std::string> names;
    for (std::size_t c = 0; c < t.header.size(); ++c) {
        const std::string name(trimmedCell(t.header[c]));
        // A header is names, not data: a first row of numbers means the header is missing.
        if (name.empty() || numberIn(name))
            failTable(path,
                      fmt::format("line 1 must be a header row naming every column; column {} "
                                  "is '{}' (add a header such as f1,f2,...,label)",
                                  c + 1, t.header[c]));
        if (!names.insert(name).second)
            failTable(path, fmt::format("the header names column '{}' twice", name));
        t.header[c] = name;
    }
    if (t.header.size() < 2)
        failTable(path, "a dataset needs at least one feature column and a label column");
    if (spec.labelColumn.empty()) {
        t.labelColumn = t.header.size() - 1;
    } else {
        const auto it = std::find(t.header.begin(), t.header.end(), spec.labelColumn);
        if (it == t.header.end()) {
            const std::string near = nearestColumn(t.header, spec.labelColumn);
            failTable(path, fmt::format("there is no label column '{}' (data.label); {}the "
                                        "columns are {}",
                                        spec.labelColumn,
                                        near.empty() ? "" : "did you mean '" + near + "'? ",
                                        fmt::join(t.header, ", ")));
        }
        t.labelColumn = static_cast<std::size_t>(it - t.header.begin());
    }
    for (std::size_t r = 1; r < records->size(); ++r) {
        auto& rec = (*records)[r];
        if (rec.fields.size() != t.header.size())
            failTable(path, fmt::format("line {} has {} fields, the header {} (ragged rows)",
                                        rec.line, rec.fields.size(), t.header.size()));
        t.rows.push_back(std::move(rec.fields));
        t.lines.push_back(rec.line);
    }
    if (t.rows.empty()) failTable(path, "there are no data rows after the header");
    t.integerLabels = true;
    for (const auto& row : t.rows) {
        const std::string& cell = row[t.labelColumn];
        if (isMissing(cell)) continue;  // refused by fitEncoding
        const auto v = numberIn(cell);
        if (!v || std::trunc(*v) != *v) {
            t.integerLabels = false;
            break;
        }
    }
    return t;
}

std::string suggestColumn(const std::vector<std::string>& header, std::string_view wanted) {
    return nearestColumn(header, wanted);
}

std::string readTableText(const std::string& path) {
    // A device, a FIFO or a directory is no table: /dev/zero would be read until memory runs
    // out, a FIFO would wait for a writer forever.
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status))
        failTable(path, "does not exist (data.path names the CSV file)");
    if (!std::filesystem::is_regular_file(status))
        failTable(path,
                  "is not a regular file (a directory, a device or a pipe): data.path names "
                  "the CSV file");
    std::ifstream in(path, std::ios::binary);
    if (!in) failTable(path, "cannot be read (may it be read?)");
    // One read into a string of the file's size (a stringstream held a large table twice at
    // its peak); then whatever a file still growing added.
    std::string text(static_cast<std::size_t>(std::filesystem::file_size(path, ec)), '\0');
    if (ec) text.clear();
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) failTable(path, "reading it failed");
    if (in) {
        std::ostringstream rest;
        rest << in.rdbuf();
        text += std::move(rest).str();
    }
    return text;
}

Table readTable(const std::string& path, const TableSpec& spec) {
    return parseTable(readTableText(path), path, spec);
}

std::size_t Encoding::width() const {
    std::size_t w = 0;
    for (const auto& f : features)
        w += f.categorical ? f.categories.size() : 1;
    return w;
}

std::vector<std::string> Encoding::featureNames() const {
    std::vector<std::string> out;
    for (const auto& f : features) {
        if (!f.categorical) {
            out.push_back(f.name);
            continue;
        }
        for (const auto& c : f.categories)
            out.push_back(f.name + "=" + c);
    }
    return out;
}

std::string labelOf(const Table& table, std::size_t row) {
    const std::string_view cell = trimmedCell(table.rows[row][table.labelColumn]);
    if (table.integerLabels)
        if (const auto v = numberIn(cell)) return integerName(*v);
    return std::string(cell);
}

std::vector<std::string> labelClasses(const Table& table) {
    std::set<std::string> labels;
    for (std::size_t r = 0; r < table.rows.size(); ++r)
        labels.insert(labelOf(table, r));
    std::vector<std::string> classes(labels.begin(), labels.end());
    const bool numeric = std::all_of(classes.begin(), classes.end(),
                                     [](const std::string& s) { return numberIn(s).has_value(); });
    if (numeric)
        std::stable_sort(classes.begin(), classes.end(),
                         [](const auto& a, const auto& b) { return *numberIn(a) < *numberIn(b); });
    return classes;
}

Encoding fitEncoding(const Table& table, const std::vector<std::int64_t>& trainRows,
                     const TableSpec& spec) {
    Encoding e;
    // Missing cells: named by their lines, per column, before anything is computed.
    std::vector<std::size_t> missingLabel;
    std::map<std::size_t, std::vector<std::size_t>> missingByColumn;
    for (std::size_t r = 0; r < table.rows.size(); ++r)
        for (std::size_t c = 0; c < table.header.size(); ++c)
            if (isMissing(table.rows[r][c])) {
                if (c == table.labelColumn)
                    missingLabel.push_back(table.lines[r]);
                else
                    missingByColumn[c].push_back(table.lines[r]);
            }
    if (!missingLabel.empty())
        failTable(table.path, fmt::format("the label '{}' is missing on {}",
                                          table.header[table.labelColumn], linesOf(missingLabel)));
    // The label first: a wrong label column matters more than the gaps in the features.
    e.classes = labelClasses(table);
    if (e.classes.size() < 2)
        failTable(table.path, fmt::format("the label '{}' has one value ('{}') in every row: a "
                                          "classifier needs at least two classes",
                                          table.header[table.labelColumn], e.classes.front()));
    checkLabelHoldsClasses(table, e.classes.size(), spec);
    if (!missingByColumn.empty() && spec.missing == MissingPolicy::Refuse) {
        const auto& [c, lines] = *missingByColumn.begin();
        failTable(table.path,
                  fmt::format("column '{}' has missing values ('', NA or NaN) on {}; fill them in, "
                              "or set data.missing=mean to use the training part's mean",
                              table.header[c], linesOf(lines)));
    }
    for (std::size_t c = 0; c < table.header.size(); ++c) {
        if (c == table.labelColumn) continue;
        ColumnEncoding f;
        f.name = table.header[c];
        f.column = c;
        // A column of numbers with a few stray words ("1,000", "inf", "n.a.") is a typo, not a
        // category: one-hot encoding it would silently turn one feature into hundreds.
        std::size_t present = 0, words = 0, firstWord = 0;
        for (std::size_t r = 0; r < table.rows.size(); ++r) {
            const std::string& cell = table.rows[r][c];
            if (isMissing(cell)) continue;
            ++present;
            if (!numberIn(cell) && words++ == 0) firstWord = r;
        }
        f.categorical = words > 0;
        if (words > 0 && words * 10 < present)
            failTable(table.path,
                      fmt::format("column '{}' holds numbers but '{}' on line {}{}: fix those "
                                  "cells, or leave them empty or NA to mark them missing",
                                  f.name, table.rows[firstWord][c], table.lines[firstWord],
                                  words > 1 ? fmt::format(" and {} more cells", words - 1)
                                            : std::string()));
        if (f.categorical) {
            std::set<std::string> seen;
            for (std::int64_t r : trainRows) {
                const std::string& cell = table.rows[static_cast<std::size_t>(r)][c];
                if (!isMissing(cell)) seen.insert(std::string(trimmedCell(cell)));
            }
            f.categories.assign(seen.begin(), seen.end());
        } else {
            // Two passes (mean, then squared deviations): exact enough for any table.
            double sum = 0;
            std::size_t n = 0;
            for (std::int64_t r : trainRows)
                if (auto v = numberIn(table.rows[static_cast<std::size_t>(r)][c])) sum += *v, ++n;
            f.mean = n > 0 ? sum / static_cast<double>(n) : 0;
            double squares = 0;
            for (std::int64_t r : trainRows)
                if (auto v = numberIn(table.rows[static_cast<std::size_t>(r)][c]))
                    squares += (*v - f.mean) * (*v - f.mean);
            const double sd = n > 0 ? std::sqrt(squares / static_cast<double>(n)) : 0;
            f.stdev = sd > 0 ? sd : 1;  // a constant column encodes as 0
        }
        e.features.push_back(std::move(f));
    }
    return e;
}

EncodedRows encodeRows(const Table& table, const Encoding& encoding,
                       const std::vector<std::int64_t>& rows) {
    EncodedRows out;
    const std::size_t width = encoding.width();
    out.features.assign(rows.size() * width, 0.0f);
    out.labels.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = table.rows[static_cast<std::size_t>(rows[i])];
        float* x = out.features.data() + i * width;
        std::size_t k = 0;
        for (const auto& f : encoding.features) {
            const std::string& cell = row[f.column];
            if (f.categorical) {
                if (!isMissing(cell)) {
                    const std::string value(trimmedCell(cell));
                    const auto it =
                        std::lower_bound(f.categories.begin(), f.categories.end(), value);
                    if (it != f.categories.end() && *it == value)
                        x[k + static_cast<std::size_t>(it - f.categories.begin())] = 1.0f;
                }
                k += f.categories.size();
                continue;
            }
            const auto v = numberIn(cell);  // missing: the mean, 0 after scaling
            x[k++] = v ? static_cast<float>((*v - f.mean) / f.stdev) : 0.0f;
        }
        const std::string label = labelOf(table, static_cast<std::size_t>(rows[i]));
        const auto it = std::find(encoding.classes.begin(), encoding.classes.end(), label);
        if (it == encoding.classes.end())
            failTable(table.path,
                      fmt::format("line {}: label '{}' is not one of the dataset's classes",
                                  table.lines[static_cast<std::size_t>(rows[i])], label));
        out.labels.push_back(it - encoding.classes.begin());
    }
    return out;
}

}  // namespace runboard::engine
