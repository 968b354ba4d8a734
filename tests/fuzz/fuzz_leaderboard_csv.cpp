// libFuzzer target: the leaderboard CSV importer (engine/analysis/kaggle.h, parseKaggleLeaderboard
// on top of parseCsv) as `runboard leaderboard import` runs it, then the merge and the ranking.
// Failures must be values (Result errors), never exceptions or crashes. Also checks that what
// parseCsv reads, csvField writes back to the same records.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/analysis/csv.h"
#include "engine/analysis/kaggle.h"
#include "engine/analysis/leaderboard.h"

namespace st = runboard::analysis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto file = st::parseKaggleLeaderboard(text, "fuzz.csv"); file) {
        for (const st::KaggleRow& r : file->rows)
            if (!std::isfinite(r.score)) std::abort();
        const st::Board board = st::rankBoard(st::mergeKaggle(*file, *file), true);
        if (board.rows.size() < file->rows.size()) std::abort();
    }
    auto records = st::parseCsv(text);
    if (!records) return 0;
    // Written back field by field (after a BOM, which the reader strips once) and read again:
    // the same records.
    std::string written = "\xEF\xBB\xBF";
    for (const st::CsvRecord& r : *records) {
        for (std::size_t i = 0; i < r.fields.size(); ++i)
            written += (i ? "," : "") + st::csvField(r.fields[i]);
        written += "\n";
    }
    auto again = st::parseCsv(written);
    if (!again || again->size() != records->size()) std::abort();
    for (std::size_t i = 0; i < records->size(); ++i)
        if ((*again)[i].fields != (*records)[i].fields) std::abort();
    return 0;
}
