// A CSV table behind SampleImages: what the gallery shows for a table's samples.

#include <fmt/format.h>

#include <filesystem>

#include "engine/data/tabular.h"
#include "engine/errors.h"

namespace runboard::engine {
namespace {

class TableSamples : public SampleImages {
public:
    TableSamples(const std::string& path, const TableSpec& spec) {
        const std::string text = readTableText(path);
        table_ = parseTable(text, path, spec);
        classes_ = labelClasses(table_);
        name_ = tableSourceName(path, text);
    }

    std::int64_t count(FilePart) const override {
        return static_cast<std::int64_t>(table_.rows.size());
    }
    SampleImage image(FilePart, std::int64_t) const override { return {}; }

    SampleFields fields(FilePart, std::int64_t row) const override {
        if (row < 1 || row > count(FilePart::Train)) return {};
        const auto& cells = table_.rows[static_cast<std::size_t>(row - 1)];
        SampleFields out;
        for (std::size_t c = 0; c < cells.size(); ++c)
            if (c != table_.labelColumn) out.emplace_back(table_.header[c], cells[c]);
        out.emplace_back(table_.header[table_.labelColumn], cells[table_.labelColumn]);
        return out;
    }

    std::string describe(FilePart, std::int64_t row) const override {
        if (row < 1 || row > count(FilePart::Train)) return "row " + std::to_string(row);
        return fmt::format("row {} (line {})", row,
                           table_.lines[static_cast<std::size_t>(row - 1)]);
    }

    const std::vector<std::string>& classNames() const override { return classes_; }
    const std::string& name() const override { return name_; }

private:
    Table table_;
    std::vector<std::string> classes_;
    std::string name_;
};

}  // namespace

std::string tableSourceName(const std::string& path, std::string_view bytes) {
    std::uint32_t h = 2166136261u;  // FNV-1a, 32 bits: a name, not a checksum
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 16777619u;
    }
    return fmt::format("{}#{:08x}", std::filesystem::path(path).filename().string(), h);
}

std::unique_ptr<SampleImages> openTableSamples(const std::string& path, const TableSpec& spec) {
    return std::make_unique<TableSamples>(path, spec);
}

}  // namespace runboard::engine
