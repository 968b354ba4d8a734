// CSV: the reader on what spreadsheets and Kaggle write, the writer's OWASP rule on text cells,
// and the label-flag export read back (from flags stored and listed by storage).

#include "engine/analysis/csv.h"

#include <gtest/gtest.h>

#include "storage/schema.h"
#include "support/fixtures.h"

using namespace runboard::analysis;
using runboard::storage::FlagRecord;
using runboard::storage::LabelFlag;
using runboard::test::TempDir;

TEST(Csv, QuotesCommasCrlfBomAndNonAscii) {
    const std::string text =
        "\xEF\xBB\xBFTeamId,TeamName,SubmissionDate,Score\r\n"
        "1,\"Smith, Jones & Co\",2026-01-01,0.5\r\n"
        "2,\"say \"\"hi\"\"\",2026-01-02,0.6\r\n"
        "\r\n"
        "3,\"two\nlines\",2026-01-03,0.7\n"
        "4,Команда Ёж 🦔,2026-01-04,0.8";
    auto rows = parseCsv(text);
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 5u);
    EXPECT_EQ((*rows)[0].fields.front(), "TeamId");  // the BOM is gone
    EXPECT_EQ((*rows)[1].fields[1], "Smith, Jones & Co");
    EXPECT_EQ((*rows)[2].fields[1], "say \"hi\"");
    EXPECT_EQ((*rows)[3].fields[1], "two\nlines");
    EXPECT_EQ((*rows)[3].line, 5u);
    EXPECT_EQ((*rows)[4].line, 7u);
    EXPECT_EQ((*rows)[4].fields[1], "Команда Ёж 🦔");
    EXPECT_EQ((*rows)[4].fields[3], "0.8");
    EXPECT_EQ(parseCsv("a,\"open\n").error().message,
              "line 1: a quoted field is not closed before the end of the file");
    EXPECT_EQ(parseCsv("a,\"x\"y\n").error().message,
              "line 1: text after the closing quote of a field");
}

TEST(LabelFlags, CsvExportParsesBackToTheSameFieldsWithLabelsByName) {
    const std::vector<FlagRecord> flags = {
        {"fashion-mnist", "test", 3, 2, LabelFlag::Interesting, "nice", ""},
        {"fashion-mnist", "train", 17, 6, LabelFlag::WrongLabel,
         "looks like a \"shirt\", not a coat", ""}};
    // CSV: parses back to the same fields, labels by name.
    const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                            "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                            "Bag",         "Ankle boot"};
    const std::string csv = flagsCsv(flags, names);
    auto parsed = parseCsv(csv);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), 3u);
    EXPECT_EQ((*parsed)[0].fields, (std::vector<std::string>{"dataset", "split", "index",
                                                             "true_label", "flag", "note"}));
    EXPECT_EQ((*parsed)[1].fields, (std::vector<std::string>{"fashion-mnist", "test", "3",
                                                             "Pullover", "interesting", "nice"}));
    EXPECT_EQ((*parsed)[2].fields[3], "Shirt");
    EXPECT_EQ((*parsed)[2].fields[5], "looks like a \"shirt\", not a coat");
}

// CSV injection (issue 13, item 12): OWASP's rule on every text cell of the flag export.
TEST(LabelFlags, CsvExportNeutralisesFormulasAndParsesBack) {
    TempDir dir;
    auto db = runboard::storage::openDatabase(dir.file("inj.db"));
    ASSERT_TRUE(db);
    const std::vector<std::string> notes = {"=cmd|' /C calc'!A0",
                                            "+1+1",
                                            "-2+3",
                                            "@SUM(A1:A9)",
                                            "\t=1",
                                            "\r=1",
                                            "\xEF\xBC\x9D"
                                            "1+1",  // full-width '='
                                            "a;=1+1",
                                            "fine, \"quoted\"",
                                            ""};
    for (std::size_t i = 0; i < notes.size(); ++i)
        ASSERT_TRUE(runboard::storage::setFlag(
            db.value(), {"=HYPERLINK(\"http://x\")", "test", static_cast<std::int64_t>(i), 0,
                         LabelFlag::WrongLabel, notes[i], ""}));
    auto flags = runboard::storage::listFlags(db.value());
    ASSERT_TRUE(flags);
    ASSERT_EQ(flags->size(), notes.size());
    const std::string csv = flagsCsv(flags.value(), {"-Coat"});
    // The raw text never starts a cell: no line and no field begins with a formula character.
    EXPECT_EQ(csv.find(",=cmd"), std::string::npos) << csv;
    EXPECT_EQ(csv.find("\n=HYPERLINK"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",\"'=cmd|' /C calc'!A0\""), std::string::npos) << csv;
    auto parsed = parseCsv(csv);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->size(), notes.size() + 1);
    for (std::size_t i = 0; i < notes.size(); ++i) {
        const auto& fields = (*parsed)[i + 1].fields;
        ASSERT_EQ(fields.size(), 6u) << i;
        EXPECT_EQ(fields[0], "'=HYPERLINK(\"http://x\")");
        EXPECT_EQ(fields[1], "test");
        EXPECT_EQ(fields[2], std::to_string(i));  // a number stays a number
        EXPECT_EQ(fields[3], "'-Coat");
        EXPECT_EQ(fields[4], "wrong_label");
        const std::string& note = notes[i];
        const bool formula =
            !note.empty() && (std::string("=+-@\t\r").find(note[0]) != std::string::npos ||
                              note.starts_with("\xEF\xBC\x9D"));
        EXPECT_EQ(fields[5], formula ? "'" + note : note) << i;
    }
}

TEST(Csv, TextFieldsFollowOwaspAndNumbersStayNumbers) {
    EXPECT_EQ(csvTextField("=1+2"), "\"'=1+2\"");
    EXPECT_EQ(csvTextField("-0.5"), "\"'-0.5\"");  // as text: a name, not a number
    EXPECT_EQ(csvTextField("@x"), "\"'@x\"");
    EXPECT_EQ(csvTextField("\n=1"), "\"'\n=1\"");
    EXPECT_EQ(csvTextField("plain"), "\"plain\"");
    EXPECT_EQ(csvTextField("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(csvTextField(""), "\"\"");
    EXPECT_EQ(csvTextField("x=1"), "\"x=1\"");  // only the first character counts
    // Numeric columns are written without it: -0.5 parses back as a number.
    const std::string row = csvTextField("-name") + "," + std::to_string(-0.5) + "\n";
    auto parsed = parseCsv(row);
    ASSERT_TRUE(parsed);
    EXPECT_EQ((*parsed)[0].fields, (std::vector<std::string>{"'-name", "-0.500000"}));
}
