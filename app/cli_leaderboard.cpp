// `runboard leaderboard` and `runboard leaderboard import`: competitions with public and private
// scores side by side, their median and best rows, and the shake-up.

#include <fmt/format.h>

#include <QFile>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/core/terminal_text.h"
#include "app/exit_codes.h"
#include "engine/analysis/kaggle.h"
#include "engine/analysis/leaderboard.h"
#include "storage/leaderboard.h"

namespace runboard::app {

namespace {

nlohmann::json scoreOrNull(const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json sideJson(const analysis::SideSummary& s) {
    return {{"count", s.count}, {"median", scoreOrNull(s.median)}, {"best", scoreOrNull(s.best)}};
}

nlohmann::json boardJson(const storage::CompetitionRecord& c, const analysis::Board& b) {
    nlohmann::json rows = nlohmann::json::array();
    auto orNull = [](const std::optional<int>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    for (const auto& r : b.rows)
        rows.push_back({{"name", r.entry.name},
                        {"team_id", r.entry.teamId},
                        {"run", r.entry.run ? nlohmann::json(*r.entry.run) : nullptr},
                        {"submitted_at", r.entry.submittedAt},
                        {"public_score", scoreOrNull(r.entry.publicScore)},
                        {"public_rank", orNull(r.publicRank)},
                        {"private_score", scoreOrNull(r.entry.privateScore)},
                        {"private_rank", orNull(r.privateRank)},
                        {"shift", orNull(r.shift)}});
    return {
        {"competition",
         {{"id", c.id},
          {"name", c.name},
          {"metric", c.metric},
          {"higher_is_better", c.higherIsBetter}}},
        {"entries", rows},
        {"summary", {{"public", sideJson(b.publicSide)}, {"private", sideJson(b.privateSide)}}}};
}

std::string score(const std::optional<double>& v) {
    if (!v) return "—";  // a side this entry has no score on
    return fmt::format("{:.5g}", *v);
}

// Pads to `width` columns, counting UTF-8 code points (names, dashes and arrows are not ASCII).
std::string pad(const std::string& text, std::size_t width, bool right = false) {
    const std::size_t columns = codePoints(text);
    const std::string fill(columns < width ? width - columns : 0, ' ');
    return right ? fill + text : text + fill;
}

std::string boardText(const storage::CompetitionRecord& c, const analysis::Board& b) {
    // Names come from imported files and run names: escaped and elided (terminal_text.h).
    std::string out = "competition \"" + terminalText(c.name, 80) + "\" (" +
                      terminalText(c.metric, 40) + ", " + (c.higherIsBetter ? "higher" : "lower") +
                      " is better), " + std::to_string(b.rows.size()) + " entries\n\n";
    auto line = [&](const std::string& pubRank, const std::string& pub, const std::string& privRank,
                    const std::string& priv, const std::string& shift, const std::string& name,
                    const std::string& date) {
        std::string text = pad(pubRank, 6, true) + "  " + pad(pub, 10) + pad(privRank, 6, true) +
                           "  " + pad(priv, 10) + pad(shift, 6, true) + "  " + pad(name, 28) + " " +
                           date;
        text.erase(text.find_last_not_of(' ') + 1);
        out += text + "\n";
    };
    line("#pub", "public", "#priv", "private", "shift", "entry", "submitted");
    auto rank = [](const std::optional<int>& r) { return r ? std::to_string(*r) : "—"; };
    for (const auto& r : b.rows) {
        std::string shift = "—";
        if (r.shift)
            shift = *r.shift > 0   ? "↑" + std::to_string(*r.shift)
                    : *r.shift < 0 ? "↓" + std::to_string(-*r.shift)
                                   : "=";
        line(rank(r.publicRank), score(r.entry.publicScore), rank(r.privateRank),
             score(r.entry.privateScore), shift, terminalText(r.entry.name, 40),
             terminalText(r.entry.submittedAt, 32));
    }
    out += "\n";
    line("median", score(b.publicSide.median), "", score(b.privateSide.median), "", "", "");
    line(c.higherIsBetter ? "max" : "min", score(b.publicSide.best), "", score(b.privateSide.best),
         "", "", "");
    return out;
}

int importCommand(const QStringList& args) {
    QCommandLineParser parser;
    const QCommandLineOption nameOpt("name", "The competition's name.", "NAME");
    const QCommandLineOption publicOpt("public", "Kaggle's public leaderboard CSV.", "FILE");
    const QCommandLineOption privateOpt("private", "Kaggle's private leaderboard CSV.", "FILE");
    const QCommandLineOption lowerOpt("lower-is-better", "Lower scores are better (e.g. a loss).");
    const QCommandLineOption metricOpt("metric", "The score's name (default: score).", "NAME");
    for (const auto* o : {&kDbOption, &nameOpt, &publicOpt, &privateOpt, &lowerOpt, &metricOpt})
        parser.addOption(*o);
    const QString usage =
        "runboard leaderboard import --name NAME --public FILE --private FILE "
        "[--lower-is-better] [--metric NAME] [--db PATH]";
    if (auto code = parseSubcommand(
            parser, args, usage,
            "Import a competition from Kaggle's leaderboard downloads (TeamId,TeamName,"
            "SubmissionDate,Score),\none public and one private file. Teams are matched by "
            "TeamId, else by TeamName. Rows\nwith a non-numeric score are skipped and reported "
            "with their line numbers; a file that is\nnot such a CSV is refused (exit 3) and "
            "nothing is imported."))
        return *code;
    for (const auto* o : {&nameOpt, &publicOpt, &privateOpt})
        if (!parser.isSet(*o))
            return fail(kExitUsage, "leaderboard import needs --" +
                                        o->names().front().toStdString() + "\n" +
                                        usage.toStdString());
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "leaderboard import takes no positional arguments");

    analysis::KaggleFile files[2];
    const QCommandLineOption* sides[2] = {&publicOpt, &privateOpt};
    for (int i = 0; i < 2; ++i) {
        const QString path = parser.value(*sides[i]);
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return fail(kExitData, "cannot read '" + path.toStdString() +
                                       "': " + f.errorString().toStdString());
        const QByteArray bytes = f.readAll();
        auto parsed = analysis::parseKaggleLeaderboard(
            std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())),
            path.toStdString());
        if (!parsed) return fail(kExitData, parsed.error().message + "; nothing was imported");
        for (const auto& s : parsed->skipped)
            std::fprintf(stderr, "runboard: %s: skipped %s\n", path.toLocal8Bit().constData(),
                         s.c_str());
        files[i] = std::move(parsed.value());
    }
    auto store = openStore(databasePath(parser), Access::Write);
    if (!store) return failStorage(store.error());
    const auto entries = analysis::mergeKaggle(files[0], files[1]);
    const std::string metric =
        parser.isSet(metricOpt) ? parser.value(metricOpt).toStdString() : "score";
    auto id = storage::insertCompetition(store->connection(), parser.value(nameOpt).toStdString(),
                                         metric, !parser.isSet(lowerOpt), entries);
    if (!id) return failStorage(id.error());
    std::printf("%lld\n", static_cast<long long>(id.value()));
    std::fprintf(stderr, "runboard: imported %zu entries (%zu public, %zu private rows)\n",
                 entries.size(), files[0].rows.size(), files[1].rows.size());
    return kExitOk;
}

void printBoard(const QCommandLineParser& parser, const storage::CompetitionRecord& competition,
                const analysis::Board& board) {
    if (parser.isSet(kJsonOption))
        std::printf("%s\n", jsonText(boardJson(competition, board)).c_str());
    else
        std::fputs(boardText(competition, board).c_str(), stdout);
}

int ownBoard(const QCommandLineParser& parser, const QCommandLineOption& metricOpt,
             const QCommandLineOption& fractionOpt, const QCommandLineOption& seedOpt) {
    auto store = openStore(databasePath(parser), Access::Read);
    if (!store) return failStorage(store.error());
    auto runs = storage::ownRuns(store->connection());
    if (!runs) return failStorage(runs.error());
    auto split = analysis::splitOptions(runs->settings);
    const bool change =
        parser.isSet(metricOpt) || parser.isSet(fractionOpt) || parser.isSet(seedOpt);
    if (parser.isSet(metricOpt)) {
        const auto m = analysis::kOwnMetricNames.parse(parser.value(metricOpt).toStdString());
        if (!m)
            return fail(kExitUsage, "--metric must be accuracy, macro-f1 or logloss, got '" +
                                        parser.value(metricOpt).toStdString() + "'");
        split.metric = *m;
    }
    if (parser.isSet(fractionOpt)) {
        bool ok = false;
        split.publicFraction = parser.value(fractionOpt).toDouble(&ok);
        if (!ok)
            return fail(kExitUsage, "--public-fraction must be a number, got '" +
                                        parser.value(fractionOpt).toStdString() + "'");
    }
    if (parser.isSet(seedOpt)) {
        bool ok = false;
        split.seed = parser.value(seedOpt).toULongLong(&ok);
        if (!ok)
            return fail(kExitUsage, "--split-seed must be a non-negative integer, got '" +
                                        parser.value(seedOpt).toStdString() + "'");
    }
    if (change)
        if (auto s = analysis::splitSettings(split).and_then(
                [&](const auto& rows) { return storage::setSettings(store->connection(), rows); });
            !s)
            return failStorage(s.error());
    auto own = analysis::ownBoard(runs.value(), split);
    printBoard(parser, own.record,
               analysis::rankBoard(std::move(own.entries), own.record.higherIsBetter));
    return kExitOk;
}

}  // namespace

int leaderboardCommand(const QStringList& args) {
    if (args.size() > 2 && args.at(2) == "import")
        return importCommand(args.mid(0, 1) + args.mid(2));
    QCommandLineParser parser;
    const QCommandLineOption competitionOpt(
        "competition", "An imported competition (default: the newest).", "NAME");
    const QCommandLineOption ownOpt(
        "own", "Your own finished runs, scored on a public/private split of the test set.");
    const QCommandLineOption metricOpt(
        "metric", "With --own: accuracy, macro-f1 or logloss (stored).", "METRIC");
    const QCommandLineOption fractionOpt(
        "public-fraction", "With --own: the public share of the test set (stored; 0.3).", "F");
    const QCommandLineOption seedOpt("split-seed", "With --own: the split's seed (stored).",
                                     "SEED");
    const QCommandLineOption modeOpt(
        "competition-mode",
        "on: hide the private part of the test set everywhere (own runs' private scores; test "
        "metrics only on the public part); off: reveal it.",
        "on|off");
    for (const auto* o : {&kDbOption, &competitionOpt, &ownOpt, &metricOpt, &fractionOpt, &seedOpt,
                          &modeOpt, &kJsonOption})
        parser.addOption(*o);
    const QString usage =
        "runboard leaderboard [--db PATH] [--competition NAME] [--json]\n"
        "       runboard leaderboard --own [--metric M] [--public-fraction F] [--split-seed S] "
        "[--db PATH] [--json]\n"
        "       runboard leaderboard import --name NAME --public FILE --private FILE "
        "[--lower-is-better]";
    if (auto code = parseSubcommand(
            parser, args, usage,
            "Print a competition's leaderboard: public and private scores and ranks side by "
            "side, the\nrank shift (public rank minus private rank: up is positive), and the "
            "median and best of each\nside. Ties go to the earlier submission. With --json, one "
            "object: competition, entries,\nsummary {public, private: {count, median, best}}. "
            "Without an imported competition: your own\nruns, as with --own."))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "unknown leaderboard command '" +
                                    parser.positionalArguments().front().toStdString() +
                                    "' (did you mean import?)");
    if (parser.isSet(modeOpt)) {
        const QString value = parser.value(modeOpt);
        if (value != "on" && value != "off")
            return fail(kExitUsage,
                        "--competition-mode must be on or off, got '" + value.toStdString() + "'");
        auto store = openStore(databasePath(parser), Access::Write);
        if (!store) return failStorage(store.error());
        if (auto s = storage::setCompetitionMode(store->connection(), value == "on"); !s)
            return failStorage(s.error());
        std::printf("%s\n", value == "on" ? "competition mode on: the private part of the test set "
                                            "is hidden"
                                          : "competition mode off: private scores revealed");
        return kExitOk;
    }
    if (parser.isSet(ownOpt)) return ownBoard(parser, metricOpt, fractionOpt, seedOpt);
    for (const auto* o : {&metricOpt, &fractionOpt, &seedOpt})
        if (parser.isSet(*o))
            return fail(kExitUsage, "--" + o->names().front().toStdString() + " needs --own");
    auto store = openStore(databasePath(parser), Access::Read);
    if (!store) return failStorage(store.error());
    storage::Result<storage::CompetitionRecord> competition = storage::Error{};
    if (parser.isSet(competitionOpt)) {
        competition = storage::findCompetition(store->connection(),
                                               parser.value(competitionOpt).toStdString());
    } else {
        auto all = storage::listCompetitions(store->connection());
        if (!all) return failStorage(all.error());
        if (all->empty()) {
            // Nothing imported: the user's own finished runs are what there is to rank.
            auto own = storage::ownRuns(store->connection()).transform([](const auto& runs) {
                return analysis::ownBoard(runs);
            });
            if (!own) return failStorage(own.error());
            if (own->entries.empty())
                return fail(kExitUsage,
                            "nothing to rank yet: no finished run with test predictions and no "
                            "imported competition (import one with runboard leaderboard import)");
            std::fprintf(stderr,
                         "runboard: no imported competition; showing your own runs (--own)\n");
            printBoard(parser, own->record,
                       analysis::rankBoard(std::move(own->entries), own->record.higherIsBetter));
            return kExitOk;
        }
        competition = all->front();
    }
    if (!competition) return failStorage(competition.error());
    auto entries = storage::competitionEntries(store->connection(), competition->id);
    if (!entries) return failStorage(entries.error());
    const analysis::Board board =
        analysis::rankBoard(std::move(entries.value()), competition->higherIsBetter);
    printBoard(parser, competition.value(), board);
    return kExitOk;
}

}  // namespace runboard::app
