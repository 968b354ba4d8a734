// Helper for the SIGKILL test: creates a run and logs one metric row per millisecond through the
// batched writer, printing each step after it is queued, until it is killed.

#include <chrono>
#include <cstdio>
#include <thread>

#include "storage/run_store.h"
#include "storage/writer.h"

int main(int argc, char** argv) {
    using namespace runboard::storage;
    if (argc != 2) return 2;
    auto store = RunStore::open(argv[1]);
    if (!store) return 4;
    NewRun run{"killed", std::nullopt, "{}", 0, {}, RunStatus::Running};
    auto owned = store->createRun(run);
    auto writer = Writer::open(argv[1]);
    if (!owned || !writer) return 4;
    const auto key = writer.value()->key("train/loss");
    std::printf("run %lld\n", static_cast<long long>(owned->id));
    std::fflush(stdout);
    for (std::int64_t step = 0;; ++step) {
        writer.value()->metric(owned->id, key, step, 1.0 / static_cast<double>(step + 1), 0);
        std::printf("%lld\n", static_cast<long long>(step));
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}
