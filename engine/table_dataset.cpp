// data.source = csv: a table read and encoded by engine/data/tabular (Torch-free), made tensors.

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "engine/data/tabular.h"
#include "engine/dataset.h"
#include "engine/errors.h"

namespace runboard::engine {
namespace {

// The rows' encoded features and labels as tensors; the ids are the rows' numbers in the file
// (1 = the first row after the header).
SplitData tableSplit(const Table& table, const Encoding& encoding,
                     const std::vector<std::int64_t>& rows) {
    SplitData s;
    if (rows.empty()) return s;
    EncodedRows encoded = encodeRows(table, encoding, rows);
    const auto n = static_cast<std::int64_t>(rows.size());
    const auto width = static_cast<std::int64_t>(encoding.width());
    s.inputs = torch::from_blob(encoded.features.data(), {n, width}, torch::kFloat32).clone();
    s.labels = torch::tensor(encoded.labels, torch::kInt64);
    s.indices = torch::tensor(rows, torch::kInt64).add_(1);
    return s;
}

}  // namespace

Dataset loadCsvDataset(const DataOptions& o) {
    const TableSpec spec{o.label, o.missing};
    const std::string bytes = readTableText(o.path);
    const Table table = parseTable(bytes, o.path, spec);
    const auto n = static_cast<std::int64_t>(table.rows.size());
    Carved parts = carveSplits(n, o.testShare, o.valShare, o.splitSeed);
    if (parts.train.size() < 2)
        throw DataError(o.path + ": " + std::to_string(n) +
                        " rows leave fewer than 2 for training after data.test_size and "
                        "data.val_share; a classifier needs more rows");
    std::vector<std::int64_t>& trainRows = parts.train;
    trainRows = limitedSample(trainRows, o.limit, o.splitSeed);

    const Encoding encoding = fitEncoding(table, trainRows, spec);
    if (encoding.width() == 0)
        throw DataError(o.path + ": no column besides the label '" +
                        table.header[table.labelColumn] + "' to learn from");
    Dataset d;
    d.numClasses = static_cast<int>(encoding.classes.size());
    d.classNames = encoding.classes;
    d.sourceName = tableSourceName(o.path, bytes);
    d.featureNames = encoding.featureNames();
    d.sampleShape = {static_cast<std::int64_t>(encoding.width())};
    d.train = tableSplit(table, encoding, trainRows);
    d.val = tableSplit(table, encoding, parts.val);
    d.test = tableSplit(table, encoding, parts.test);
    return d;
}

}  // namespace runboard::engine
