#pragma once
// A database with one profiled run written row by row (no training): two epochs of step phases
// (30% waiting for data), a model cost with an op that has no formula, and one op profiler window.
// For the CLI's golden files and the Profile tab's tests.

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "storage/profile_store.h"
#include "storage/run_store.h"
#include "storage/writer.h"

namespace runboard::test {

// A run with two epochs of step phases, a model cost with an uncounted op, and one window.
// Returns `db`.
inline std::string profiledDatabase(const std::string& db, const std::string& tracePath,
                                    double convScale = 1) {
    auto store = storage::RunStore::open(db);
    const auto run =
        store->createRun({"cnn baseline", std::nullopt, "{}", 1, {}, storage::RunStatus::Finished});
    {
        auto writer = storage::Writer::open(db);
        const std::vector<std::pair<std::string, std::array<double, 2>>> metrics{
            {"time/step", {40, 30}},        {"time/data", {12, 9}},
            {"time/forward", {10, 8}},      {"time/loss", {0.5, 0.5}},
            {"time/backward", {15, 11}},    {"time/optimizer", {1, 1}},
            {"time/observer", {0.5, 0.25}}, {"time/other", {1, 0.25}},
            {"time/eval", {0.8, 0.7}},      {"memory/peak_rss_mb", {300, 320}}};
        for (const auto& [key, values] : metrics) {
            const auto k = writer.value()->key(key);
            writer.value()->metric(run->id, k, 10, values[0], 1.0);
            writer.value()->metric(run->id, k, 20, values[1], 2.0);
        }
        EXPECT_TRUE(writer.value()->flush());
    }
    storage::RunCost cost;
    cost.params = 7850;
    cost.forwardFlops = 15700;
    cost.activationBytes = 3176;
    cost.batchSize = 100;
    cost.precision = "fp32";
    cost.threads = 2;
    cost.peakFp32Gflops = 50;
    cost.peakBf16Gflops = 10;
    cost.layers = {{"flatten", "aten::flatten", "[784]", 0, 3136, 0.0},
                   {"head", "aten::addmm", "[10]", 7850, 40, 15680.0},
                   {"mystery", "aten::lstm", "[10]", 0, 0, std::nullopt}};
    EXPECT_TRUE(storage::storeRunCost(store->connection(), run->id, cost));
    storage::ProfileWindowRow w;
    w.firstStep = 6;
    w.steps = 4;
    w.seconds = 0.2;
    w.tracePath = tracePath;
    w.traceBytes = 2048;
    w.traceEvents = 40;
    w.phases = {{"step", 190000, 4}, {"forward", 60000, 4}};
    w.ops = {
        {"aten::addmm", "[100, 784], [784, 10]", 8, 40000 * convScale, 42000 * convScale, 1.2e7},
        {"aten::relu_", "[100, 10]", 4, 2000, 2000, 0}};
    EXPECT_TRUE(storage::storeProfileWindow(store->connection(), run->id, w));
    return db;
}

}  // namespace runboard::test
