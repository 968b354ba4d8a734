#include "engine/text/text_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "engine/data/checksum.h"
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

// An integer label however it is written ("1", "01", "1.0", "+1"): the same class.
std::optional<long long> integerLabel(const std::string& label) {
    std::string_view s = label;
    if (s.starts_with('+')) s.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) ||
        v != std::floor(v) || std::abs(v) > 1e15)
        return std::nullopt;
    return static_cast<long long>(v);
}

// Class names in order (numbers numerically when every label is an integer, each written the
// plain way) and each sample's index.
void assignClasses(TextSamples& s, std::vector<std::string> labels, const std::string& what) {
    std::vector<long long> numbers;
    for (const auto& l : labels)
        if (const auto v = integerLabel(l)) numbers.push_back(*v);
    const bool integers = numbers.size() == labels.size();
    if (integers)
        for (std::size_t i = 0; i < labels.size(); ++i)
            labels[i] = std::to_string(numbers[i]);
    std::vector<std::string> classes = labels;
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    if (integers)
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

std::string sourceLabel(const std::string& where) {
    const fs::path p = fs::path(where).lexically_normal();
    return p.filename().empty() ? p.parent_path().filename().string() : p.filename().string();
}

std::string tableName(const std::string& path, std::string_view bytes) {
    return fmt::format("{}#{:08x}", sourceLabel(path), crc32Of(bytes));
}

std::string folderName(const std::string& dir,
                       const std::vector<std::pair<std::string, std::string>>& files) {
    std::uint32_t h = 2166136261u;  // FNV-1a over each file's path, size and modification time
    for (const auto& [label, file] : files) {
        std::error_code ec;
        const auto size = fs::file_size(file, ec);
        const auto time = fs::last_write_time(file, ec);
        for (unsigned char c :
             fmt::format("{}\n{}:{}\n", file, size, ec ? 0 : time.time_since_epoch().count())) {
            h ^= c;
            h *= 16777619u;
        }
    }
    return fmt::format("{}#{:08x}", sourceLabel(dir), h);
}

}  // namespace

TextSamples readTextTable(const std::string& path, const std::string& textColumn,
                          const std::string& labelColumn) {
    const std::string bytes = readTableText(path);  // DataError for a missing or odd file
    if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF"))
        fail(path, "is UTF-16 text: save it as UTF-8 (most editors offer it under Save As)");
    const bool tsv = path.size() >= 4 && (path.ends_with(".tsv") || path.ends_with(".TSV"));
    std::vector<CsvRecord> records;
    if (tsv) {
        std::string_view body = bytes;
        if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);  // a byte-order mark
        records = parseTsv(body);
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
    s.name = tableName(path, bytes);
    std::vector<std::string> labels;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const auto& rec = records[r];
        if (rec.fields.size() != header.size())
            fail(path, fmt::format("line {} has {} fields, the header {}{}", rec.line,
                                   rec.fields.size(), header.size(),
                                   tsv ? " (a TSV's texts hold no tabs or line breaks)"
                                       : " (a comma in a text must be inside quotes)"));
        if (blank(rec.fields[t]))
            fail(path, fmt::format("line {}: the text ('{}') is empty", rec.line, header[t]));
        if (rec.fields[t].size() > kMaxSampleBytes)
            fail(path,
                 fmt::format("line {}: the text ('{}') is {:.1f} MB: one sample's text is at "
                             "most 1 MB (is the file's quoting broken?)",
                             rec.line, header[t], static_cast<double>(rec.fields[t].size()) / 1e6));
        // A label with invalid UTF-8 would become another label's name once its bytes were
        // replaced: two classes silently merged. Refused instead.
        std::size_t bad = 0;
        const std::string label = trimmed(validUtf8(rec.fields[l], &bad));
        if (bad > 0)
            fail(path, fmt::format("line {}: the label ('{}') is not valid UTF-8 text: save the "
                                   "file as UTF-8",
                                   rec.line, header[l]));
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
    const auto isText = [](const fs::path& p) {
        std::string ext = p.extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return ext == ".txt";
    };
    std::vector<std::pair<std::string, std::string>> files;  // class, file
    std::vector<std::string> nested;  // class folders with no .txt files but folders of their own
    auto classes = fs::directory_iterator(dir, ec);
    if (ec) fail(dir, "cannot be listed: " + ec.message());
    for (const auto& c : classes) {
        const std::string name = c.path().filename().string();
        std::error_code e;
        if (!c.is_directory(e) || name.starts_with(".")) continue;
        auto inside = fs::directory_iterator(c.path(), e);
        if (e) fail(c.path().string(), "cannot be listed: " + e.message());
        std::size_t found = 0;
        bool folders = false;
        for (const auto& f : inside) {
            const std::string file = f.path().filename().string();
            if (file.starts_with(".")) continue;
            if (f.is_regular_file(e) && isText(f.path())) {
                files.emplace_back(name, f.path().string());
                ++found;
            }
            folders = folders || f.is_directory(e);
        }
        if (found == 0 && folders) nested.push_back(name);
    }
    std::sort(nested.begin(), nested.end());
    if (files.empty() && !nested.empty())
        fail(dir, fmt::format("holds {} with class folders of their own: data.dir names one "
                              "level of class sub-folders (e.g. {}/{}; the parts are made by "
                              "data.val_share and data.test_size)",
                              fmt::join(nested, ", "), dir, nested.front()));
    std::sort(files.begin(), files.end());
    return files;
}

TextSamples readTextFolder(const std::string& dir) {
    const auto files = listTextFolder(dir);
    std::error_code ec;
    TextSamples s;
    s.origin = dir;
    s.name = folderName(dir, files);
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

std::string textSourceName(const std::string& path, const std::string& dir) {
    return path.empty() ? folderName(dir, listTextFolder(dir))
                        : tableName(path, readTableText(path));
}

}  // namespace runboard::engine::text
