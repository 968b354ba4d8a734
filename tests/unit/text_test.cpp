// Text for the engine (issue 16): UTF-8 repair against hand-made byte sequences, the tokenizer
// and the vocabulary against hand-made cases, and smart padding's batches against brute force:
// every sample once per epoch, the same batches for the same seed and epoch, the longest sample
// in the first batch, and far less padding than a plain shuffle.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>
#include <set>

#include "engine/text/bucketing.h"
#include "engine/text/text_samples.h"
#include "engine/text/text_source.h"
#include "engine/text/tokens.h"
#include "engine/text/vocabulary.h"
#include "support/fixtures.h"

using namespace runboard::engine::text;

using Tokens = std::vector<std::string>;

TEST(Text, InvalidUtf8IsReplacedAndCounted) {
    std::size_t replaced = 99;
    EXPECT_EQ(validUtf8("plain", &replaced), "plain");
    EXPECT_EQ(replaced, 0u);
    EXPECT_EQ(validUtf8("caf\xC3\xA9", &replaced), "caf\xC3\xA9");  // é, valid
    EXPECT_EQ(replaced, 0u);
    // Latin-1 é, a stray continuation byte, a truncated 3-byte sequence at the end.
    EXPECT_EQ(validUtf8("caf\xE9 \x80x\xE2\x82", &replaced),
              "caf\xEF\xBF\xBD \xEF\xBF\xBDx\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(replaced, 4u);
    // An overlong '/', a surrogate, a code point above U+10FFFF.
    validUtf8("\xC0\xAF", &replaced);
    EXPECT_EQ(replaced, 2u);
    validUtf8("\xED\xA0\x80", &replaced);
    EXPECT_EQ(replaced, 3u);
    validUtf8("\xF4\x90\x80\x80", &replaced);
    EXPECT_EQ(replaced, 4u);
    EXPECT_EQ(validUtf8(std::string_view("a\0b", 3), &replaced), std::string("a\0b", 3));
}

TEST(Text, WordTokensAreLowerCasedRunsWithPunctuationApart) {
    EXPECT_EQ(tokenize("Don't PANIC!  42 times...", TokenMode::Word),
              (Tokens{"don", "'", "t", "panic", "!", "42", "times", ".", ".", "."}));
    EXPECT_EQ(tokenize("", TokenMode::Word), Tokens{});
    EXPECT_EQ(tokenize(" \t\n ", TokenMode::Word), Tokens{});
    // Non-ASCII letters stay in words; typographic quotes and dashes are tokens.
    EXPECT_EQ(
        tokenize("Café \xE2\x80\x9Cna\xC3\xAFve\xE2\x80\x9D \xE2\x80\x94 ok", TokenMode::Word),
        (Tokens{"caf\xC3\xA9", "\xE2\x80\x9C", "na\xC3\xAFve", "\xE2\x80\x9D", "\xE2\x80\x94",
                "ok"}));
    EXPECT_EQ(tokenize("x\xC2\xA0y", TokenMode::Word), (Tokens{"x", "y"}));  // no-break space
}

TEST(Text, CharTokensAreCodePointsWithSpaces) {
    EXPECT_EQ(tokenize("Hi é!", TokenMode::Char), (Tokens{"H", "i", " ", "\xC3\xA9", "!"}));
    EXPECT_EQ(tokenize("\xE9", TokenMode::Char), (Tokens{"\xEF\xBF\xBD"}));  // never a bare byte
}

TEST(Text, VocabularyComesFromTheTrainingPartByCountThenBytes) {
    const std::vector<Tokens> training{{"b", "a", "c", "a"}, {"c", "a", "d"}, {"<pad>", "e"}};
    const Vocabulary v = Vocabulary::build(training, 0, 1);
    EXPECT_EQ(v.tokens(), (Tokens{"<pad>", "<unk>", "a", "c", "b", "d", "e"}));
    // A size cap keeps the most frequent; min count drops the rare.
    EXPECT_EQ(Vocabulary::build(training, 4, 1).tokens(), (Tokens{"<pad>", "<unk>", "a", "c"}));
    EXPECT_EQ(Vocabulary::build(training, 0, 2).tokens(), (Tokens{"<pad>", "<unk>", "a", "c"}));
    // Unknown tokens (and text spelling the specials) are <unk>; truncation at max length.
    EXPECT_EQ(v.encode({"a", "zebra", "<pad>", "d"}),
              (std::vector<std::int32_t>{2, kUnk, kUnk, 5}));
    EXPECT_EQ(v.encode({"a", "b", "c"}, 2), (std::vector<std::int32_t>{2, 4}));
    EXPECT_EQ(v.decode({2, 0, 4, 1, 0}, " "), "a b <unk>");
    EXPECT_EQ(Vocabulary::fromTokens(v.tokens()).encode({"e"}), v.encode({"e"}));
    EXPECT_THROW(Vocabulary::fromTokens({"a", "b"}), std::invalid_argument);
}

TEST(Text, BucketedBatchesHoldEverySampleOnceAndAreDeterministic) {
    std::mt19937 gen(11);
    for (int round = 0; round < 30; ++round) {
        const std::int64_t n = std::uniform_int_distribution<std::int64_t>(1, 3000)(gen);
        const std::int64_t batch = std::uniform_int_distribution<std::int64_t>(1, 70)(gen);
        std::vector<std::int64_t> lengths(static_cast<std::size_t>(n));
        for (auto& l : lengths)
            l = std::uniform_int_distribution<std::int64_t>(1, 400)(gen);
        const Batches b = lengthGroupedBatches(lengths, batch, 7, round);
        std::vector<std::int64_t> seen;
        std::int64_t short_ = 0;
        for (const auto& x : b) {
            seen.insert(seen.end(), x.begin(), x.end());
            ASSERT_LE(static_cast<std::int64_t>(x.size()), batch);
            short_ += static_cast<std::int64_t>(x.size()) < batch;
        }
        std::sort(seen.begin(), seen.end());
        std::vector<std::int64_t> all(static_cast<std::size_t>(n));
        std::iota(all.begin(), all.end(), 0);
        ASSERT_EQ(seen, all) << "n " << n << " batch " << batch;
        // At most one short batch per mega-batch.
        EXPECT_LE(short_, (n + batch * 50 - 1) / (batch * 50));
        // The longest sample is in the first batch.
        const auto longest = *std::max_element(lengths.begin(), lengths.end());
        EXPECT_TRUE(std::any_of(b.front().begin(), b.front().end(), [&](std::int64_t s) {
            return lengths[static_cast<std::size_t>(s)] == longest;
        }));
        EXPECT_EQ(lengthGroupedBatches(lengths, batch, 7, round), b);  // same seed and epoch
        if (n > 2 * batch) {
            EXPECT_NE(lengthGroupedBatches(lengths, batch, 7, round + 1), b);  // a new epoch
        }
    }
}

TEST(Text, BucketingCutsThePaddingOfAShuffle) {
    // Lengths like short quotations: mostly 5-40 tokens, a long tail to 300.
    std::mt19937 gen(3);
    std::lognormal_distribution<double> dist(2.8, 0.7);
    std::vector<std::int64_t> lengths(5000);
    for (auto& l : lengths)
        l = std::clamp<std::int64_t>(static_cast<std::int64_t>(dist(gen)), 1, 300);
    const double plain = paddingShare(shuffledBatches(5000, 64, 1, 0), lengths);
    const double bucketed = paddingShare(lengthGroupedBatches(lengths, 64, 1, 0), lengths);
    EXPECT_GT(plain, 0.4);
    EXPECT_LT(bucketed, plain / 4);  // 0.11 against 0.51 here; the long tail pads the rest
    // Brute force on a small case: one batch of lengths 3 and 5 pads 2 of 10.
    EXPECT_DOUBLE_EQ(paddingShare({{0, 1}}, {3, 5}), 0.2);
    EXPECT_DOUBLE_EQ(paddingShare({{0}, {1}}, {3, 5}), 0.0);
    EXPECT_THROW(lengthGroupedBatches(lengths, 0, 1, 0), std::invalid_argument);
}

namespace {

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(TextSource, ReadsATableWithQuotedTextsAndCountsBadBytes) {
    runboard::test::TempDir dir;
    runboard::test::writeFile(dir.file("t.csv"),
                              "id,text,label\n"
                              "1,\"Hello, world\",greet\n"
                              "2,\"two\nlines\",spam\n"
                              "3,caf\xE9,greet\n");
    const TextSamples s = readTextTable(dir.file("t.csv"), "text", "");
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s.texts[0], "Hello, world");
    EXPECT_EQ(s.texts[1], "two\nlines");
    EXPECT_EQ(s.texts[2], "caf\xEF\xBF\xBD");
    EXPECT_EQ(s.replaced, 1u);
    EXPECT_EQ(s.samplesWithReplacements, 1u);
    EXPECT_EQ(s.classNames, (Tokens{"greet", "spam"}));
    EXPECT_EQ(s.labels, (std::vector<std::int32_t>{0, 1, 0}));
    EXPECT_EQ(s.where[2], "line 5");
    // A TSV, numeric labels in numeric order.
    runboard::test::writeFile(dir.file("t.tsv"), "label\ttext\n10\ta\n9\tb\n10\tc\n");
    const TextSamples t = readTextTable(dir.file("t.tsv"), "text", "label");
    EXPECT_EQ(t.classNames, (Tokens{"9", "10"}));
    EXPECT_EQ(t.labels, (std::vector<std::int32_t>{1, 0, 1}));
}

TEST(TextSource, BadTablesAreRefusedNamingTheFileAndTheProblem) {
    runboard::test::TempDir dir;
    const auto write = [&](const std::string& text) {
        runboard::test::writeFile(dir.file("b.csv"), text);
        return dir.file("b.csv");
    };
    EXPECT_NE(errorOf([&] {
                  readTextTable(write("text,label\nhi,a\n   ,b\n"), "text", "");
              }).find("line 3: the text ('text') is empty"),
              std::string::npos);
    EXPECT_NE(errorOf([&] {
                  readTextTable(write("text,label\nhi,a\nho,a\n"), "text", "");
              }).find("one class ('a')"),
              std::string::npos);
    EXPECT_NE(errorOf([&] {
                  readTextTable(write("Text,label\nhi,a\nho,b\n"), "text", "");
              }).find("did you mean 'Text'?"),
              std::string::npos);
    EXPECT_NE(errorOf([&] {
                  readTextTable(write("text,label\nhi,a\n"), "", "");
              }).find("data.text must name"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { readTextTable(write("text,label\n"), "text", ""); }).find("no rows"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { readTextTable(dir.file("none.csv"), "text", ""); }).find("none.csv"),
              std::string::npos);
    // A label with invalid bytes would become "caf\uFFFD", another label's name: refused.
    EXPECT_NE(errorOf([&] {
                  readTextTable(write("text,label\nhi,caf\xE9\nho,caf\xE8\nhm,b\n"), "text", "");
              }).find("line 2: the label ('label') is not valid UTF-8"),
              std::string::npos);
    EXPECT_NE(errorOf([&] {
                  readTextTable(write(std::string("\xFF\xFEt\0e\0x\0t\0", 10)), "text", "");
              }).find("b.csv: is UTF-16 text: save it as UTF-8"),
              std::string::npos);
    // A broken quote swallows the rest of the file into one text: over 1 MB is refused.
    EXPECT_NE(errorOf([&] {
                  readTextTable(
                      write("text,label\nhi,a\n\"" + std::string(1100000, 'x') + "\",b\n"), "text",
                      "");
              }).find("line 3: the text ('text') is 1.1 MB"),
              std::string::npos);
}

TEST(TextSource, IntegerLabelsAreOneClassHoweverWrittenAndATsvMayStartWithABom) {
    runboard::test::TempDir dir;
    runboard::test::writeFile(dir.file("n.csv"),
                              "text,label\na,1\nb,01\nc,1.0\nd,+1\ne,-2\nf,10\n");
    const TextSamples n = readTextTable(dir.file("n.csv"), "text", "");
    EXPECT_EQ(n.classNames, (Tokens{"-2", "1", "10"}));
    EXPECT_EQ(n.labels, (std::vector<std::int32_t>{1, 1, 1, 1, 0, 2}));
    // Not every label an integer: each kept as written.
    runboard::test::writeFile(dir.file("m.csv"), "text,label\na,1\nb,01\nc,x\n");
    EXPECT_EQ(readTextTable(dir.file("m.csv"), "text", "").classNames, (Tokens{"01", "1", "x"}));
    runboard::test::writeFile(dir.file("b.tsv"), "\xEF\xBB\xBFtext\tlabel\nhi\ta\nho\tb\n");
    const TextSamples t = readTextTable(dir.file("b.tsv"), "text", "label");
    EXPECT_EQ(t.texts, (Tokens{"hi", "ho"}));
    EXPECT_EQ(t.classNames, (Tokens{"a", "b"}));
}

TEST(TextSource, ReadsAFolderOfClassSubFolders) {
    runboard::test::TempDir dir;
    std::filesystem::create_directories(dir.path() / "ham");
    std::filesystem::create_directories(dir.path() / "spam");
    std::filesystem::create_directories(dir.path() / ".hidden");
    runboard::test::writeFile(dir.file("ham/1.txt"), "see you at noon");
    runboard::test::writeFile(dir.file("spam/1.txt"), "WIN \xFF money");
    runboard::test::writeFile(dir.file("spam/2.txt"), "cheap pills");
    runboard::test::writeFile(dir.file("spam/notes.md"), "ignored");
    runboard::test::writeFile(dir.file(".hidden/x.txt"), "ignored");
    const TextSamples s = readTextFolder(dir.path().string());
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s.classNames, (Tokens{"ham", "spam"}));
    EXPECT_EQ(s.labels, (std::vector<std::int32_t>{0, 1, 1}));
    EXPECT_EQ(s.replaced, 1u);
    runboard::test::writeFile(dir.file("ham/2.txt"), "\n\n");
    EXPECT_NE(errorOf([&] { readTextFolder(dir.path().string()); }).find("2.txt: is empty"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { readTextFolder(dir.file("missing")); }).find("is not a folder"),
              std::string::npos);
    std::filesystem::remove(dir.file("ham/2.txt"));
    runboard::test::writeFile(dir.file("ham/3.TXT"), "upper case");  // .TXT is text too
    EXPECT_EQ(readTextFolder(dir.path().string()).size(), 4u);

    // A train/ and test/ layout (IMDB's): named, with the folder to use instead.
    runboard::test::TempDir imdb;
    for (const char* part : {"train/pos", "train/neg", "test/pos", "test/neg"}) {
        std::filesystem::create_directories(imdb.path() / part);
        runboard::test::writeFile((imdb.path() / part / "1.txt").string(), "fine");
    }
    const std::string nested = errorOf([&] { readTextFolder(imdb.path().string()); });
    EXPECT_NE(nested.find("holds test, train with class folders of their own"), std::string::npos)
        << nested;
}

TEST(TextSource, ThePredictionReviewSeesEachSampleByItsId) {
    runboard::test::TempDir dir;
    runboard::test::writeFile(dir.file("t.csv"), "text,label\nfirst one,a\n\"second, quoted\",b\n");
    const auto samples = openTextSamples(dir.file("t.csv"), "", "text", "");
    EXPECT_EQ(samples->count(runboard::engine::FilePart::Train), 2);
    EXPECT_EQ(samples->text(runboard::engine::FilePart::Test, 1), "second, quoted");
    EXPECT_EQ(samples->text(runboard::engine::FilePart::Train, 0), "first one");
    EXPECT_TRUE(samples->fields(runboard::engine::FilePart::Train, 0).empty());  // no table row
    EXPECT_EQ(samples->describe(runboard::engine::FilePart::Train, 0), "line 2");
    EXPECT_TRUE(samples->text(runboard::engine::FilePart::Train, 2).empty());
    EXPECT_TRUE(samples->text(runboard::engine::FilePart::Train, -1).empty());
    EXPECT_EQ(samples->describe(runboard::engine::FilePart::Train, 7), "#7");
    EXPECT_TRUE(samples->image(runboard::engine::FilePart::Train, 0).empty());
    EXPECT_EQ(samples->classNames(), (Tokens{"a", "b"}));
    EXPECT_TRUE(samples->name().starts_with("t.csv#")) << samples->name();
    // The name is what a run records: the same bytes, the same name; other bytes, another.
    EXPECT_EQ(samples->name(), textSourceName(dir.file("t.csv"), ""));
    runboard::test::writeFile(dir.file("t.csv"), "text,label\nfirst one,b\n\"second, quoted\",a\n");
    EXPECT_NE(samples->name(), textSourceName(dir.file("t.csv"), ""));
}
