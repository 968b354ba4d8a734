#include "engine/analysis/kaggle.h"

#include <charconv>
#include <cmath>
#include <map>

#include "engine/analysis/csv.h"

namespace runboard::analysis {

using storage::BoardEntry;

Result<KaggleFile> parseKaggleLeaderboard(std::string_view text, const std::string& fileName) {
    auto notKaggle = [&](const std::string& why) {
        return Error{ErrorKind::InvalidArgument,
                     "'" + fileName + "' is not a Kaggle leaderboard CSV: " + why};
    };
    auto records = parseCsv(text);
    if (!records) return notKaggle(records.error().message);
    if (records->empty()) return notKaggle("the file is empty");
    const std::vector<std::string> expected = {"TeamId", "TeamName", "SubmissionDate", "Score"};
    const auto& header = records->front().fields;
    if (header != expected) {
        std::string got;
        for (std::size_t i = 0; i < header.size() && i < 6; ++i) {
            if (i > 0) got += ',';  // (not `"," + s`: GCC 12 reports a false -Wrestrict)
            got.append(header[i], 0, 40);
        }
        return notKaggle("expected the header TeamId,TeamName,SubmissionDate,Score, got '" + got +
                         "'");
    }
    KaggleFile file;
    for (std::size_t r = 1; r < records->size(); ++r) {
        const CsvRecord& rec = (*records)[r];
        const std::string where = "line " + std::to_string(rec.line) + ": ";
        if (rec.fields.size() != 4) {
            file.skipped.push_back(where + "expected 4 fields, got " +
                                   std::to_string(rec.fields.size()));
            continue;
        }
        std::string_view scoreText = rec.fields[3];
        while (!scoreText.empty() && (scoreText.front() == ' ' || scoreText.front() == '\t'))
            scoreText.remove_prefix(1);
        while (!scoreText.empty() && (scoreText.back() == ' ' || scoreText.back() == '\t'))
            scoreText.remove_suffix(1);
        double score = 0;
        const char* begin = scoreText.data();
        const char* end = begin + scoreText.size();
        const auto [ptr, ec] = std::from_chars(begin, end, score);
        if (scoreText.empty() || ec != std::errc() || ptr != end || !std::isfinite(score)) {
            file.skipped.push_back(where + "the score '" + std::string(scoreText.substr(0, 40)) +
                                   "' is not a number");
            continue;
        }
        if (rec.fields[0].empty() && rec.fields[1].empty()) {
            file.skipped.push_back(where + "no TeamId and no TeamName");
            continue;
        }
        file.rows.push_back({rec.line, rec.fields[0], rec.fields[1], rec.fields[2], score});
    }
    // One row per team: the private file is matched to the public one by TeamId (else by
    // TeamName), so a second row with the same key would take a score that is not its own (the
    // second team lost its private score). Refused, naming both lines.
    std::map<std::string, std::size_t> lineOfId, lineOfName;
    for (const KaggleRow& r : file.rows) {
        const bool byId = !r.teamId.empty();
        auto [it, fresh] =
            (byId ? lineOfId : lineOfName).emplace(byId ? r.teamId : r.teamName, r.line);
        if (fresh) continue;
        return Error{ErrorKind::InvalidArgument,
                     "'" + fileName + "' has " + (byId ? "TeamId '" : "TeamName '") +
                         (byId ? r.teamId : r.teamName).substr(0, 80) + "'" +
                         (byId ? "" : " without a TeamId") + " twice (lines " +
                         std::to_string(it->second) + " and " + std::to_string(r.line) +
                         "): a leaderboard has one row per team, and the second one's scores "
                         "would be matched to the first"};
    }
    if (file.rows.empty())
        return notKaggle("no row has a numeric score" + (file.skipped.empty()
                                                             ? std::string()
                                                             : " (" + file.skipped.front() + ")"));
    return file;
}

std::vector<BoardEntry> mergeKaggle(const KaggleFile& publicFile, const KaggleFile& privateFile) {
    std::vector<BoardEntry> out;
    std::map<std::string, std::size_t> byId, byName;
    for (const KaggleRow& r : publicFile.rows) {
        BoardEntry e{r.teamId, r.teamName, std::nullopt, r.submittedAt, r.score, std::nullopt};
        if (!r.teamId.empty()) byId.emplace(r.teamId, out.size());
        if (!r.teamName.empty()) byName.emplace(r.teamName, out.size());
        out.push_back(std::move(e));
    }
    for (const KaggleRow& r : privateFile.rows) {
        std::optional<std::size_t> match;
        if (auto f = byId.find(r.teamId); !r.teamId.empty() && f != byId.end()) match = f->second;
        if (auto f = byName.find(r.teamName); !match && !r.teamName.empty() && f != byName.end())
            match = f->second;
        if (match && !out[*match].privateScore) {
            out[*match].privateScore = r.score;
            continue;
        }
        out.push_back({r.teamId, r.teamName, std::nullopt, r.submittedAt, std::nullopt, r.score});
    }
    return out;
}

}  // namespace runboard::analysis
