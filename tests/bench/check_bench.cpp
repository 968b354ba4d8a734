// The pre-flight checklist on the default recipe (CNN, Fashion-MNIST): wall time of
// engine::runChecks, three times (target: <= 30 s). Prints each check's status too.
//   check_bench

#include <chrono>
#include <cstdio>

#include "engine/checks.h"

int main() {
    using Clock = std::chrono::steady_clock;
    const auto config = runboard::config::Config::defaults();
    for (int i = 0; i < 3; ++i) {
        const auto t0 = Clock::now();
        const auto results = runboard::engine::runChecks(config);
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf("checklist on the default CNN: %.1f s (target <= 30)", s);
        for (const auto& r : results)
            std::printf("  %s=%s", r.name.c_str(),
                        std::string(runboard::engine::checkStatusName(r.status)).c_str());
        std::printf("\n");
    }
    return 0;
}
