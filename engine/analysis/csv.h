#pragma once
// Label flags as CSV, and the CSV reader and field writers under analysis' names.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/analysis/result.h"
#include "engine/data/csv.h"
#include "storage/predictions.h"

namespace runboard::analysis {

// The reader and field writers live with the dataset files (engine/data/csv.h).
using engine::csvField;
using engine::CsvRecord;
using engine::csvTextField;
using engine::parseCsv;

// Label flags as CSV: dataset,split,index,true_label,flag,note (RFC 4180 quoting); labels by name
// when given.
std::string flagsCsv(const std::vector<storage::FlagRecord>& flags,
                     const std::vector<std::string>& classNames = {});

}  // namespace runboard::analysis
