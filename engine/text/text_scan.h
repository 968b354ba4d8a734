#pragma once
// The scan of a text source: read (engine/text/text_source.h), tokenized, and each sample's
// length known, once. Hugging Face's group_by_length computes lengths serially with no word of
// progress (one user waited two hours on a network drive); here the scan reports progress, runs
// on data.workers threads, and is cached on disk so that the next run on the same unchanged
// source skips it.
//
// Measured on a 67 MB CSV of 333,180 quotations (fortunes x 60), word tokens, here: reading
// 1.65 s, tokenizing 1.96 s, and building the vocabulary and encoding from token strings another
// 1.3 s; from the cache, the whole load takes a fraction of that (the note's numbers).
//
// The cache holds each sample's tokens as indices into the source's distinct tokens, so the
// vocabulary (which depends on the split and data.vocab_size) is counted from integers. It is
// keyed by the source's absolute path, its columns and the token kind, and trusted only while
// the source's fingerprint (textSourceName: the CRC-32 of a table's bytes; for a folder, every
// file's path, size and modification time) and a CRC-32 of the cache's own bytes match. The
// check reads the 67 MB table (0.25 s, warm page cache; its CRC-32 takes 11 ms of it, FNV-1a 76):
// 0.85 s from the cache, where trusting its size and time took 0.6 s and was fooled by an edit
// that kept both. Failing to read or write the cache is a note, never an error: the cache only
// saves time.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/text/tokens.h"

namespace runboard::engine::text {

struct TextScanRequest {
    std::string path;  // a CSV/TSV table, or empty for the folder `dir`
    std::string dir;
    std::string textColumn, labelColumn;
    TokenMode mode = TokenMode::Word;
    int threads = 0;       // tokenizing threads; 0: every core
    std::string cacheDir;  // where the cache lives; empty: no cache
};

struct TextScan {
    std::string origin;  // the file or folder, for messages
    std::string name;    // textSourceName's, of the contents scanned
    std::vector<std::int32_t> labels;
    std::vector<std::string> classNames;
    std::vector<std::string> where;  // each sample's "line 12" or file path
    std::uint64_t replaced = 0, samplesWithReplacements = 0;
    std::vector<std::string> tokens;     // the source's distinct tokens, in order of first use
    std::vector<std::uint32_t> ids;      // every sample's tokens (indices into `tokens`), in a row
    std::vector<std::uint64_t> offsets;  // sample i is ids[offsets[i], offsets[i + 1])
    bool fromCache = false;

    std::size_t size() const { return labels.size(); }
    std::size_t length(std::size_t i) const { return offsets[i + 1] - offsets[i]; }
};

// (samples tokenized, samples), about every 100 ms and at the end, on the calling thread.
using TextScanProgress = std::function<void(std::size_t done, std::size_t total)>;

// Throws DataError as the readers do, and for a sample without tokens (naming where it is).
// `note` (may be null) says why a cache that exists was not used or could not be written.
TextScan scanText(const TextScanRequest& request, const TextScanProgress& progress = {},
                  std::string* note = nullptr);

// The cache file for a request (in request.cacheDir).
std::string textScanCachePath(const TextScanRequest& request);

}  // namespace runboard::engine::text
