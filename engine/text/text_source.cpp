#include "engine/text/text_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/data/csv.h"
#include "engine/data/tabular.h"
#include "engine/errors.h"
#include "engine/text/tokens.h"

namespace runboard::engine::text {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
    throw DataError(origin + ": " + what);
}

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    });
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

// Tab-separated lines: no quoting (a TSV's cells hold no tabs or line breaks).
std::vector<CsvRecord> parseTsv(std::string_view text) {
    std::vector<CsvRecord> out;
    std::size_t line = 0;
    while (!text.empty()) {
        ++line;
        const std::size_t end = text.find('\n');
        std::string_view row = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
        if (row.empty()) continue;
        CsvRecord r;
        r.line = line;
        for (std::size_t at = 0;;) {
            const std::size_t tab = row.find('\t', at);
            r.fields.emplace_back(
                row.substr(at, tab == std::string_view::npos ? row.npos : tab - at));
            if (tab == std::string_view::npos) break;
            at = tab + 1;
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name,
                   const std::string& key, const std::string& path) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it != header.end()) return static_cast<std::size_t>(it - header.begin());
    const std::string near = suggestColumn(header, name);
    fail(path,
         fmt::format("there is no column '{}' ({}); {}the columns are {}", name, key,
                     near.empty() ? "" : "did you mean '" + near + "'? ", fmt::join(header, ", ")));
}

// Class names in order (numbers numerically when every label is one) and each sample's index.
void assignClasses(TextSamples& s, const std::vector<std::string>& labels,
                   const std::string& what) {
    std::vector<std::string> classes = labels;
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    const bool numbers = std::all_of(classes.begin(), classes.end(), [](const std::string& c) {
        return !c.empty() && c.size() < 18 &&
               std::all_of(c.begin() + (c[0] == '-' ? 1 : 0), c.end(),
                           [](char ch) { return ch >= '0' && ch <= '9'; }) &&
               c != "-";
    });
    if (numbers)
        std::sort(classes.begin(), classes.end(), [](const std::string& a, const std::string& b) {
            return std::stoll(a) < std::stoll(b);
        });
    if (classes.size() < 2)
        fail(s.origin, fmt::format("{} has {} ('{}'): a classifier needs at least two classes",
                                   what, classes.empty() ? "no class" : "one class",
                                   classes.empty() ? "" : classes.front()));
    std::map<std::string, std::int32_t> index;
    for (std::size_t i = 0; i < classes.size(); ++i)
        index.emplace(classes[i], static_cast<std::int32_t>(i));
    for (const auto& l : labels)
        s.labels.push_back(index.at(l));
    s.classNames = std::move(classes);
}

void addText(TextSamples& s, std::string_view bytes, std::string where) {
    std::size_t replaced = 0;
    s.texts.push_back(validUtf8(bytes, &replaced));
    s.replaced += replaced;
    s.samplesWithReplacements += replaced > 0;
    s.where.push_back(std::move(where));
}

}  // namespace

TextSamples readTextTable(const std::string& path, const std::string& textColumn,
                          const std::string& labelColumn) {
    const std::string bytes = readTableText(path);  // DataError for a missing or odd file
    const bool tsv = path.size() >= 4 && (path.ends_with(".tsv") || path.ends_with(".TSV"));
    std::vector<CsvRecord> records;
    if (tsv) {
        records = parseTsv(bytes);
    } else {
        auto parsed = parseCsv(bytes);
        if (!parsed) fail(path, parsed.error().message);
        records = std::move(parsed.value());
    }
    if (records.empty()) fail(path, "is empty: a header row and one text a row were expected");
    std::vector<std::string> header;
    for (const auto& h : records.front().fields)
        header.push_back(trimmed(validUtf8(h)));
    if (textColumn.empty())
        fail(path, "data.text must name the text column; the columns are " +
                       fmt::format("{}", fmt::join(header, ", ")));
    const std::size_t t = column(header, textColumn, "data.text", path);
    std::size_t l = 0;
    if (labelColumn.empty()) {
        if (header.size() < 2) fail(path, "needs a text column and a label column");
        l = t + 1 == header.size() ? header.size() - 2 : header.size() - 1;
    } else {
        l = column(header, labelColumn, "data.label", path);
    }
    if (l == t) fail(path, "data.text and data.label name the same column '" + header[t] + "'");
    TextSamples s;
    s.origin = path;
    std::vector<std::string> labels;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const auto& rec = records[r];
        if (rec.fields.size() != header.size())
            fail(path, fmt::format("line {} has {} fields, the header {}{}", rec.line,
                                   rec.fields.size(), header.size(),
                                   tsv ? "" : " (a comma in a text must be inside quotes)"));
        if (blank(rec.fields[t]))
            fail(path, fmt::format("line {}: the text ('{}') is empty", rec.line, header[t]));
        const std::string label = trimmed(validUtf8(rec.fields[l]));
        if (label.empty())
            fail(path, fmt::format("line {}: the label ('{}') is empty", rec.line, header[l]));
        addText(s, rec.fields[t], "line " + std::to_string(rec.line));
        labels.push_back(label);
    }
    if (s.texts.empty()) fail(path, "there are no rows after the header");
    assignClasses(s, labels, "the label column '" + header[l] + "'");
    return s;
}

std::vector<std::pair<std::string, std::string>> listTextFolder(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        fail(dir, "is not a folder (data.dir names a folder of class sub-folders of .txt files)");
    std::vector<std::pair<std::string, std::string>> files;  // class, file
    for (const auto& c : fs::directory_iterator(dir, ec)) {
        const std::string name = c.path().filename().string();
        if (!c.is_directory(ec) || name.starts_with(".")) continue;
        for (const auto& f : fs::directory_iterator(c.path(), ec)) {
            const std::string file = f.path().filename().string();
            if (f.is_regular_file(ec) && !file.starts_with(".") && f.path().extension() == ".txt")
                files.emplace_back(name, f.path().string());
        }
    }
    if (ec) fail(dir, "cannot be listed: " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

TextSamples readTextFolder(const std::string& dir) {
    const auto files = listTextFolder(dir);
    std::error_code ec;
    TextSamples s;
    s.origin = dir;
    std::vector<std::string> labels;
    for (const auto& [label, path] : files) {
        const auto size = fs::file_size(path, ec);
        if (ec || size > kMaxSampleBytes)
            fail(path, ec ? "cannot be read: " + ec.message()
                          : fmt::format("is {:.1f} MB: one sample's text is at most 1 MB",
                                        static_cast<double>(size) / 1e6));
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in && !in.eof()) fail(path, "cannot be read");
        if (blank(text.str())) fail(path, "is empty: each .txt file is one sample's text");
        addText(s, text.str(), path);
        labels.push_back(label);
    }
    if (s.texts.empty())
        fail(dir, "holds no class sub-folders of .txt files (e.g. " + dir + "/spam/0001.txt)");
    assignClasses(s, labels, "the folder");
    return s;
}

}  // namespace runboard::engine::text
