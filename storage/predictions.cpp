#include "storage/predictions.h"

#include <cstring>

#include "storage/values.h"

namespace runboard::storage {

namespace {

PredictionRecord readRow(const Statement& s, bool withProbs) {
    PredictionRecord r;
    r.epoch = s.columnInt64(0);
    r.sampleIndex = s.columnInt64(1);
    r.target = static_cast<std::int32_t>(s.columnInt64(2));
    r.predicted = static_cast<std::int32_t>(s.columnInt64(3));
    r.confidence = static_cast<float>(s.columnDouble(4));
    r.loss = decode(s.columnDouble(5), s.columnInt64(6));
    if (withProbs) {
        const auto blob = s.columnBlob(7);
        r.probs.resize(blob.size() / sizeof(float));
        std::memcpy(r.probs.data(), blob.data(), r.probs.size() * sizeof(float));
    }
    return r;
}

Status checkSplit(std::string_view split) {
    if (split == "train" || split == "val" || split == "test") return {};
    return Error{ErrorKind::InvalidArgument,
                 "unknown split '" + std::string(split) + "' (expected train, val or test)"};
}

}  // namespace

Result<std::vector<std::int64_t>> predictionEpochs(Connection& db, std::int64_t run,
                                                   std::string_view split) {
    if (auto ok = checkSplit(split); !ok) return ok.error();
    return db.rows(
        "SELECT DISTINCT epoch FROM predictions WHERE run_id = ? AND split = ? ORDER BY epoch",
        [](const Statement& st) { return st.get<std::int64_t>(0); }, run, split);
}

Result<std::vector<PredictionRecord>> readPredictions(Connection& db, std::int64_t run,
                                                      std::string_view split, std::int64_t epoch,
                                                      bool withProbs) {
    if (auto ok = checkSplit(split); !ok) return ok.error();
    return db.rows(
        withProbs ? "SELECT epoch, sample_index, target, predicted, confidence, loss, "
                    "loss_nonfinite, probs FROM predictions WHERE run_id = ? AND "
                    "split = ? AND epoch = ? ORDER BY sample_index"
                  : "SELECT epoch, sample_index, target, predicted, confidence, loss, "
                    "loss_nonfinite FROM predictions WHERE run_id = ? AND split = ? "
                    "AND epoch = ? ORDER BY sample_index",
        [withProbs](const Statement& st) { return readRow(st, withProbs); }, run, split, epoch);
}

Result<std::vector<PredictionRecord>> finalTestPredictions(Connection& db, std::int64_t run,
                                                           bool withProbs) {
    return db
        .queryValue<std::int64_t>(
            "SELECT max(epoch) FROM predictions WHERE run_id = ? AND split = 'test'", run)
        .and_then([&](std::optional<std::int64_t> epoch) -> Result<std::vector<PredictionRecord>> {
            if (!epoch) return std::vector<PredictionRecord>{};
            return readPredictions(db, run, "test", *epoch, withProbs);
        });
}

Result<std::vector<PredictionRecord>> sampleHistory(Connection& db, std::int64_t run,
                                                    std::string_view split,
                                                    std::int64_t sampleIndex) {
    if (auto ok = checkSplit(split); !ok) return ok.error();
    return db.rows(
        "SELECT epoch, sample_index, target, predicted, confidence, loss, loss_nonfinite, probs "
        "FROM predictions WHERE run_id = ? AND split = ? AND sample_index = ? ORDER BY epoch",
        [](const Statement& st) { return readRow(st, true); }, run, split, sampleIndex);
}

std::optional<LabelFlag> parseFlag(std::string_view name) {
    for (LabelFlag f : {LabelFlag::WrongLabel, LabelFlag::Ambiguous, LabelFlag::Interesting})
        if (flagName(f) == name) return f;
    return std::nullopt;
}

Status setFlag(Connection& db, const FlagRecord& flag) {
    if (flag.dataset.empty())
        return Error{ErrorKind::InvalidArgument, "a label flag needs a dataset name"};
    if (flag.part != "train" && flag.part != "test")
        return Error{ErrorKind::InvalidArgument,
                     "unknown dataset part '" + flag.part + "' (expected train or test)"};
    if (flag.sampleIndex < 0)
        return Error{ErrorKind::InvalidArgument,
                     "sample index " + std::to_string(flag.sampleIndex) + " is negative"};
    return db.exec(
        "INSERT INTO label_flags (dataset, part, sample_index, target, flag, note) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dataset, part, sample_index) DO UPDATE SET "
        "target = excluded.target, flag = excluded.flag, note = excluded.note, "
        "created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        flag.dataset, flag.part, flag.sampleIndex, flag.target, flagName(flag.flag), flag.note);
}

Status clearFlag(Connection& db, std::string_view dataset, std::string_view part,
                 std::int64_t sampleIndex) {
    return db.exec("DELETE FROM label_flags WHERE dataset = ? AND part = ? AND sample_index = ?",
                   dataset, part, sampleIndex);
}

Result<std::vector<FlagRecord>> listFlags(Connection& db, std::string_view dataset) {
    return db.rows(
        "SELECT dataset, part, sample_index, target, flag, note, created_at FROM label_flags "
        "WHERE ?1 = '' OR dataset = ?1 ORDER BY dataset, part, sample_index",
        [](const Statement& st) {
            return FlagRecord{st.get<std::string>(0),
                              st.get<std::string>(1),
                              st.get<std::int64_t>(2),
                              st.get<std::int32_t>(3),
                              parseFlag(st.get<std::string>(4)).value_or(LabelFlag::WrongLabel),
                              st.get<std::string>(5),
                              st.get<std::string>(6)};
        },
        dataset);
}

}  // namespace runboard::storage
