#pragma once
// runboard_analysis reports failures as storage does, with the Result/Error vocabulary of
// storage/result.h: that header is plain C++ (no SQL, nothing to link), so a caller chains a
// storage read and an analysis step with and_then/transform and keeps one error type and one
// mapping to exit codes.

#include "storage/result.h"

namespace runboard::analysis {

using storage::Error;
using storage::ErrorKind;
using storage::Result;
using storage::Status;

}  // namespace runboard::analysis
