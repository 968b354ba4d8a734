#pragma once
// Where text samples come from (data.source = text): a CSV or TSV table with a text column and a
// label column (data.text, data.label), or a folder of class sub-folders of .txt files, one
// sample a file. Each sample keeps a stable id (its row, or its file's position in sorted order)
// and where it came from, for messages and the prediction review. Invalid UTF-8 in a text is
// replaced and counted, never a reason to stop; in a label it is refused (replaced, it could make
// two classes one). Integer labels are one class however they are written ("1", "01", "1.0").
// Torch-free: the engine tokenizes what this returns.

#include <cstdint>
#include <string>
#include <vector>

namespace runboard::engine::text {

struct TextSamples {
    std::string origin;                // the file or folder, for messages
    std::string name;                  // textSourceName's: "fortunes.csv#1a2b3c4d"
    std::vector<std::string> texts;    // valid UTF-8
    std::vector<std::int32_t> labels;  // into classNames
    std::vector<std::string> classNames;
    std::vector<std::string> where;  // "line 12" of the table, or the file's path
    std::size_t replaced = 0;        // invalid UTF-8 sequences replaced by U+FFFD
    std::size_t samplesWithReplacements = 0;
    std::size_t size() const { return texts.size(); }
};

// A file larger than this is not one sample's text (a folder of .txt files: a stray dump).
inline constexpr std::size_t kMaxSampleBytes = 1 << 20;

// Throws DataError naming the file and the problem: a missing text or label column (with the
// nearest name), an empty text (naming its line), a label column with a single class, no rows.
// `label` empty: the last column that is not the text column. A .tsv file is tab-separated.
TextSamples readTextTable(const std::string& path, const std::string& textColumn,
                          const std::string& labelColumn);
// Class sub-folders of .txt files (.TXT too; other files are ignored, hidden ones too). Throws
// DataError for a folder that does not exist, fewer than two classes, an empty or oversized
// file, or class folders that hold folders instead of files (a train/ and test/ layout).
TextSamples readTextFolder(const std::string& dir);

// The .txt files of a folder of class sub-folders, as (class, path) in the order readTextFolder
// reads them (sorted). Throws DataError for a folder that does not exist or cannot be listed.
std::vector<std::pair<std::string, std::string>> listTextFolder(const std::string& dir);

// The name a text source goes by (its label flags, and what a run records it trained on): the
// file's or folder's name and a fingerprint of what it holds now, the CRC-32 of a table's bytes
// or, for a folder, of every file's path, size and modification time. A run whose recorded name
// differs from its source's now is not shown the new contents as its own. Throws as the readers.
// A table of data.source = csv keeps its FNV-1a name (engine/data/tabular.h), which its stored
// label flags were made with; text, new, takes zlib's CRC-32, 7x faster (11 ms for 67 MB).
std::string textSourceName(const std::string& path, const std::string& dir);

}  // namespace runboard::engine::text
