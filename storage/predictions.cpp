#include "storage/predictions.h"

#include <cstring>

#include "storage/csv.h"
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
    auto s = db.prepare(
        "SELECT DISTINCT epoch FROM predictions WHERE run_id = ? AND split = ? ORDER BY epoch");
    if (!s) return s.error();
    s->bind(1, run).bind(2, split);
    return collectRows(s.value(), [](const Statement& st) { return st.columnInt64(0); });
}

Result<std::vector<PredictionRecord>> readPredictions(Connection& db, std::int64_t run,
                                                      std::string_view split, std::int64_t epoch,
                                                      bool withProbs) {
    if (auto ok = checkSplit(split); !ok) return ok.error();
    auto s =
        db.prepare(withProbs ? "SELECT epoch, sample_index, target, predicted, confidence, loss, "
                               "loss_nonfinite, probs FROM predictions WHERE run_id = ? AND "
                               "split = ? AND epoch = ? ORDER BY sample_index"
                             : "SELECT epoch, sample_index, target, predicted, confidence, loss, "
                               "loss_nonfinite FROM predictions WHERE run_id = ? AND split = ? "
                               "AND epoch = ? ORDER BY sample_index");
    if (!s) return s.error();
    s->bind(1, run).bind(2, split).bind(3, epoch);
    return collectRows(s.value(),
                       [withProbs](const Statement& st) { return readRow(st, withProbs); });
}

Result<std::vector<PredictionRecord>> sampleHistory(Connection& db, std::int64_t run,
                                                    std::string_view split,
                                                    std::int64_t sampleIndex) {
    if (auto ok = checkSplit(split); !ok) return ok.error();
    auto s = db.prepare(
        "SELECT epoch, sample_index, target, predicted, confidence, loss, loss_nonfinite, probs "
        "FROM predictions WHERE run_id = ? AND split = ? AND sample_index = ? ORDER BY epoch");
    if (!s) return s.error();
    s->bind(1, run).bind(2, split).bind(3, sampleIndex);
    return collectRows(s.value(), [](const Statement& st) { return readRow(st, true); });
}

std::string_view flagName(LabelFlag flag) {
    switch (flag) {
        case LabelFlag::WrongLabel:
            return "wrong_label";
        case LabelFlag::Ambiguous:
            return "ambiguous";
        case LabelFlag::Interesting:
            return "interesting";
    }
    return "wrong_label";
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
    auto s = db.prepare(
        "INSERT INTO label_flags (dataset, part, sample_index, target, flag, note) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dataset, part, sample_index) DO UPDATE SET "
        "target = excluded.target, flag = excluded.flag, note = excluded.note, "
        "created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')");
    if (!s) return s.error();
    s->bind(1, flag.dataset)
        .bind(2, flag.part)
        .bind(3, flag.sampleIndex)
        .bind(4, static_cast<std::int64_t>(flag.target))
        .bind(5, flagName(flag.flag))
        .bind(6, flag.note);
    return s->run();
}

Status clearFlag(Connection& db, std::string_view dataset, std::string_view part,
                 std::int64_t sampleIndex) {
    auto s =
        db.prepare("DELETE FROM label_flags WHERE dataset = ? AND part = ? AND sample_index = ?");
    if (!s) return s.error();
    s->bind(1, dataset).bind(2, part).bind(3, sampleIndex);
    return s->run();
}

Result<std::vector<FlagRecord>> listFlags(Connection& db, std::string_view dataset) {
    auto s = db.prepare(
        "SELECT dataset, part, sample_index, target, flag, note, created_at FROM label_flags "
        "WHERE ?1 = '' OR dataset = ?1 ORDER BY dataset, part, sample_index");
    if (!s) return s.error();
    s->bind(1, dataset);
    return collectRows(s.value(), [](const Statement& st) {
        FlagRecord f;
        f.dataset = st.columnText(0);
        f.part = st.columnText(1);
        f.sampleIndex = st.columnInt64(2);
        f.target = static_cast<std::int32_t>(st.columnInt64(3));
        f.flag = parseFlag(st.columnText(4)).value_or(LabelFlag::WrongLabel);
        f.note = st.columnText(5);
        f.createdAt = st.columnText(6);
        return f;
    });
}

std::string flagsCsv(const std::vector<FlagRecord>& flags,
                     const std::vector<std::string>& classNames) {
    std::string out = "dataset,split,index,true_label,flag,note\n";
    for (const FlagRecord& f : flags) {
        const auto t = static_cast<std::size_t>(f.target);
        // A class name is text; without names the class number stays a number.
        const std::string label =
            t < classNames.size() ? csvTextField(classNames[t]) : std::to_string(f.target);
        // Text from the user and the dataset files through csvTextField (formula injection).
        out.append(csvTextField(f.dataset))
            .append(",")
            .append(csvTextField(f.part))
            .append(",")
            .append(std::to_string(f.sampleIndex))
            .append(",")
            .append(label)
            .append(",")
            .append(flagName(f.flag))
            .append(",")
            .append(csvTextField(f.note))
            .append("\n");
    }
    return out;
}

}  // namespace runboard::storage
