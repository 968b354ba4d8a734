// Leaderboards (runboard_analysis on storage's rows): median and best with odd and even counts,
// ties to the earlier submission, the shake-up, Kaggle's leaderboard files on every malformed
// case, a fuzz test of the reader (run it under the debug-asan preset), competitions stored whole,
// own runs scored on the split, and competition mode.

#include "engine/analysis/leaderboard.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/analysis/csv.h"
#include "engine/analysis/kaggle.h"
#include "engine/analysis/test_mask.h"
#include "storage/leaderboard.h"
#include "storage/run_store.h"
#include "storage/writer.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using namespace runboard::analysis;

namespace {

BoardEntry entry(const std::string& name, const std::string& date, std::optional<double> pub,
                 std::optional<double> priv) {
    return {"", name, std::nullopt, date, pub, priv};
}

const BoardRow& rowOf(const Board& b, const std::string& name) {
    for (const auto& r : b.rows)
        if (r.entry.name == name) return r;
    throw std::runtime_error("no row " + name);
}

SplitOptions storedSplit(Connection& db) {
    return splitOptions(leaderboardSettings(db).value());
}

Status storeSplit(Connection& db, const SplitOptions& split) {
    return splitSettings(split).and_then([&](const auto& rows) { return setSettings(db, rows); });
}

PrivateTestMask storedMask(Connection& db) {
    return PrivateTestMask(leaderboardSettings(db).value());
}

}  // namespace

TEST(Leaderboard, MedianOfOddAndEvenCounts) {
    EXPECT_EQ(median({}), std::nullopt);
    EXPECT_DOUBLE_EQ(*median({3.0}), 3.0);
    EXPECT_DOUBLE_EQ(*median({5.0, 1.0, 3.0}), 3.0);
    EXPECT_DOUBLE_EQ(*median({4.0, 1.0, 3.0, 2.0}), 2.5);  // the mean of the middle two
}

TEST(Leaderboard, RanksShiftsAndSummaryRows) {
    // The lecture's shape: public and private disagree, one entry has no private score.
    const Board b = rankBoard(
        {entry("a", "2026-01-01", 74.33, 50.0), entry("b", "2026-01-02", 60.0, 61.75),
         entry("c", "2026-01-03", 50.05, 44.92), entry("d", "2026-01-04", 40.0, std::nullopt)},
        true);
    EXPECT_EQ(rowOf(b, "a").publicRank, 1);
    EXPECT_EQ(rowOf(b, "a").privateRank, 2);
    EXPECT_EQ(rowOf(b, "a").shift, -1);  // fell one place
    EXPECT_EQ(rowOf(b, "b").shift, 1);   // rose one place
    EXPECT_EQ(rowOf(b, "c").shift, 0);
    EXPECT_EQ(rowOf(b, "d").privateRank, std::nullopt);
    EXPECT_EQ(rowOf(b, "d").shift, std::nullopt);
    EXPECT_EQ(b.publicSide.count, 4);
    EXPECT_DOUBLE_EQ(*b.publicSide.median, (60.0 + 50.05) / 2);
    EXPECT_DOUBLE_EQ(*b.publicSide.best, 74.33);
    EXPECT_EQ(b.privateSide.count, 3);  // only entries with a private score count
    EXPECT_DOUBLE_EQ(*b.privateSide.median, 50.0);
    EXPECT_DOUBLE_EQ(*b.privateSide.best, 61.75);
    EXPECT_EQ(b.rows.front().entry.name, "a");  // by public rank
    // Lower is better: the best is the minimum and ranks reverse.
    const Board low = rankBoard({entry("x", "1", 0.3, 0.2), entry("y", "2", 0.1, 0.4)}, false);
    EXPECT_EQ(rowOf(low, "y").publicRank, 1);
    EXPECT_EQ(rowOf(low, "x").privateRank, 1);
    EXPECT_DOUBLE_EQ(*low.privateSide.best, 0.2);
}

TEST(Leaderboard, TiesGoToTheEarlierSubmission) {
    const Board b = rankBoard({entry("late", "2026-03-02T10:00:00", 0.9, 0.8),
                               entry("early", "2026-03-01T09:00:00", 0.9, 0.8),
                               entry("best", "2026-03-05T00:00:00", 0.95, 0.7)},
                              true);
    EXPECT_EQ(rowOf(b, "best").publicRank, 1);
    EXPECT_EQ(rowOf(b, "early").publicRank, 2);
    EXPECT_EQ(rowOf(b, "late").publicRank, 3);
    EXPECT_EQ(rowOf(b, "early").privateRank, 1);
    EXPECT_EQ(rowOf(b, "late").privateRank, 2);
    EXPECT_EQ(rowOf(b, "best").shift, 1 - 3);
}

TEST(Kaggle, ParsesSkipsAndRefuses) {
    auto file = parseKaggleLeaderboard(
        "TeamId,TeamName,SubmissionDate,Score\n"
        "10,alpha,2026-01-01 10:00:00,0.91\n"
        "11,beta,2026-01-02 10:00:00,n/a\n"
        "12,gamma,2026-01-03 10:00:00,\n"
        "13,delta,2026-01-04 10:00:00,0.8,extra\n"
        "14,epsilon,2026-01-05 10:00:00, 0.85 \n",
        "public.csv");
    ASSERT_TRUE(file) << file.error().message;
    ASSERT_EQ(file->rows.size(), 2u);
    EXPECT_DOUBLE_EQ(file->rows[1].score, 0.85);
    ASSERT_EQ(file->skipped.size(), 3u);
    EXPECT_EQ(file->skipped[0], "line 3: the score 'n/a' is not a number");
    EXPECT_EQ(file->skipped[1], "line 4: the score '' is not a number");
    EXPECT_EQ(file->skipped[2], "line 5: expected 4 fields, got 5");
    for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
             {"", "the file is empty"},
             {"name,score\nx,1\n",
              "expected the header TeamId,TeamName,SubmissionDate,Score, got 'name,score'"},
             {"\x89PNG\r\n\x1a\n", "expected the header"},
             {"TeamId,TeamName,SubmissionDate,Score\n1,a,d,x\n",
              "no row has a numeric score (line 2"},
             {"TeamId,TeamName,SubmissionDate,Score\n1,\"a,d,1\n", "not closed"}}) {
        auto bad = parseKaggleLeaderboard(text, "f.csv");
        ASSERT_FALSE(bad) << text;
        EXPECT_NE(bad.error().message.find("'f.csv' is not a Kaggle leaderboard CSV: "),
                  std::string::npos);
        EXPECT_NE(bad.error().message.find(message), std::string::npos) << bad.error().message;
    }
}

TEST(Kaggle, MergesByTeamIdThenByName) {
    auto pub = parseKaggleLeaderboard(
        "TeamId,TeamName,SubmissionDate,Score\n1,alpha,d1,0.9\n2,beta,d2,0.8\n,gamma,d3,0.7\n"
        "4,only public,d4,0.6\n",
        "p");
    auto priv = parseKaggleLeaderboard(
        "TeamId,TeamName,SubmissionDate,Score\n1,alpha renamed,d1,0.85\n2,beta,d2,0.88\n"
        ",gamma,d3,0.5\n5,only private,d5,0.4\n",
        "q");
    ASSERT_TRUE(pub && priv);
    const auto merged = mergeKaggle(*pub, *priv);
    ASSERT_EQ(merged.size(), 5u);
    auto find = [&](const std::string& name) {
        for (const auto& e : merged)
            if (e.name == name) return e;
        throw std::runtime_error(name);
    };
    EXPECT_DOUBLE_EQ(*find("alpha").privateScore, 0.85);  // matched by id despite the new name
    EXPECT_DOUBLE_EQ(*find("gamma").privateScore, 0.5);   // no id: matched by name
    EXPECT_EQ(find("only public").privateScore, std::nullopt);
    EXPECT_EQ(find("only private").publicScore, std::nullopt);
    EXPECT_DOUBLE_EQ(*find("only private").privateScore, 0.4);
}

TEST(Kaggle, ATeamTwiceInOneFileIsRefusedNamingTheFileTheTeamAndBothLines) {
    // Two teams with TeamId 7: merged, the second one's private score went to the first.
    auto dup = parseKaggleLeaderboard(
        "TeamId,TeamName,SubmissionDate,Score\n7,alpha,d1,0.9\n8,beta,d2,0.8\n7,gamma,d3,0.7\n",
        "public.csv");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().kind, ErrorKind::InvalidArgument);
    EXPECT_EQ(dup.error().message,
              "'public.csv' has TeamId '7' twice (lines 2 and 4): a leaderboard has one row per "
              "team, and the second one's scores would be matched to the first");
    // Without TeamIds, teams are told apart by name.
    auto byName = parseKaggleLeaderboard(
        "TeamId,TeamName,SubmissionDate,Score\n,alpha,d1,0.9\n,alpha,d2,0.8\n", "private.csv");
    ASSERT_FALSE(byName);
    EXPECT_NE(
        byName.error().message.find("TeamName 'alpha' without a TeamId twice (lines 2 and 3)"),
        std::string::npos)
        << byName.error().message;
    // The same name under two TeamIds is two teams.
    EXPECT_TRUE(parseKaggleLeaderboard(
        "TeamId,TeamName,SubmissionDate,Score\n1,alpha,d1,0.9\n2,alpha,d2,0.8\n", "ok.csv"));
}

TEST(Kaggle, FuzzedInputsNeverCrashAndKeepTheirPromises) {
    // Random mutations of a valid file and random bytes: the parser returns a value or an error,
    // every accepted row has a finite score, and line numbers stay within the file. Run under
    // the debug-asan preset for memory errors.
    const std::string valid =
        "\xEF\xBB\xBFTeamId,TeamName,SubmissionDate,Score\r\n1,\"a, b\",2026-01-01,0.5\r\n"
        "2,\"q\"\"t\",2026-01-02,0.25\r\n3,Ёж,2026-01-03,1e-3\r\n";
    std::mt19937 rng(7);
    const std::string alphabet =
        ",\"\r\n\xEF\xBB\xBF"
        "0123456789.eE-+ aZ\t\xD0\x81";
    for (int round = 0; round < 20'000; ++round) {
        std::string text;
        if (round % 4 == 0) {
            const std::size_t n = rng() % 64;
            for (std::size_t i = 0; i < n; ++i)
                text += static_cast<char>(rng() % 256);
        } else {
            text = valid;
            const int edits = 1 + static_cast<int>(rng() % 6);
            for (int e = 0; e < edits && !text.empty(); ++e) {
                const std::size_t at = rng() % text.size();
                switch (rng() % 3) {
                    case 0:
                        text.erase(at, 1 + rng() % 3);
                        break;
                    case 1:
                        text.insert(at, 1, alphabet[rng() % alphabet.size()]);
                        break;
                    default:
                        text[at] = alphabet[rng() % alphabet.size()];
                }
            }
        }
        auto parsed = parseKaggleLeaderboard(text, "fuzz.csv");
        const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n') +
                                                    std::count(text.begin(), text.end(), '\r') + 1);
        if (!parsed) {
            EXPECT_FALSE(parsed.error().message.empty());
            continue;
        }
        EXPECT_FALSE(parsed->rows.empty());
        for (const auto& r : parsed->rows) {
            EXPECT_TRUE(std::isfinite(r.score));
            EXPECT_GE(r.line, 2u);
            EXPECT_LE(r.line, lines);
        }
    }
}

TEST(Competitions, StoredWholeAndReadBack) {
    runboard::test::TempDir dir;
    auto store = RunStore::open(dir.file("c.db"));
    Connection& db = store->connection();
    const std::vector<BoardEntry> entries = {
        {"1", "alpha", std::nullopt, "2026-01-01", 0.9, 0.85},
        {"2", "beta", std::nullopt, "2026-01-02", 0.8, std::nullopt},
        {"", "gamma", std::nullopt, "2026-01-03", std::nullopt, 0.5}};
    auto id = insertCompetition(db, "course", "accuracy", true, entries);
    ASSERT_TRUE(id) << id.error().message;
    auto back = competitionEntries(db, id.value());
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value(), entries);
    auto found = findCompetition(db, "course");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->entries, 3);
    EXPECT_TRUE(found->higherIsBetter);
    // A taken name is refused and nothing is added.
    auto again = insertCompetition(db, "course", "accuracy", false, entries);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("a competition named 'course' exists already"),
              std::string::npos);
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM submissions").value(), 3);
    EXPECT_EQ(findCompetition(db, "nope").error().kind, ErrorKind::NotFound);
    EXPECT_EQ(listCompetitions(db)->size(), 1u);
}

TEST(OwnRuns, TheSplitIsDeterministicAndHasItsFraction) {
    SplitOptions split;
    int pub = 0;
    for (std::int64_t i = 0; i < 10'000; ++i) {
        const bool p = isPublic(i, split);
        EXPECT_EQ(p, isPublic(i, split));
        pub += p ? 1 : 0;
    }
    EXPECT_NEAR(pub / 10'000.0, 0.3, 0.015);
    SplitOptions other = split;
    other.seed = 7;
    int differ = 0;
    for (std::int64_t i = 0; i < 1000; ++i)
        differ += isPublic(i, split) != isPublic(i, other) ? 1 : 0;
    EXPECT_GT(differ, 200);  // another seed, another split
}

TEST(OwnRuns, MetricsAgainstHandComputedValues) {
    // Targets 0,0,1,1,2 ; predictions 0,1,1,1,0.
    std::vector<ScoredSample> s = {{0, 0, {0.8f, 0.1f, 0.1f}},
                                   {0, 1, {0.4f, 0.5f, 0.1f}},
                                   {1, 1, {0.1f, 0.8f, 0.1f}},
                                   {1, 1, {0.2f, 0.7f, 0.1f}},
                                   {2, 0, {0.5f, 0.25f, 0.25f}}};
    EXPECT_DOUBLE_EQ(*scoreSamples(s, OwnMetric::Accuracy), 3.0 / 5);
    // F1: class 0: tp 1, fp 1, fn 1 -> 0.5; class 1: tp 2, fp 1, fn 0 -> 0.8; class 2: 0.
    EXPECT_NEAR(*scoreSamples(s, OwnMetric::MacroF1), (0.5 + 0.8 + 0.0) / 3, 1e-12);
    const double ll =
        -(std::log(0.8f) + std::log(0.4f) + std::log(0.8f) + std::log(0.7f) + std::log(0.25f)) / 5;
    EXPECT_NEAR(*scoreSamples(s, OwnMetric::LogLoss), ll, 1e-6);
    EXPECT_EQ(scoreSamples({}, OwnMetric::Accuracy), std::nullopt);
    EXPECT_FALSE(higherIsBetter(OwnMetric::LogLoss));
    EXPECT_EQ(kOwnMetricNames.parse("macro-f1"), OwnMetric::MacroF1);
    EXPECT_FALSE(kOwnMetricNames.parse("auc"));
}

TEST(OwnRuns, EveryFinishedRunIsScoredOnBothPartsOfItsLastTestEvaluation) {
    runboard::test::TempDir dir;
    const std::string db = dir.file("own.db");
    auto store = RunStore::open(db);
    auto finished = store->createRun({"good", std::nullopt, "{}", 0, {}, RunStatus::Running});
    auto running =
        store->createRun({"still running", std::nullopt, "{}", 0, {}, RunStatus::Running});
    auto empty =
        store->createRun({"no predictions", std::nullopt, "{}", 0, {}, RunStatus::Running});
    std::vector<ScoredSample> pub, priv;
    {
        auto writer = Writer::open(db);
        for (std::int64_t i = 0; i < 400; ++i) {
            for (std::int64_t epoch : {1, 2}) {
                PredictionRow p{.runId = finished->id,
                                .split = "test",
                                .epoch = epoch,
                                .sampleIndex = i,
                                .target = static_cast<std::int32_t>(i % 3)};
                // Epoch 2 is right on every sample divisible by 2 or 3, epoch 1 on none.
                p.predicted =
                    epoch == 2 && (i % 2 == 0 || i % 3 == 0) ? p.target : (p.target + 1) % 3;
                p.probs = {0.2f, 0.3f, 0.5f};
                if (epoch == 2)
                    (isPublic(i, SplitOptions{}) ? pub : priv)
                        .push_back({p.target, p.predicted, p.probs});
                writer.value()->prediction(std::move(p));
            }
        }
        ASSERT_TRUE(writer.value()->flush());
    }
    ASSERT_TRUE(store->setStatus(finished->id, RunStatus::Finished));
    ASSERT_TRUE(store->setStatus(empty->id, RunStatus::Finished));
    auto runs = ownRuns(store->connection());
    ASSERT_TRUE(runs) << runs.error().message;
    const auto entries = ownRunEntries(runs->tests, SplitOptions{});
    ASSERT_EQ(entries.size(), 1u);  // not the running one, not the one without predictions
    const BoardEntry& e = entries.front();
    EXPECT_EQ(e.run, finished->id);
    EXPECT_EQ(e.name, "#1 good");
    EXPECT_FALSE(e.submittedAt.empty());
    EXPECT_DOUBLE_EQ(*e.publicScore, *scoreSamples(pub, OwnMetric::Accuracy));
    EXPECT_DOUBLE_EQ(*e.privateScore, *scoreSamples(priv, OwnMetric::Accuracy));
    EXPECT_GT(*e.publicScore, 0.5);  // epoch 2's predictions, not epoch 1's
    (void)running;
}

TEST(OwnRuns, SplitSettingsAreStoredAndAVersionThreeFileMigrates) {
    runboard::test::TempDir dir;
    const std::string path = dir.file("v3.db");
    {
        auto old = openDatabase(path, {.schemaVersion = 3});
        ASSERT_TRUE(old);
    }
    auto store = RunStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    auto split = storedSplit(store->connection());
    EXPECT_DOUBLE_EQ(split.publicFraction, 0.3);
    EXPECT_EQ(split.metric, OwnMetric::Accuracy);
    ASSERT_TRUE(storeSplit(store->connection(), {0.25, 99, OwnMetric::LogLoss}));
    split = storedSplit(store->connection());
    EXPECT_DOUBLE_EQ(split.publicFraction, 0.25);
    EXPECT_EQ(split.seed, 99u);
    EXPECT_EQ(split.metric, OwnMetric::LogLoss);
    auto bad = storeSplit(store->connection(), {1.5, 1, OwnMetric::Accuracy});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("the public fraction must be between 0 and 1"),
              std::string::npos);
    EXPECT_DOUBLE_EQ(storedSplit(store->connection()).publicFraction, 0.25);
}

TEST(CompetitionMode, HidesPrivateScoresAndShowsTestMetricsOnThePublicPartOnly) {
    runboard::test::TempDir dir;
    const std::string db = dir.file("mode.db");
    auto store = RunStore::open(db);
    auto run = store->createRun({"r", std::nullopt, "{}", 0, {}, RunStatus::Running});
    double right = 0, n = 0, loss = 0;
    {
        auto writer = Writer::open(db);
        for (std::int64_t i = 0; i < 500; ++i) {
            PredictionRow p{.runId = run->id,
                            .split = "test",
                            .epoch = 3,
                            .sampleIndex = i,
                            .target = static_cast<std::int32_t>(i % 4),
                            .loss = static_cast<float>(i % 7) / 10.0f,
                            .probs = {0.25f, 0.25f, 0.25f, 0.25f}};
            p.predicted = i % 5 == 0 ? (p.target + 1) % 4 : p.target;
            if (isPublic(i, SplitOptions{})) {
                n += 1;
                right += p.predicted == p.target ? 1 : 0;
                loss += p.loss;
            }
            writer.value()->prediction(std::move(p));
        }
        const auto acc = writer.value()->key("test/accuracy");
        const auto tl = writer.value()->key("test/loss");
        writer.value()->metric(run->id, acc, 100, 0.8, 0);  // the whole test set's
        writer.value()->metric(run->id, tl, 100, 0.3, 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    ASSERT_TRUE(store->setStatus(run->id, RunStatus::Finished));
    Connection& c = store->connection();
    EXPECT_FALSE(competitionMode(c).value());
    auto metrics = store->latestMetrics(run->id).value();
    auto finalTest = [&] { return finalTestPredictions(c, run->id); };
    const PrivateTestMask off = storedMask(c);
    EXPECT_FALSE(off.on());
    ASSERT_TRUE(off.applyReading(metrics, finalTest));
    EXPECT_DOUBLE_EQ(metrics["test/accuracy"], 0.8) << "off: unchanged";
    EXPECT_FALSE(ownBoard(ownRuns(c).value(), SplitOptions{}).privateHidden);

    ASSERT_TRUE(setCompetitionMode(c, true));
    const PrivateTestMask on = storedMask(c);
    ASSERT_TRUE(on.on());
    ASSERT_TRUE(on.applyReading(metrics, finalTest));
    EXPECT_DOUBLE_EQ(metrics["test/accuracy"], right / n);
    EXPECT_NEAR(metrics["test/loss"], loss / n, 1e-6);
    const OwnBoard board = ownBoard(ownRuns(c).value(), SplitOptions{});
    EXPECT_TRUE(board.privateHidden);
    ASSERT_EQ(board.entries.size(), 1u);
    EXPECT_EQ(board.entries.front().privateScore, std::nullopt);
    EXPECT_DOUBLE_EQ(*board.entries.front().publicScore, right / n);
    EXPECT_NE(board.record.name.find("private hidden"), std::string::npos);
    // A run without test metrics gets none.
    std::map<std::string, double> none{{"val/accuracy", 0.7}};
    ASSERT_TRUE(on.applyReading(none, finalTest));
    EXPECT_EQ(none.count("test/accuracy"), 0u);
    ASSERT_TRUE(setCompetitionMode(c, false));
    EXPECT_FALSE(competitionMode(c).value());
}
