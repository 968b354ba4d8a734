// The profiler's Torch-free parts: self time from nesting against brute force on random trees,
// the FLOPs formulas against closed forms, and the Chrome trace (it parses, it holds the phase
// ranges, and its cap drops the shortest ops first, never a phase).

#include "engine/profile/profile.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "engine/profile/cost.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::engine::profile;
namespace test = runboard::test;

namespace {

// A random forest of nested events on two threads, in a shuffled order: each child lies inside
// its parent and after its previous sibling; some children start or end with their parent. A
// child is never named as its parent (that is a redispatch, one call: tested on its own below).
std::vector<Event> randomTrees(std::mt19937& rng) {
    std::vector<Event> events;
    std::uniform_int_distribution<int> names(0, 4), fanout(0, 3);
    const auto build = [&](auto&& self_, std::uint64_t thread, std::int64_t start,
                           std::int64_t length, int depth, const std::string& parent) -> void {
        Event e;
        do {
            e.name = "op" + std::to_string(names(rng));
        } while (e.name == parent);
        e.thread = thread;
        e.startUs = start;
        e.durationUs = length;
        e.shapes = {{1, names(rng)}};
        events.push_back(e);
        if (depth >= 4 || length < 4) return;
        std::int64_t at = start;
        const int children = fanout(rng);
        for (int c = 0; c < children; ++c) {
            const std::int64_t room = start + length - at;
            if (room < 2) break;
            std::uniform_int_distribution<std::int64_t> gap(0, room / 4), len(1, room / 2);
            const std::int64_t s = at + gap(rng), l = std::min(len(rng), start + length - s);
            if (l <= 0) break;
            self_(self_, thread, s, l, depth + 1, e.name);
            at = s + l;
        }
    };
    for (std::uint64_t thread : {11u, 22u})
        for (std::int64_t t = 0; t < 5; ++t)
            build(build, thread, t * 1000, 900, 0, "");
    std::shuffle(events.begin(), events.end(), rng);  // the profiler's order is not nesting's
    return events;
}

}  // namespace

TEST(ProfileOps, SelfTimeFromNestingMatchesBruteForce) {
    std::mt19937 rng(3);
    for (int round = 0; round < 20; ++round) {
        const auto events = randomTrees(rng);
        // Brute force: an event's children are the events inside it with no other event in
        // between (on its thread); its self time is its duration less theirs.
        std::map<std::pair<std::string, std::string>, std::pair<double, double>> expected;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& e = events[i];
            const auto inside = [](const Event& outer, const Event& inner) {
                return &outer != &inner && inner.thread == outer.thread &&
                       inner.startUs >= outer.startUs &&
                       inner.startUs + inner.durationUs <= outer.startUs + outer.durationUs;
            };
            double children = 0;
            for (const Event& c : events) {
                if (!inside(e, c)) continue;
                bool direct = true;
                for (const Event& m : events)
                    if (&m != &c && inside(e, m) && inside(m, c)) direct = false;
                if (direct) children += static_cast<double>(c.durationUs);
            }
            auto& [selfUs, totalUs] = expected[{e.name, formatShapes(e.shapes)}];
            selfUs += static_cast<double>(e.durationUs) - children;
            totalUs += static_cast<double>(e.durationUs);
        }
        const auto ops = aggregateOps(events);
        ASSERT_EQ(ops.size(), expected.size());
        for (std::size_t i = 0; i < ops.size(); ++i) {
            const auto& want = expected.at({ops[i].name, ops[i].shapes});
            EXPECT_DOUBLE_EQ(ops[i].selfUs, want.first) << ops[i].name << " " << ops[i].shapes;
            EXPECT_DOUBLE_EQ(ops[i].totalUs, want.second);
            if (i > 0) {
                EXPECT_GE(ops[i - 1].selfUs, ops[i].selfUs);  // largest first
            }
        }
    }
}

TEST(ProfileOps, UserRangesAreNotOpsButTheirTimeIsKept) {
    std::vector<Event> events{
        {"forward", 1, 0, 100, {}, 0, true},
        {"aten::conv2d", 1, 10, 60, {{8, 1, 28, 28}, {32, 1, 3, 3}}, 1e6, false},
        {"aten::relu_", 1, 75, 20, {{8, 32, 28, 28}}, 0, false},
        {"forward", 1, 200, 50, {}, 0, true},
    };
    const auto ops = aggregateOps(events);
    ASSERT_EQ(ops.size(), 2u);
    EXPECT_EQ(ops[0].name, "aten::conv2d");
    EXPECT_EQ(ops[0].shapes, "[8, 1, 28, 28], [32, 1, 3, 3]");
    EXPECT_EQ(ops[0].selfUs, 60);  // a user range above it takes nothing from it
    EXPECT_EQ(ops[0].flops, 1e6);
    const auto phases = phaseTimes(events);
    ASSERT_EQ(phases.size(), 1u);
    EXPECT_EQ(phases[0].name, "forward");
    EXPECT_EQ(phases[0].totalUs, 150);
    EXPECT_EQ(phases[0].calls, 2);
}

TEST(ProfileFlops, LinearAndConvEqualTheClosedForms) {
    // Linear 784 -> 512 on one sample: 784 x 512 multiply-adds.
    EXPECT_EQ(forwardFlops("aten::linear", {{1, 784}, {512, 784}, {512}}, {1, 512}),
              2.0 * 784 * 512);
    // addmm(bias, x, w^T) on a batch of 128.
    EXPECT_EQ(forwardFlops("aten::addmm", {{10}, {128, 256}, {256, 10}}, {128, 10}),
              2.0 * 128 * 256 * 10);
    // conv 3x3, 1 -> 32 channels, 28x28 output: 28*28*32 outputs of 1*3*3 multiply-adds.
    EXPECT_EQ(forwardFlops("aten::conv2d", {{1, 1, 28, 28}, {32, 1, 3, 3}, {}}, {1, 32, 28, 28}),
              2.0 * 28 * 28 * 32 * 9);
    // A grouped conv: the weight's second dimension is in channels / groups.
    EXPECT_EQ(forwardFlops("aten::conv2d", {{1, 64, 8, 8}, {64, 1, 3, 3}}, {1, 64, 8, 8}),
              2.0 * 64 * 8 * 8 * 9);
    EXPECT_EQ(forwardFlops("aten::conv1d", {{2, 16, 50}, {8, 16, 5}}, {2, 8, 46}),
              2.0 * 2 * 8 * 46 * 16 * 5);
}

TEST(ProfileFlops, CheapOpsCountPerElementAndUnknownOpsAreNotZero) {
    EXPECT_EQ(forwardFlops("aten::relu_", {{1, 32, 28, 28}}, {1, 32, 28, 28}), 32.0 * 28 * 28);
    EXPECT_EQ(forwardFlops("aten::batch_norm", {{1, 32, 4, 4}}, {1, 32, 4, 4}), 2.0 * 32 * 16);
    EXPECT_EQ(forwardFlops("aten::max_pool2d", {{1, 32, 28, 28}}, {1, 32, 14, 14}), 32.0 * 28 * 28);
    EXPECT_EQ(forwardFlops("aten::flatten", {{1, 128, 3, 3}}, {1, 1152}), 0.0);
    EXPECT_EQ(forwardFlops("aten::dropout", {{1, 10}}, {1, 10}), 0.0);
    EXPECT_TRUE(noArithmetic("aten::view"));
    EXPECT_FALSE(forwardFlops("aten::fft_rfft", {{1, 5, 8}}, {1, 5, 5}).has_value());
    EXPECT_FALSE(noArithmetic("aten::fft_rfft"));
    // A double underscore is a name, not an in-place suffix.
    EXPECT_FALSE(forwardFlops("aten::__and__", {{4}}, {4}).has_value());
}

TEST(ProfileFlops, SummaryCountsWhatHasAFormulaAndListsTheRestByName) {
    std::vector<Layer> layers{
        {"fc", "aten::linear", {10}, 7850, 40, 2.0 * 784 * 10},
        {"lstm", "aten::lstm", {16}, 100, 64, std::nullopt},
        {"lstm", "aten::lstm", {16}, 0, 64, std::nullopt},
        {"relu_", "aten::relu_", {10}, 0, 40, 10.0},
    };
    const ModelCost c = summarise(layers);
    EXPECT_EQ(c.params, 7950);
    EXPECT_EQ(c.forwardFlops, 2.0 * 784 * 10 + 10);
    EXPECT_EQ(c.activationBytes, 208);
    ASSERT_EQ(c.uncounted.size(), 1u);
    EXPECT_EQ(c.uncounted.at("aten::lstm"), 2);
    EXPECT_EQ(c.trainFlopsEstimate(), 3 * c.forwardFlops);
}

TEST(ProfileTrace, ParsesAsChromeTraceWithThePhaseRanges) {
    test::TempDir dir;
    std::vector<Event> events{
        {"step", 7, 1000, 500, {}, 0, true},
        {"forward", 7, 1010, 200, {}, 0, true},
        {"aten::conv2d", 7, 1020, 150, {{8, 1, 28, 28}, {32, 1, 3, 3}}, 3e6, false},
        {"backward", 7, 1220, 250, {}, 0, true},
        {"name with \"quotes\"\n", 9, 1300, 5, {}, 0, false},
    };
    const TraceFile t = writeChromeTrace(dir.file("t.json"), events, 1 << 20);
    EXPECT_EQ(t.events, 5);
    EXPECT_EQ(t.dropped, 0);
    const auto j = nlohmann::json::parse(test::readFile(dir.file("t.json")));
    EXPECT_EQ(static_cast<std::int64_t>(test::readFile(dir.file("t.json")).size()), t.bytes);
    ASSERT_TRUE(j["traceEvents"].is_array());
    std::set<std::string> names, users;
    for (const auto& e : j["traceEvents"]) {
        EXPECT_EQ(e["ph"], "X");
        EXPECT_GE(e["ts"].get<std::int64_t>(), 0);  // relative to the first event
        names.insert(e["name"].get<std::string>());
        if (e["cat"] == "user_annotation") users.insert(e["name"].get<std::string>());
        if (e["name"] == "aten::conv2d") {
            EXPECT_EQ(e["args"]["Input Dims"][1][0], 32);
            EXPECT_EQ(e["args"]["FLOPs"], 3e6);
            EXPECT_EQ(e["ts"], 20);
            EXPECT_EQ(e["dur"], 150);
        }
    }
    EXPECT_EQ(users, (std::set<std::string>{"step", "forward", "backward"}));
    EXPECT_TRUE(names.contains("name with \"quotes\"\n"));
}

TEST(ProfileTrace, TheCapDropsTheShortestOpsFirstAndNeverAPhase) {
    test::TempDir dir;
    std::vector<Event> events;
    events.push_back({"step", 1, 0, 100000, {}, 0, true});
    for (int i = 0; i < 2000; ++i)
        events.push_back({"aten::op" + std::to_string(i % 7),
                          1,
                          10 + i * 40,
                          1 + i % 30,
                          {{128, 64}},
                          0,
                          false});
    const TraceFile full = writeChromeTrace(dir.file("full.json"), events, 1 << 30);
    const TraceFile capped = writeChromeTrace(dir.file("capped.json"), events, full.bytes / 3);
    EXPECT_LE(capped.bytes, full.bytes / 3);
    EXPECT_GT(capped.dropped, 0);
    EXPECT_EQ(capped.events + capped.dropped, full.events);
    const auto j = nlohmann::json::parse(test::readFile(dir.file("capped.json")));
    bool step = false;
    std::int64_t shortestKept = 1 << 30;
    for (const auto& e : j["traceEvents"]) {
        if (e["name"] == "step") {
            step = true;
        } else {
            shortestKept = std::min(shortestKept, e["dur"].get<std::int64_t>());
        }
    }
    EXPECT_TRUE(step);
    EXPECT_EQ(shortestKept, capped.droppedBelowUs);  // everything shorter went, nothing longer
    EXPECT_EQ(j["otherData"]["dropped_ops"], capped.dropped);
    EXPECT_EQ(j["otherData"]["dropped_below_us"], capped.droppedBelowUs);
}

TEST(ProfileTrace, AnUnwritablePathIsAnOutputErrorThatNamesIt) {
    test::TempDir dir;
    try {
        writeChromeTrace(dir.file("missing/sub/t.json"), {{"x", 1, 0, 1, {}, 0, false}}, 1 << 20);
        FAIL() << "no error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("missing/sub/t.json"), std::string::npos) << e.what();
    }
}

TEST(ProfileFlops, RecurrentLayersCountTheirGatesPerToken) {
    // A packed GRU: 42 tokens of 64 inputs, 128 hidden units.
    const double perToken = 2.0 * 3 * 128 * (64 + 128) + 8 * 128;
    EXPECT_EQ(forwardFlops("aten::gru", {{42, 64}, {4}, {1, 4, 128}}, {42, 128}), 42 * perToken);
    // The padded form [B, T, H] counts B x T tokens.
    EXPECT_EQ(forwardFlops("aten::gru", {{2, 21, 64}, {1, 2, 128}}, {2, 21, 128}), 42 * perToken);
    EXPECT_EQ(forwardFlops("aten::lstm", {{10, 8}}, {10, 16}),
              10 * (2.0 * 4 * 16 * (8 + 16) + 10 * 16));
    EXPECT_EQ(forwardFlops("aten::sum", {{42, 128}}, {128}), 42.0 * 128);
    EXPECT_EQ(forwardFlops("aten::_pack_padded_sequence", {{1, 42, 64}, {1}}, {42, 64}), 0.0);
}

TEST(ProfileOps, ARedispatchIsOneCallAndARoundedOverhangStaysInside) {
    // bf16 autocast: an outer addmm around the real one, same shapes; a child of the inner one
    // overhangs it by the 1 us of rounding.
    std::vector<Event> events{
        {"aten::addmm", 1, 100, 50, {{128, 784}, {784, 512}}, 1e8, false},
        {"aten::addmm", 1, 102, 46, {{128, 784}, {784, 512}}, 1e8, false},
        {"aten::empty", 1, 140, 9, {{}}, 0, false},           // ends at 149, its parent at 148
        {"aten::relu_", 1, 150, 10, {{128, 512}}, 0, false},  // starts where addmm ends
    };
    const auto parent = parentsOf(events);
    EXPECT_EQ(parent, (std::vector<std::int64_t>{-1, 0, 1, -1}));
    const auto ops = aggregateOps(events);
    ASSERT_EQ(ops.size(), 3u);
    EXPECT_EQ(ops[0].name, "aten::addmm");
    EXPECT_EQ(ops[0].calls, 1);
    EXPECT_EQ(ops[0].totalUs, 50);
    EXPECT_EQ(ops[0].selfUs, 4 + 37);  // outer 50 - 46, inner 46 - 9
    EXPECT_EQ(ops[0].flops, 1e8);      // counted once
    test::TempDir dir;
    writeChromeTrace(dir.file("t.json"), events, 1 << 20);
    const auto j = nlohmann::json::parse(test::readFile(dir.file("t.json")));
    for (const auto& e : j["traceEvents"])
        if (e["name"] == "aten::empty") {
            EXPECT_EQ(e["dur"], 8);  // cut to its parent's end
        }
}
