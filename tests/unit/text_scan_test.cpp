// The text scan (engine/text/text_scan.h) against brute force: every sample's token indices spell
// tokenize() of its text, whatever the thread count; the cache returns the same scan and is
// trusted only while the source is unchanged and its own bytes are intact; progress ends at the
// sample count; and the vocabulary counted from the scan's integers is the one built from
// strings.

#include "engine/text/text_scan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "engine/errors.h"
#include "engine/text/text_source.h"
#include "engine/text/vocabulary.h"
#include "support/fixtures.h"

using namespace runboard::engine::text;
namespace fs = std::filesystem;

namespace {

// A table of `rows` random sentences over a small alphabet of words, with punctuation, line
// breaks inside quotes and non-ASCII letters.
std::string randomTable(int rows, unsigned seed) {
    const std::vector<std::string> words = {"the", "Cat", "sat", "on",   "mat", "naïve", "42",
                                            ",",   ".",   "!",   "déjà", "vu",  "x"};
    std::mt19937 rng(seed);
    std::string csv = "text,label\n";
    for (int r = 0; r < rows; ++r) {
        std::string text;
        const int n = 1 + static_cast<int>(rng() % 30);
        for (int w = 0; w < n; ++w)
            text += words[rng() % words.size()] + (rng() % 9 == 0 ? "\n" : " ");
        csv += "\"" + text + "\"," + (rng() % 3 == 0 ? "a" : rng() % 2 ? "b" : "c") + "\n";
    }
    return csv;
}

void expectSameScan(const TextScan& a, const TextScan& b) {
    EXPECT_EQ(a.origin, b.origin);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.classNames, b.classNames);
    EXPECT_EQ(a.where, b.where);
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.offsets, b.offsets);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.replaced, b.replaced);
}

TextScanRequest tableRequest(const std::string& path, const std::string& cache, int threads) {
    TextScanRequest r;
    r.path = path;
    r.textColumn = "text";
    r.labelColumn = "label";
    r.threads = threads;
    r.cacheDir = cache;
    return r;
}

}  // namespace

TEST(TextScan, TokenIndicesSpellEachSampleWhateverTheThreads) {
    runboard::test::TempDir dir;
    const std::string csv = dir.file("t.csv");
    runboard::test::writeFile(csv, randomTable(500, 3));
    const TextSamples truth = readTextTable(csv, "text", "label");
    std::vector<std::pair<std::size_t, std::size_t>> reports;
    const TextScan one = scanText(tableRequest(csv, "", 1), [&](std::size_t d, std::size_t t) {
        reports.emplace_back(d, t);
    });
    ASSERT_EQ(one.size(), truth.size());
    ASSERT_EQ(one.offsets.size(), truth.size() + 1);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const auto expected = tokenize(truth.texts[i], TokenMode::Word);
        ASSERT_EQ(one.length(i), expected.size()) << i;
        for (std::size_t k = 0; k < expected.size(); ++k)
            EXPECT_EQ(one.tokens[one.ids[one.offsets[i] + k]], expected[k]);
    }
    EXPECT_EQ(one.labels, truth.labels);
    // Distinct tokens in order of first use.
    std::vector<bool> seen(one.tokens.size());
    std::uint32_t next = 0;
    for (std::uint32_t id : one.ids) {
        if (!seen[id]) {
            EXPECT_EQ(id, next++);
        }
        seen[id] = true;
    }
    EXPECT_EQ(next, one.tokens.size());
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.front(), (std::pair<std::size_t, std::size_t>{0, truth.size()}));
    EXPECT_EQ(reports.back(), (std::pair<std::size_t, std::size_t>{truth.size(), truth.size()}));
    for (std::size_t k = 1; k < reports.size(); ++k)
        EXPECT_LE(reports[k - 1].first, reports[k].first);
    for (int threads : {2, 3, 7}) {
        SCOPED_TRACE(threads);
        expectSameScan(scanText(tableRequest(csv, "", threads)), one);
    }
    const TextScan chars = [&] {
        auto r = tableRequest(csv, "", 2);
        r.mode = TokenMode::Char;
        return scanText(r);
    }();
    EXPECT_EQ(chars.length(0), tokenize(truth.texts[0], TokenMode::Char).size());
}

TEST(TextScan, TheCacheIsUsedOnlyWhileTheSourceAndItsBytesAreUnchanged) {
    runboard::test::TempDir dir;
    const std::string csv = dir.file("t.csv"), cache = dir.file("cache");
    runboard::test::writeFile(csv, randomTable(300, 5));
    std::string note;
    const TextScan first = scanText(tableRequest(csv, cache, 2), {}, &note);
    EXPECT_FALSE(first.fromCache);
    EXPECT_EQ(note, "");
    const std::string file = textScanCachePath(tableRequest(csv, cache, 2));
    ASSERT_TRUE(fs::exists(file));
    const TextScan second = scanText(tableRequest(csv, cache, 1), {}, &note);
    EXPECT_TRUE(second.fromCache);
    expectSameScan(second, first);

    // Another token kind or column is another cache.
    auto chars = tableRequest(csv, cache, 1);
    chars.mode = TokenMode::Char;
    EXPECT_NE(textScanCachePath(chars), file);
    EXPECT_FALSE(scanText(chars).fromCache);

    // A damaged cache is named and replaced; the scan is still right.
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(40);
        f.put('\x7f');
    }
    note.clear();
    const TextScan repaired = scanText(tableRequest(csv, cache, 1), {}, &note);
    EXPECT_FALSE(repaired.fromCache);
    EXPECT_NE(note.find("fails its checksum"), std::string::npos) << note;
    expectSameScan(repaired, first);
    EXPECT_TRUE(scanText(tableRequest(csv, cache, 1)).fromCache);
    fs::resize_file(file, 20);
    note.clear();
    EXPECT_FALSE(scanText(tableRequest(csv, cache, 1), {}, &note).fromCache);
    EXPECT_NE(note.find(file), std::string::npos) << note;

    // An edited source (one more row) is scanned again.
    runboard::test::writeFile(csv, randomTable(300, 5) + "\"one more\",a\n");
    const TextScan edited = scanText(tableRequest(csv, cache, 1));
    EXPECT_FALSE(edited.fromCache);
    EXPECT_EQ(edited.size(), first.size() + 1);
    EXPECT_TRUE(scanText(tableRequest(csv, cache, 1)).fromCache);

    // Edited in place, with its size and modification time kept (a label swapped, the time
    // set back): the bytes tell, and the texts' labels are the new ones.
    std::string swapped = runboard::test::readFile(csv);
    const auto at = swapped.rfind(",a\n");
    ASSERT_NE(at, std::string::npos);
    swapped[at + 1] = 'b';
    const auto time = fs::last_write_time(csv);
    runboard::test::writeFile(csv, swapped);
    fs::last_write_time(csv, time);
    const TextScan relabelled = scanText(tableRequest(csv, cache, 1));
    EXPECT_FALSE(relabelled.fromCache);
    EXPECT_NE(relabelled.name, edited.name);
    EXPECT_NE(relabelled.labels.back(), edited.labels.back());
}

TEST(TextScan, AFolderIsRescannedWhenAFileIsAddedAndEmptyTokensAreNamed) {
    runboard::test::TempDir dir;
    const auto root = dir.path() / "mail";
    fs::create_directories(root / "ham");
    fs::create_directories(root / "spam");
    runboard::test::writeFile((root / "ham/1.txt").string(), "see you at noon");
    runboard::test::writeFile((root / "spam/1.txt").string(), "WIN a prize!!");
    TextScanRequest r;
    r.dir = root.string();
    r.cacheDir = dir.file("cache");
    EXPECT_EQ(scanText(r).size(), 2u);
    EXPECT_TRUE(scanText(r).fromCache);
    runboard::test::writeFile((root / "spam/2.txt").string(), "cheap pills");
    const TextScan again = scanText(r);
    EXPECT_FALSE(again.fromCache);
    EXPECT_EQ(again.size(), 3u);

    runboard::test::writeFile(dir.file("blank.csv"),
                              "text,label\nfine words,a\n\"\xE3\x80\x80\",b\n");
    // An ideographic space only: not blank to the reader, but no token to the tokenizer.
    try {
        scanText(tableRequest(dir.file("blank.csv"), "", 2));
        ADD_FAILURE() << "no error";
    } catch (const runboard::engine::DataError& e) {
        EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
    }
}

TEST(TextScan, TheVocabularyFromCountsIsTheOneFromStrings) {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<std::vector<std::string>> training(1 + rng() % 30);
        std::map<std::string, std::int64_t> counts;
        for (auto& sample : training)
            for (std::size_t k = rng() % 12; k > 0; --k) {
                sample.push_back(std::string(1, static_cast<char>('a' + rng() % 8)) +
                                 (rng() % 2 ? "" : "z"));
                ++counts[sample.back()];
            }
        counts["<pad>"] += 3;  // spelled in the text: never an entry of its own
        training.push_back({"<pad>", "<pad>", "<pad>"});
        const std::size_t maxSize = rng() % 3 == 0 ? 0 : 2 + rng() % 10;
        const std::int64_t minCount = 1 + static_cast<std::int64_t>(rng() % 3);
        const auto a = Vocabulary::build(training, maxSize, minCount);
        const auto b = Vocabulary::fromCounts({counts.begin(), counts.end()}, maxSize, minCount);
        EXPECT_EQ(a.tokens(), b.tokens()) << trial;
    }
}
