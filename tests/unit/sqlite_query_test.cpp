// The query helper of storage/sqlite.h and Result's and_then/transform: every argument is bound in
// order, an empty std::optional is NULL (and reads back as nullopt), errors pass through a chain
// without running the later steps, and a failed statement names the file, never the SQL.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/sqlite.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using runboard::test::TempDir;

namespace {

Connection table(const std::string& path) {
    auto db = Connection::open(path, OpenMode::ReadWriteCreate);
    EXPECT_TRUE(db) << db.error().message;
    EXPECT_TRUE(db->exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b INTEGER, o REAL)"));
    return std::move(db.value());
}

struct Row {
    std::int64_t i = 0;
    double d = 0;
    std::string s;
    bool b = false;
    std::optional<double> o;
    bool operator==(const Row&) const = default;
};

Row readRow(const Statement& st) {
    return {st.get<std::int64_t>(0), st.get<double>(1), st.get<std::string>(2), st.get<bool>(3),
            st.get<std::optional<double>>(4)};
}

}  // namespace

TEST(SqliteQuery, BindsEveryArgumentInOrderAndAnEmptyOptionalAsNull) {
    TempDir dir;
    Connection db = table(dir.file("q.db"));
    const std::optional<double> none;
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", std::int64_t{7}, 0.5,
                        std::string("a'b"), true, none));
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", 8, -1.0, "x", false,
                        std::optional<double>(2.5)));
    EXPECT_EQ(db.queryValue<std::int64_t>("SELECT count(*) FROM t WHERE o IS NULL").value(), 1);
    auto rows = db.rows("SELECT i, d, s, b, o FROM t ORDER BY i", readRow);
    ASSERT_TRUE(rows) << rows.error().message;
    EXPECT_EQ(rows.value(),
              (std::vector<Row>{{7, 0.5, "a'b", true, std::nullopt}, {8, -1.0, "x", false, 2.5}}));
    // Parameters of a filter too, and no row gives nullopt.
    EXPECT_EQ(db.queryValue<std::string>("SELECT s FROM t WHERE i = ? AND b = ?", 8, false).value(),
              std::optional<std::string>("x"));
    EXPECT_EQ(db.queryValue<std::string>("SELECT s FROM t WHERE i = ?", 9).value(), std::nullopt);
}

// Property: what exec writes with random values (NULLs included) is what rows reads back, row for
// row, against the values kept in a vector.
TEST(SqliteQuery, RoundTripsRandomRowsAgainstTheValuesWritten) {
    TempDir dir;
    Connection db = table(dir.file("p.db"));
    std::mt19937_64 rng(14);
    std::vector<Row> written;
    for (int n = 0; n < 300; ++n) {
        Row r{static_cast<std::int64_t>(rng()), std::ldexp(static_cast<double>(rng() % 1000), -3),
              std::string(rng() % 5, static_cast<char>('a' + rng() % 26)), rng() % 2 == 0,
              rng() % 3 == 0 ? std::nullopt : std::optional<double>(static_cast<double>(n))};
        ASSERT_TRUE(db.exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", r.i, r.d, r.s, r.b, r.o));
        written.push_back(r);
    }
    std::vector<Row> read;
    ASSERT_TRUE(db.query("SELECT i, d, s, b, o FROM t ORDER BY rowid").and_then([&](Statement s) {
        return s.forEachRow([&](const Statement& st) { read.push_back(readRow(st)); });
    }));
    EXPECT_EQ(read, written);
}

TEST(SqliteQuery, AnErrorPassesThroughTheChainAndNamesTheFileNotTheSql) {
    TempDir dir;
    Connection db = table(dir.file("e.db"));
    bool ran = false;
    auto r = db.query("SELECT nope FROM t WHERE i = ?", 1).transform([&](Statement) {
        ran = true;
        return 1;
    });
    ASSERT_FALSE(r);
    EXPECT_FALSE(ran);
    EXPECT_NE(r.error().message.find("e.db"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("SELECT"), std::string::npos) << r.error().message;
    // A constraint failure from exec is an error value too.
    ASSERT_TRUE(db.exec("CREATE UNIQUE INDEX u ON t (i)"));
    ASSERT_TRUE(db.exec("INSERT INTO t (i) VALUES (?)", 1));
    EXPECT_FALSE(db.exec("INSERT INTO t (i) VALUES (?)", 1));
}

TEST(ResultChain, AndThenAndTransformRunOnlyAfterASuccess) {
    Result<int> two = 2;
    EXPECT_EQ(two.transform([](int v) { return v * 10; }).value(), 20);
    EXPECT_EQ(Result<int>(3)
                  .and_then([](int v) { return Result<std::string>(std::to_string(v)); })
                  .value(),
              "3");
    Result<int> failed = Error{ErrorKind::NotFound, "no run 9"};
    int calls = 0;
    auto chained = std::move(failed)
                       .and_then([&](int v) {
                           ++calls;
                           return Result<int>(v);
                       })
                       .transform([&](int v) {
                           ++calls;
                           return v;
                       });
    ASSERT_FALSE(chained);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(chained.error().kind, ErrorKind::NotFound);
    EXPECT_EQ(chained.error().message, "no run 9");
    // transform to void is a Status; Status chains on.
    Status done = Result<int>(1).transform([&](int) { ++calls; });
    EXPECT_TRUE(done);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(done.transform([] { return 5; }).value(), 5);
    EXPECT_FALSE(Status(Error{ErrorKind::Busy, "x"}).and_then([] { return Status(); }));
    EXPECT_EQ(Result<int>(Error{}).value_or(4), 4);
}
