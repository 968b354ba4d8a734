// The profiler's rows in the store (a run's cost with its layers, op profiler windows with their
// ops and phases: stored, read back, replaced, deleted with the run) and the report computed from
// them: the phases per epoch, the share of the machine's peak, the data-bound verdict and the op
// diff of two windows.

#include "storage/profile_store.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/analysis/profile_report.h"
#include "engine/profile/profile.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::storage;

namespace {

RunCost sampleCost() {
    RunCost c;
    c.params = 1000;
    c.forwardFlops = 2e6;
    c.activationBytes = 4096;
    c.batchSize = 100;
    c.precision = "fp32";
    c.threads = 2;
    c.peakFp32Gflops = 60;
    c.peakBf16Gflops = 12;
    c.layers = {{"features.0", "aten::conv2d", "[32, 28, 28]", 288, 100352, 451584.0},
                {"lstm", "aten::lstm", "[16]", 712, 64, std::nullopt}};
    return c;
}

ProfileWindowRow sampleWindow(std::int64_t first, double convUs) {
    ProfileWindowRow w;
    w.firstStep = first;
    w.steps = 4;
    w.seconds = 0.5;
    w.tracePath = "/tmp/x/profile-step6.trace.json";
    w.traceBytes = 12345;
    w.traceEvents = 99;
    w.traceDropped = 3;
    w.traceDroppedBelowUs = 2;
    w.phases = {{"step", 480000, 4}, {"forward", 200000, 4}};
    w.ops = {{"aten::conv2d", "[8, 1, 28, 28], [32, 1, 3, 3]", 8, convUs, convUs + 10, 1e6},
             {"aten::relu_", "[8, 32, 28, 28]", 8, 400, 400, 0}};
    return w;
}

}  // namespace

TEST(ProfileStore, CostAndWindowsRoundTripAndGoWithTheRun) {
    test::TempDir dir;
    auto store = RunStore::open(dir.file("p.db"));
    ASSERT_TRUE(store);
    const RunId run = store->createRun({"a", std::nullopt, "{}", 0, {}, RunStatus::Running})->id;
    auto& db = store->connection();
    EXPECT_FALSE(runCost(db, run).value().has_value());
    ASSERT_TRUE(storeRunCost(db, run, sampleCost()));
    EXPECT_EQ(runCost(db, run).value(), sampleCost());
    // A resume measures again: replaced, not appended.
    RunCost again = sampleCost();
    again.layers.pop_back();
    again.threads = 1;
    ASSERT_TRUE(storeRunCost(db, run, again));
    EXPECT_EQ(runCost(db, run).value(), again);

    auto first = storeProfileWindow(db, run, sampleWindow(6, 9000));
    auto second = storeProfileWindow(db, run, sampleWindow(40, 5000));
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    auto windows = profileWindows(db, run);
    ASSERT_TRUE(windows);
    ASSERT_EQ(windows->size(), 2u);
    ProfileWindowRow want = sampleWindow(6, 9000);
    want.id = first.value();
    EXPECT_EQ(windows->front(), want);
    EXPECT_EQ(windows->back().firstStep, 40);
    // No trace file: stored as NULL, read back empty.
    ProfileWindowRow none = sampleWindow(80, 1);
    none.tracePath.clear();
    ASSERT_TRUE(storeProfileWindow(db, run, none));
    EXPECT_TRUE(profileWindows(db, run)->back().tracePath.empty());

    ASSERT_TRUE(store->deleteRun(run));
    EXPECT_FALSE(runCost(db, run).value().has_value());
    EXPECT_TRUE(profileWindows(db, run)->empty());
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM profile_ops").value(), 0);
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM layer_costs").value(), 0);
}

TEST(ProfileReport, PhasesPerEpochShareOfPeakAndDataBound) {
    // Two epochs ending at steps 10 and 20; phases in ms (data, forward, ..., other).
    const auto points = [](double a, double b) {
        return std::vector<MetricPoint>{{10, 1.0, a}, {20, 2.0, b}};
    };
    std::vector<std::pair<std::string, std::vector<MetricPoint>>> series{
        {"time/step", points(100, 50)},    {"time/data", points(30, 5)},
        {"time/forward", points(30, 20)},  {"time/loss", points(1, 1)},
        {"time/backward", points(35, 20)}, {"time/optimizer", points(2, 2)},
        {"time/observer", points(1, 1)},   {"time/other", points(1, 1)},
        {"time/eval", points(0.5, 0.4)},   {"memory/peak_rss_mb", points(300, 310)},
    };
    const auto r = analysis::buildProfileReport(series, sampleCost(), {});
    ASSERT_EQ(r.epochs.size(), 2u);
    EXPECT_EQ(r.epochs[0].step, 10);
    EXPECT_EQ(r.epochs[1].ms[0], 5);
    EXPECT_EQ(r.epochs[1].peakRssMb, 310);
    EXPECT_DOUBLE_EQ(r.stepMs, 75);
    EXPECT_DOUBLE_EQ(r.meanMs[0], 17.5);
    EXPECT_DOUBLE_EQ(r.dataShare, 17.5 / 75);
    EXPECT_TRUE(r.dataBound);  // 23% > 20%
    EXPECT_EQ(r.dataAdvice, engine::profile::dataBoundAdvice(17.5 / 75));
    EXPECT_NE(r.dataAdvice.find("data.workers"), std::string::npos);
    // 3 x 2 MFLOP x 100 samples = 600 MFLOP a step in 75 ms: 8 GFLOP/s of 60.
    EXPECT_DOUBLE_EQ(*r.trainFlopsPerStep, 6e8);
    EXPECT_NEAR(*r.achievedGflops, 8.0, 1e-9);
    EXPECT_NEAR(*r.shareOfPeak, 8.0 / 60, 1e-12);
    // bf16 is judged against the bf16 peak.
    RunCost bf16 = sampleCost();
    bf16.precision = "bf16";
    EXPECT_NEAR(*analysis::buildProfileReport(series, bf16, {}).shareOfPeak, 8.0 / 12, 1e-12);
    // Below the line, no verdict; no rows, no epochs and no share.
    series[1].second = points(10, 5);
    EXPECT_FALSE(analysis::buildProfileReport(series, std::nullopt, {}).dataBound);
    const auto empty = analysis::buildProfileReport({}, sampleCost(), {});
    EXPECT_TRUE(empty.epochs.empty());
    EXPECT_FALSE(empty.achievedGflops.has_value());
}

TEST(ProfileReport, OpDiffIsPerStepByNameSortedByTheLargestChange) {
    ProfileWindowRow a = sampleWindow(6, 8000), b = sampleWindow(6, 2000);
    b.steps = 2;  // per step: conv 1000 us against a's 2000
    b.ops.push_back({"aten::addmm", "[8, 10]", 2, 1000, 1000, 0});
    b.ops.push_back({"aten::conv2d", "[8, 3, 32, 32], [32, 3, 3, 3]", 2, 600, 600, 0});
    const auto d = analysis::diffOps(a, b);
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0].name, "aten::conv2d");  // shapes merged: 2000 -> 1300 per step
    EXPECT_DOUBLE_EQ(d[0].aUs, 2000);
    EXPECT_DOUBLE_EQ(d[0].bUs, 1300);
    EXPECT_EQ(d[0].aCalls, 2);
    EXPECT_EQ(d[0].bCalls, 5);
    EXPECT_EQ(d[1].name, "aten::addmm");
    EXPECT_DOUBLE_EQ(d[1].deltaUs(), 500);
    EXPECT_EQ(d[2].name, "aten::relu_");
    EXPECT_DOUBLE_EQ(d[2].deltaUs(), 200 - 100);
}
