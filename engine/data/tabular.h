#pragma once
// A CSV table as a classification dataset (data.source = csv), Torch-free: the engine turns the
// encoded rows into tensors, the GUI shows a row's values and label. Every sample's stable id is
// its row number in the file (1 = the first row after the header), so predictions and flags line
// up across runs as the IDX index does.
//
// The encoding is scikit-learn's StandardScaler + OneHotEncoder(handle_unknown="ignore"), fitted
// on the training part only, so nothing of the validation or test rows leaks into it:
// - a column whose every present value is a finite number is a numeric feature, standardised
//   with the training part's mean and population standard deviation (a constant column: 0);
// - any other column is categorical: one feature per value seen in the training part, in sorted
//   order; a value first seen in validation or test encodes as all zeros;
// - a column of numbers with a few words in it (under 10% of its cells: "1,000", "inf") is refused,
//   naming the first such cell, rather than one-hot encoded;
// - missing cells ("", NA, NaN, N/A, null, ?, case-insensitive) are refused, naming the first rows,
//   unless missing = mean: a numeric cell then takes the training mean (0 after scaling), a
//   categorical one all zeros. A missing label is always refused.
//
// The label must hold classes: Runboard only trains classifiers, and a regression target taken
// for classes (decimals, or nearly one value per row) would train hundreds of one-row classes
// and fail later with a misleading hint. So fitEncoding refuses a label whose values are numbers
// with decimals, or more than 20 distinct values in more than half the rows, naming the column
// and the other columns to choose from. A label of whole numbers is read as numbers: "0" and
// "0.0" are one class, named "0", and the classes go in numeric order ("9" before "10").
// A file separated by ';' (spreadsheets where the decimal mark is a comma) or tabs is refused
// as such, rather than read as one column.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/choices.h"
#include "engine/data/sample_images.h"

namespace runboard::engine {

using config::MissingPolicy;

struct TableSpec {
    std::string labelColumn;  // empty: the last column
    MissingPolicy missing = MissingPolicy::Refuse;
};

struct Table {
    std::string path;  // for messages
    std::vector<std::string> header;
    std::size_t labelColumn = 0;
    std::vector<std::vector<std::string>> rows;  // every row as wide as the header
    std::vector<std::size_t> lines;              // each row's first line in the file (messages)
    // Every present label is a whole number: the classes are the numbers, not their spellings.
    bool integerLabels = false;
};

// Whether a cell counts as missing.
bool isMissing(std::string_view cell);

// Parses CSV text as a dataset table: a header row (named columns, no duplicates), every row as
// wide as the header, the label column present (else the nearest name is suggested: 'target' for
// data.label=Target). Throws DataError naming the file, line and column, and for a line 1 that
// has no comma but ';' or tabs, naming the separator.
Table parseTable(std::string_view text, const std::string& path, const TableSpec& spec);
// The column a misspelt name most likely means ("" when none is close): 'Target' for 'target'.
std::string suggestColumn(const std::vector<std::string>& header, std::string_view wanted);
// The bytes of a table file; DataError for one that is missing, not a regular file (a directory,
// a device, a FIFO) or unreadable.
std::string readTableText(const std::string& path);
// Reads the file and parses it (DataError for a file that cannot be read).
Table readTable(const std::string& path, const TableSpec& spec);

struct ColumnEncoding {
    std::string name;
    std::size_t column = 0;  // in the table
    bool categorical = false;
    double mean = 0, stdev = 1;           // numeric: the training part's
    std::vector<std::string> categories;  // categorical: the training part's values, sorted
};

struct Encoding {
    std::vector<ColumnEncoding> features;  // in the file's column order, the label left out
    std::vector<std::string> classes;      // label values: numerically sorted when all numbers
    std::size_t width() const;
    // One name per encoded feature: the column's, or "column=value" for a category.
    std::vector<std::string> featureNames() const;
};

// The class of a row's label (index into table.rows): the trimmed cell, or when the labels are
// whole numbers (table.integerLabels), the number as an integer ("0.0" and " 0" are "0").
std::string labelOf(const Table& table, std::size_t row);

// The label's classes: every row's labelOf, numerically sorted when all are numbers, else in
// string order (the order of the model's outputs). Never refuses (the gallery shows any table).
std::vector<std::string> labelClasses(const Table& table);

// Fits the encoding on `trainRows` (row indices into table.rows). Throws DataError for missing
// cells (unless spec.missing is Mean), a missing label, fewer than two classes in the table, or
// a label that looks like a number to predict (or an id) rather than classes.
Encoding fitEncoding(const Table& table, const std::vector<std::int64_t>& trainRows,
                     const TableSpec& spec);

struct EncodedRows {
    std::vector<float> features;       // row-major, rows x encoding.width()
    std::vector<std::int64_t> labels;  // index into encoding.classes
};

// Encodes `rows` with a fitted encoding (missing cells as fitEncoding allowed them).
EncodedRows encodeRows(const Table& table, const Encoding& encoding,
                       const std::vector<std::int64_t>& rows);

// The table's rows as the gallery shows them, by row number (1 = the first after the header):
// the cells, "row N (line L)", and the classes in the model's order. Named by the file's name and
// a fingerprint of its bytes, so flags follow the contents. Throws DataError as readTable.
std::unique_ptr<SampleImages> openTableSamples(const std::string& path, const TableSpec& spec);
// That name ("iris.csv#1a2b3c4d"), of the table's bytes: what a run records it trained on.
std::string tableSourceName(const std::string& path, std::string_view bytes);

}  // namespace runboard::engine
