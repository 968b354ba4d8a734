#pragma once
// Kaggle's leaderboard downloads (TeamId,TeamName,SubmissionDate,Score), parsed and merged into
// one board's entries: a public and a private file become one entry per team.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/analysis/result.h"
#include "storage/leaderboard.h"

namespace runboard::analysis {

struct KaggleRow {
    std::size_t line = 0;
    std::string teamId, teamName, submittedAt;
    double score = 0;
};
struct KaggleFile {
    std::vector<KaggleRow> rows;
    std::vector<std::string> skipped;  // "line N: why", rows left out
};
// Fails (ErrorKind::InvalidArgument, the message names the file and the problem) when the text is
// not such a CSV.
Result<KaggleFile> parseKaggleLeaderboard(std::string_view text, const std::string& fileName);
// Public and private rows of the same team together: matched by TeamId, else by TeamName. A team
// in only one file has no score on the other side. Submission date: the public file's, else the
// private one's.
std::vector<storage::BoardEntry> mergeKaggle(const KaggleFile& publicFile,
                                             const KaggleFile& privateFile);

}  // namespace runboard::analysis
