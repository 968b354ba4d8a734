// CSV datasets: the table checks (header, label column, ragged rows, one class, missing cells)
// with the messages users read, and the encoding against values computed by hand and, on random
// tables, against a brute-force standardisation.

#include "engine/data/tabular.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "engine/errors.h"

using namespace runboard::engine;

namespace {

std::string messageOf(const std::string& text, const TableSpec& spec = {}) {
    try {
        const Table t = parseTable(text, "data.csv", spec);
        std::vector<std::int64_t> all(t.rows.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = static_cast<std::int64_t>(i);
        fitEncoding(t, all, spec);
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Tabular, EncodesWithTheTrainingPartsStatisticsAsComputedByHand) {
    const std::string csv =
        "size,color,label\n"
        "1,red,10\n"
        "2,blue,2\n"
        "3,red,10\n"
        "7,green,2\n";  // row 3: test only; "green" never seen in training
    const Table t = parseTable(csv, "toy.csv", {});
    ASSERT_EQ(t.rows.size(), 4u);
    EXPECT_EQ(t.labelColumn, 2u);  // the last column by default
    const Encoding e = fitEncoding(t, {0, 1, 2}, {});
    // Classes in numeric order, not text order ("10" < "2").
    EXPECT_EQ(e.classes, (std::vector<std::string>{"2", "10"}));
    ASSERT_EQ(e.features.size(), 2u);
    EXPECT_FALSE(e.features[0].categorical);
    EXPECT_DOUBLE_EQ(e.features[0].mean, 2.0);
    EXPECT_DOUBLE_EQ(e.features[0].stdev, std::sqrt(2.0 / 3.0));  // population std of 1, 2, 3
    EXPECT_TRUE(e.features[1].categorical);
    EXPECT_EQ(e.features[1].categories, (std::vector<std::string>{"blue", "red"}));
    EXPECT_EQ(e.width(), 3u);
    EXPECT_EQ(e.featureNames(), (std::vector<std::string>{"size", "color=blue", "color=red"}));

    const EncodedRows rows = encodeRows(t, e, {0, 3});
    const float s = static_cast<float>(std::sqrt(2.0 / 3.0));
    ASSERT_EQ(rows.features.size(), 6u);
    EXPECT_FLOAT_EQ(rows.features[0], (1 - 2) / s);
    EXPECT_EQ(rows.features[1], 0.0f);
    EXPECT_EQ(rows.features[2], 1.0f);  // red
    EXPECT_FLOAT_EQ(rows.features[3], (7 - 2) / s);
    EXPECT_EQ(rows.features[4], 0.0f);  // green: unseen, all zeros
    EXPECT_EQ(rows.features[5], 0.0f);
    EXPECT_EQ(rows.labels, (std::vector<std::int64_t>{1, 0}));
}

TEST(Tabular, MissingCellsAreRefusedWithTheirLinesUnlessMeanIsAsked) {
    const std::string csv = "a,b,y\n1,x,0\nNA,y,1\n3,,0\n5,x,1\n";
    const std::string refused = messageOf(csv);
    EXPECT_NE(refused.find("data.csv"), std::string::npos) << refused;
    EXPECT_NE(refused.find("column 'a'"), std::string::npos) << refused;
    EXPECT_NE(refused.find("line 3"), std::string::npos) << refused;
    EXPECT_NE(refused.find("data.missing=mean"), std::string::npos) << refused;

    TableSpec mean{.missing = MissingPolicy::Mean};
    const Table t = parseTable(csv, "data.csv", mean);
    const Encoding e = fitEncoding(t, {0, 1, 2, 3}, mean);
    EXPECT_DOUBLE_EQ(e.features[0].mean, 3.0);  // of 1, 3, 5: the missing cell left out
    const EncodedRows rows = encodeRows(t, e, {1, 2});
    const std::size_t w = e.width();
    EXPECT_EQ(rows.features[0], 0.0f) << "a missing number is the training mean: 0 scaled";
    EXPECT_EQ(rows.features[w + 1], 0.0f);  // a missing category: all zeros
    EXPECT_EQ(rows.features[w + 2], 0.0f);
    // A missing label is refused whatever the policy.
    const std::string label = messageOf("a,y\n1,0\n2,\n3,1\n", mean);
    EXPECT_NE(label.find("label 'y' is missing on line 3"), std::string::npos) << label;
}

TEST(Tabular, BadTablesSayWhatIsWrongInTheUsersWords) {
    EXPECT_NE(messageOf("1,2,0\n3,4,1\n").find("header row"), std::string::npos);
    EXPECT_NE(messageOf("").find("empty"), std::string::npos);
    EXPECT_NE(messageOf("a,b,y\n").find("no data rows"), std::string::npos);
    const std::string noLabel = messageOf("a,b,y\n1,2,0\n", {.labelColumn = "target"});
    EXPECT_NE(noLabel.find("no label column 'target'"), std::string::npos) << noLabel;
    EXPECT_NE(noLabel.find("a, b, y"), std::string::npos) << noLabel;
    const std::string ragged = messageOf("a,b,y\n1,2,0\n3,1\n");
    EXPECT_NE(ragged.find("line 3 has 2 fields"), std::string::npos) << ragged;
    const std::string one = messageOf("a,y\n1,cat\n2,cat\n");
    EXPECT_NE(one.find("at least two classes"), std::string::npos) << one;
    EXPECT_NE(messageOf("a,a,y\n1,2,0\n").find("twice"), std::string::npos);
    // The label can be named, and need not be last.
    const Table t = parseTable("y,a\n0,1\n1,2\n", "t.csv", {.labelColumn = "y"});
    EXPECT_EQ(t.labelColumn, 0u);
}

TEST(Tabular, TrainingRowsAreStandardisedExactlyOnRandomTables) {
    // (Built with append: GCC 12 warns wrongly (-Wrestrict) on chains of string operator+.)
    std::mt19937 rng(7);
    for (int trial = 0; trial < 20; ++trial) {
        const std::size_t rows = 5 + rng() % 60, cols = 1 + rng() % 5;
        std::normal_distribution<double> value(static_cast<double>(rng() % 100),
                                               1.0 + static_cast<double>(rng() % 30));
        std::string csv;
        for (std::size_t c = 0; c < cols; ++c)
            csv.append("f").append(std::to_string(c)).append(",");
        csv.append("y\n");
        std::vector<std::vector<double>> x(rows);
        for (std::size_t r = 0; r < rows; ++r) {
            for (std::size_t c = 0; c < cols; ++c) {
                const std::string cell = std::to_string(value(rng));
                x[r].push_back(std::stod(cell));  // what the file says
                csv.append(cell).append(",");
            }
            csv.append(std::to_string(r % 3)).append("\n");
        }
        // The first two thirds train; brute force over them in long double.
        std::vector<std::int64_t> train;
        for (std::size_t r = 0; r < rows * 2 / 3; ++r)
            train.push_back(static_cast<std::int64_t>(r));
        const Table t = parseTable(csv, "random.csv", {});
        const Encoding e = fitEncoding(t, train, {});
        ASSERT_EQ(e.width(), cols);
        const EncodedRows enc = encodeRows(t, e, train);
        for (std::size_t c = 0; c < cols; ++c) {
            long double sum = 0, squares = 0;
            for (std::int64_t r : train)
                sum += x[static_cast<std::size_t>(r)][c];
            const long double mean = sum / static_cast<long double>(train.size());
            for (std::int64_t r : train)
                squares += (x[static_cast<std::size_t>(r)][c] - mean) *
                           (x[static_cast<std::size_t>(r)][c] - mean);
            const long double sd = std::sqrt(squares / static_cast<long double>(train.size()));
            for (std::size_t i = 0; i < train.size(); ++i) {
                const long double want = (x[i][c] - mean) / sd;
                EXPECT_NEAR(enc.features[i * cols + c], static_cast<double>(want), 1e-5)
                    << "trial " << trial << " row " << i << " column " << c;
            }
        }
    }
}

// A column of numbers with a stray word is refused (naming the cell), not one-hot encoded; "?"
// (the UCI repository's missing value) counts as missing; a text column stays categorical.
TEST(Tabular, StrayWordsInNumericColumnsAreRefusedAndQuestionMarksAreMissing) {
    std::string text = "x,y\n";
    for (int i = 0; i < 30; ++i)
        text += std::to_string(i) + "," + (i % 2 ? "a" : "b") + "\n";
    EXPECT_NE(
        messageOf(text + "\"1,000\",a\n").find("column 'x' holds numbers but '1,000' on line 32"),
        std::string::npos)
        << messageOf(text + "\"1,000\",a\n");
    EXPECT_TRUE(isMissing("?"));
    EXPECT_NE(messageOf(text + "?,a\n").find("missing values"), std::string::npos);
    EXPECT_EQ(messageOf(text + "?,a\n", {.missing = MissingPolicy::Mean}), "");
}

// data.path must be a regular file: a directory, a device or a FIFO would hang or exhaust memory.
TEST(Tabular, OnlyRegularFilesAreRead) {
    for (const char* path : {"/dev/zero", "/tmp", "/dev/null"}) {
        try {
            (void)readTable(path, {});
            ADD_FAILURE() << path << " was read";
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find("is not a regular file"), std::string::npos)
                << e.what();
        }
    }
}

// Runboard only classifies: a label of decimals (a regression target), or of nearly one value a
// row, is refused naming the column and the others, not trained as hundreds of one-row classes.
TEST(Tabular, ALabelThatLooksLikeANumberToPredictIsRefusedNamingTheOtherColumns) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> uniform(0.0, 5.0);
    std::string prices = "rooms,area,zone,price\n", ids = "x,id\n";
    for (int r = 0; r < 300; ++r) {
        prices.append(std::to_string(r % 5)).append(",").append(std::to_string(uniform(rng)));
        prices.append(",z").append(std::to_string(r % 3)).append(",");
        prices.append(std::to_string(100 + r - r / 75)).append("\n");  // 297 whole numbers
        ids.append(std::to_string(r)).append(",u").append(std::to_string(r)).append("\n");
    }
    const std::string many = messageOf(prices);
    EXPECT_NE(many.find("data.csv"), std::string::npos) << many;
    EXPECT_NE(many.find("label column 'price' (the last column: data.label is unset)"),
              std::string::npos)
        << many;
    EXPECT_NE(many.find("297 distinct values in 300 rows; 'price' looks like a number to "
                        "predict, not a class"),
              std::string::npos)
        << many;
    EXPECT_NE(many.find("data.label=COLUMN"), std::string::npos) << many;
    EXPECT_NE(many.find("'rooms', 'area', 'zone'"), std::string::npos) << many;
    // The label first, a float feature last (the default label): refused, however few rows.
    const std::string swapped = messageOf("species,petal\nsetosa,1.4\nvirginica,5.1\n");
    EXPECT_NE(swapped.find("label column 'petal'"), std::string::npos) << swapped;
    EXPECT_NE(swapped.find("with decimals ('1.4' on line 2)"), std::string::npos) << swapped;
    EXPECT_NE(swapped.find("the others are 'species'"), std::string::npos) << swapped;
    EXPECT_EQ(messageOf("species,petal\nsetosa,1.4\nvirginica,5.1\n", {.labelColumn = "species"}),
              "");
    // A named label of decimals says so too; text of one value a row is an id.
    EXPECT_NE(messageOf(prices, {.labelColumn = "area"}).find("looks like a number to predict"),
              std::string::npos);
    const std::string id = messageOf(ids);
    EXPECT_NE(id.find("300 distinct values in 300 rows; 'id' looks like an id or free text"),
              std::string::npos)
        << id;
    // Many classes are fine while they are at most 20, or at most half the rows.
    EXPECT_EQ(messageOf(prices, {.labelColumn = "rooms"}), "");
    std::string twenty = "x,y\n", halves = "x,y\n";
    for (int r = 0; r < 30; ++r)
        twenty.append(std::to_string(r)).append(",").append(std::to_string(r % 20)).append("\n");
    for (int r = 0; r < 100; ++r)
        halves.append(std::to_string(r)).append(",c").append(std::to_string(r % 50)).append("\n");
    EXPECT_EQ(messageOf(twenty), "");
    EXPECT_EQ(messageOf(halves), "");
}

// Whole-number labels are numbers: "0" and "0.0" are one class, named "0", in numeric order;
// text labels keep their spelling and string order.
TEST(Tabular, WholeNumberLabelsAreOneClassPerNumberInNumericOrder) {
    const std::string csv = "a,y\n1,0\n2,0.0\n3,1\n4,1.00\n5, +10\n6,9\n7,-0\n8,1e1\n";
    const Table t = parseTable(csv, "n.csv", {});
    EXPECT_TRUE(t.integerLabels);
    EXPECT_EQ(labelOf(t, 1), "0");
    EXPECT_EQ(labelOf(t, 6), "0");
    EXPECT_EQ(labelOf(t, 7), "10");
    EXPECT_EQ(labelClasses(t), (std::vector<std::string>{"0", "1", "9", "10"}));
    const Encoding e = fitEncoding(t, {0, 1, 2, 3, 4, 5, 6, 7}, {});
    EXPECT_EQ(e.classes, (std::vector<std::string>{"0", "1", "9", "10"}));
    EXPECT_EQ(encodeRows(t, e, {0, 1, 2, 3, 4, 5, 6, 7}).labels,
              (std::vector<std::int64_t>{0, 0, 1, 1, 3, 2, 0, 3}));
    // Text labels (a word among the numbers) stay as written, in string order.
    const Table text = parseTable("a,y\n1,0\n2,0.0\n3,b\n4,10\n", "s.csv", {});
    EXPECT_FALSE(text.integerLabels);
    EXPECT_EQ(labelClasses(text), (std::vector<std::string>{"0", "0.0", "10", "b"}));
}

// Files separated by ';' (spreadsheets where the decimal mark is a comma) or tabs are named as
// such, not refused as "no feature column"; a ';' inside quotes or beside commas is data.
TEST(Tabular, SemicolonAndTabSeparatedFilesAreNamedAsSuch) {
    const std::string semi = messageOf("\xEF\xBB\xBF\"a\";\"b\";label\n1,5;2;x\n3,5;4;y\n");
    EXPECT_NE(semi.find("CSV dataset 'data.csv': line 1 looks separated by ';', not by commas"),
              std::string::npos)
        << semi;
    EXPECT_NE(semi.find("comma-separated files only; convert it"), std::string::npos) << semi;
    const std::string tabs = messageOf("\na\tb\tlabel\n1\t2\tx\n");
    EXPECT_NE(tabs.find("line 2 looks separated by tabs"), std::string::npos) << tabs;
    EXPECT_NE(messageOf("\"a;b\"\n1\n2\n").find("at least one feature column"), std::string::npos);
    EXPECT_EQ(messageOf("a;b,y\n1,p\n2,q\n"), "");
}

// A data.label that names no column suggests the nearest: the same name in another case, else a
// typo within two edits; nothing when no name is close.
TEST(Tabular, AnUnknownLabelSuggestsTheNearestColumn) {
    const std::string csv = "x,target,label\n1,0,a\n2,1,b\n";
    const std::string cased = messageOf(csv, {.labelColumn = "Target"});
    EXPECT_NE(cased.find("there is no label column 'Target' (data.label); did you mean 'target'? "
                         "the columns are x, target, label"),
              std::string::npos)
        << cased;
    EXPECT_NE(messageOf(csv, {.labelColumn = "lable"}).find("did you mean 'label'?"),
              std::string::npos);
    EXPECT_NE(messageOf(csv, {.labelColumn = "targets"}).find("did you mean 'target'?"),
              std::string::npos);
    for (const char* far : {"y", "class", "z"})
        EXPECT_EQ(messageOf(csv, {.labelColumn = far}).find("did you mean"), std::string::npos)
            << far;
}
