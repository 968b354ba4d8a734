#include "app/repeats.h"

#include <algorithm>

#include "storage/lineage.h"

namespace runboard::app {

storage::Result<std::vector<RunRequest>> repeatRequests(storage::RunStore& store,
                                                        storage::RunId run, int n) {
    if (n < 1 || n > 100)
        return storage::Error{storage::ErrorKind::InvalidArgument,
                              "repeats must be between 1 and 100, got " + std::to_string(n)};
    auto record = store.run(run);
    if (!record) return record.error();
    config::Config config = config::Config::defaults();
    try {
        config.mergeJson(record->configJson, "run " + std::to_string(run));
    } catch (const config::ConfigError& e) {
        return storage::Error{storage::ErrorKind::InvalidArgument, e.what()};
    }
    const storage::RunId group = record->group.value_or(run);
    auto members = storage::groupMembers(store.connection(), group);
    if (!members) return members.error();
    std::int64_t seed = record->seed;
    for (storage::RunId m : members.value())
        if (auto r = store.run(m)) seed = std::max(seed, r->seed);
    std::vector<RunRequest> out;
    for (int k = 1; k <= n; ++k) {
        RunRequest request{config, {}, run, group};
        request.config.set("seed", seed + k);
        request.name = record->name + " · seed " + std::to_string(seed + k);
        out.push_back(std::move(request));
    }
    return out;
}

}  // namespace runboard::app
