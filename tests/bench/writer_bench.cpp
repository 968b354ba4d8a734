// Writer throughput on the real schema with its indexes, end to end: from the first row handed
// to the writer until flush() returns with everything committed. Also the producer's cost per
// row (what the training thread pays) and, as a ceiling, raw SQLite with one prepared statement
// in one transaction.
//
//   build/release/tests/bench/writer_bench --benchmark_repetitions=3

#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>

#include "storage/run_store.h"
#include "storage/writer.h"

using namespace runboard::storage;

namespace {

struct BenchDb {
    std::string path;
    RunId run = 0;
    OwnedRun owned;
    BenchDb() {
        path = (std::filesystem::temp_directory_path() / "runboard-writer-bench.db").string();
        std::filesystem::remove(path);
        std::filesystem::remove(path + "-wal");
        std::filesystem::remove_all(path + ".files");
        auto store = RunStore::open(path);
        owned = std::move(
            store->createRun({"bench", std::nullopt, "{}", 0, {}, RunStatus::Running}).value());
        run = owned.id;
    }
    ~BenchDb() {
        owned.lock.release();
        std::filesystem::remove(path);
        std::filesystem::remove(path + "-wal");
        std::filesystem::remove(path + "-shm");
        std::filesystem::remove_all(path + ".files");
    }
};

// Like training: 4 series, one row each per step.
void BM_WriterSustained(benchmark::State& state) {
    const std::int64_t steps = state.range(0);
    for (auto _ : state) {
        state.PauseTiming();
        BenchDb db;
        auto writer = Writer::open(db.path);
        const KeyHandle keys[4] = {
            writer.value()->key("train/loss"), writer.value()->key("train/lr"),
            writer.value()->key("train/grad_norm"), writer.value()->key("train/samples_per_s")};
        state.ResumeTiming();
        const auto t0 = std::chrono::steady_clock::now();
        for (std::int64_t s = 0; s < steps; ++s)
            for (KeyHandle k : keys)
                writer.value()->metric(db.run, k, s, 0.5 + static_cast<double>(s) * 1e-6, 1e9);
        const auto queued = std::chrono::steady_clock::now();
        if (!writer.value()->flush()) state.SkipWithError("flush failed");
        state.counters["producer_ns_per_row"] =
            std::chrono::duration<double, std::nano>(queued - t0).count() /
            static_cast<double>(steps * 4);
        state.counters["commits"] = static_cast<double>(writer.value()->stats().commits);
    }
    state.counters["rows_per_s"] = benchmark::Counter(
        static_cast<double>(steps * 4 * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WriterSustained)->Arg(500'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The producer paced like a fast training loop (a step every 20 us) for a few seconds: the
// writer must keep up, committing on its 250 ms timer, and flush() at the end is short.
void BM_WriterPacedTraining(benchmark::State& state) {
    for (auto _ : state) {
        BenchDb db;
        auto writer = Writer::open(db.path);
        const KeyHandle k = writer.value()->key("train/loss");
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        std::int64_t step = 0;
        while (std::chrono::steady_clock::now() < end) {
            for (int i = 0; i < 50; ++i)
                writer.value()->metric(db.run, k, step++, 1.0, 0);
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(1000);
            while (std::chrono::steady_clock::now() < until) {
            }
        }
        const auto t0 = std::chrono::steady_clock::now();
        (void)writer.value()->flush();
        state.counters["final_flush_ms"] =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        state.counters["rows"] = static_cast<double>(step);
    }
}
BENCHMARK(BM_WriterPacedTraining)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Ceiling: one prepared INSERT in one transaction on the same indexed table.
void BM_RawSqliteInsert(benchmark::State& state) {
    const std::int64_t rows = state.range(0);
    for (auto _ : state) {
        state.PauseTiming();
        BenchDb db;
        auto c = openDatabase(db.path);
        (void)c->exec("INSERT INTO metric_keys(name) VALUES ('k')");
        auto stmt = c->prepare(
            "INSERT INTO metrics(run_id, key_id, step, wall, value, nonfinite) VALUES (?, 1, ?, "
            "1e9, ?, 0)");
        state.ResumeTiming();
        (void)c->exec("BEGIN");
        for (std::int64_t i = 0; i < rows; ++i) {
            stmt->bind(1, db.run).bind(2, i).bind(3, 0.5);
            (void)stmt->run();
        }
        (void)c->exec("COMMIT");
    }
    state.counters["rows_per_s"] = benchmark::Counter(
        static_cast<double>(rows * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawSqliteInsert)->Arg(2'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
