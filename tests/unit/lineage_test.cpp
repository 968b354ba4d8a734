// Lineage: the change set against the parent is computed from the flattened params (nested keys,
// keys only one side has) and stored at creation, backfilled by the migration; the more-than-one-
// change warning; groups of seed repeats; the diff of two configs.

#include "storage/lineage.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/schema.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using runboard::test::TempDir;

namespace {

NewRun runWith(std::vector<Param> params, std::optional<RunId> parent = {},
               std::optional<RunId> group = {}) {
    return NewRun{"r", parent, "{}", 0, std::move(params), RunStatus::Finished, group};
}

const std::vector<Param> kBase = {{"lr", "0.1", "float"},
                                  {"batch_size", "128", "int"},
                                  {"data.dir", "/d", "string"},
                                  {"optimizer.momentum", "0.9", "float"},
                                  {"seed", "1", "int"}};

}  // namespace

TEST(Lineage, DiffCoversNestedKeysAndKeysOnOneSide) {
    const std::vector<Param> to = {{"lr", "0.05", "float"},
                                   {"batch_size", "128", "int"},
                                   {"data.dir", "/other", "string"},
                                   {"seed", "1", "int"},
                                   {"augment.flip", "true", "bool"}};
    const auto d = diffParams(kBase, to);
    ASSERT_EQ(d.size(), 4u);
    EXPECT_EQ(d[0], (Change{"augment.flip", std::nullopt, "true"}));
    EXPECT_EQ(d[1], (Change{"data.dir", "/d", "/other"}));
    EXPECT_EQ(d[2], (Change{"lr", "0.1", "0.05"}));
    EXPECT_EQ(d[3], (Change{"optimizer.momentum", "0.9", std::nullopt}));
    EXPECT_TRUE(diffParams(kBase, kBase).empty());
}

// Operational keys (logging, threads, checks) are not experiment changes, whichever side has
// them: compare's "N keys differ" warning agrees with lineage's change sets.
TEST(Lineage, DiffIgnoresOperationalKeys) {
    std::vector<Param> to = kBase;
    to.push_back({"log.grad_norm_every", "1", "int", true});
    to.push_back({"threads", "2", "int", true});
    std::vector<Param> from = kBase;
    from.push_back({"threads", "1", "int", true});
    from.push_back({"checks.enabled", "true", "bool", true});
    EXPECT_TRUE(diffParams(from, to).empty());
    to[0].value = "0.2";  // lr: an experiment change
    const auto d = diffParams(from, to);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].key, "lr");
}

TEST(Lineage, ChangeSetIsStoredAtCreationAndWarnsOnMoreThanOne) {
    TempDir dir;
    auto store = RunStore::open(dir.file("l.db"));
    ASSERT_TRUE(store);
    auto parent = store->createRun(runWith(kBase));
    auto params = kBase;
    params[0].value = "0.05";
    auto one = store->createRun(runWith(params, parent->id));
    params[1].value = "256";
    params.pop_back();  // no seed key at all
    auto three = store->createRun(runWith(params, parent->id));
    auto orphan = store->createRun(runWith(params));
    auto& db = store->connection();

    auto c1 = changeSet(db, one->id);
    ASSERT_TRUE(c1);
    ASSERT_EQ(c1->size(), 1u);
    EXPECT_EQ((*c1)[0], (Change{"lr", "0.1", "0.05"}));
    EXPECT_EQ(changeWarning(c1.value()), "");
    auto c3 = changeSet(db, three->id);
    ASSERT_EQ(c3->size(), 3u);
    EXPECT_EQ((*c3)[2], (Change{"seed", "1", std::nullopt}));
    EXPECT_EQ(changeWarning(c3.value()),
              "3 changes: batch_size, lr, seed \u2014 this comparison can't tell which one helped");
    EXPECT_TRUE(changeSet(db, orphan->id)->empty());
    // The stored set equals the diff of the two runs' params.
    EXPECT_EQ(c3.value(),
              diffParams(store->params(parent->id).value(), store->params(three->id).value()));
    auto all = allChangeSets(db);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 2u);
    EXPECT_EQ(all->at(three->id), c3.value());
}

// A param resolved once the data is known (model = auto) is replaced in place, and the change
// sets of the run and of a child made before the resolution follow it.
TEST(Lineage, SettingAParamRecomputesTheChangeSetsOfTheRunAndItsChildren) {
    TempDir dir;
    auto store = RunStore::open(dir.file("l.db"));
    ASSERT_TRUE(store);
    auto base = kBase;
    base.push_back({"model", "cnn", "string"});
    auto parent = store->createRun(runWith(base));
    base.back().value = "auto";
    auto run = store->createRun(runWith(base, parent->id));
    auto child = store->createRun(runWith(base, run->id));
    auto& db = store->connection();
    EXPECT_EQ(changeSet(db, run->id).value(), (std::vector<Change>{{"model", "cnn", "auto"}}));
    EXPECT_TRUE(changeSet(db, child->id)->empty());

    ASSERT_TRUE(store->setParam(run->id, "model", "cnn"));
    EXPECT_TRUE(changeSet(db, run->id)->empty()) << "auto resolved to the parent's model";
    EXPECT_EQ(changeSet(db, child->id).value(), (std::vector<Change>{{"model", "cnn", "auto"}}));
    const auto params = store->params(run->id).value();
    EXPECT_EQ(std::count_if(params.begin(), params.end(),
                            [](const Param& p) { return p.key == "model" && p.value == "cnn"; }),
              1);
    const auto missing = store->setParam(run->id, "no.such.key", "1");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
    EXPECT_NE(missing.error().message.find("no.such.key"), std::string::npos);
}

TEST(Lineage, SeedRepeatsFormAGroup) {
    TempDir dir;
    auto store = RunStore::open(dir.file("g.db"));
    const RunId parent = store->createRun(runWith(kBase))->id;
    auto params = kBase;
    params[4].value = "2";
    auto repeat = store->createRun(runWith(params, parent, parent));
    params[4].value = "3";
    auto repeat2 = store->createRun(runWith(params, parent, parent));
    auto members = groupMembers(store->connection(), parent);
    ASSERT_TRUE(members);
    EXPECT_EQ(members.value(), (std::vector<RunId>{parent, repeat->id, repeat2->id}));
    EXPECT_EQ(store->run(repeat->id)->group, parent);
    EXPECT_EQ(store->run(parent)->group, parent);
    auto c = changeSet(store->connection(), repeat->id);
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ((*c)[0], (Change{"seed", "1", "2"}));
    EXPECT_FALSE(joinGroup(store->connection(), parent, 999));
}

TEST(Lineage, MigrationFromVersion5BackfillsChangeSets) {
    TempDir dir;
    const std::string path = dir.file("v5.db");
    {
        auto db = openDatabase(path, {.schemaVersion = 5});
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec(
            "INSERT INTO runs (id, name, status, config_json, seed) VALUES (1, 'p', 'finished', "
            "'{}', 1);"
            "INSERT INTO runs (id, name, parent_id, status, config_json, seed) VALUES (2, 'c', 1, "
            "'finished', '{}', 1);"
            "INSERT INTO params VALUES (1, 'lr', '0.1', 'float'), (1, 'model.width', '64', "
            "'int'), (2, 'lr', '0.1', 'float'), (2, 'model.width', '128', 'int'), (2, 'extra', "
            "'x', 'string');"));
    }
    auto db = openDatabase(path);
    ASSERT_TRUE(db) << db.error().message;
    auto c = changeSet(db.value(), 2);
    ASSERT_TRUE(c);
    ASSERT_EQ(c->size(), 2u);
    EXPECT_EQ((*c)[0], (Change{"extra", std::nullopt, "x"}));
    EXPECT_EQ((*c)[1], (Change{"model.width", "64", "128"}));
    EXPECT_TRUE(changeSet(db.value(), 1)->empty());
    EXPECT_TRUE(groupMembers(db.value(), 1)->empty());
}
