#include "app/repeats.h"

#include <algorithm>
#include <charconv>

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
    // The largest seed the group trained with: the config's, as the params table holds it.
    std::int64_t seed = config.integer("seed");
    for (storage::RunId m : members.value()) {
        auto params = store.params(m);
        if (!params) return params.error();
        for (const auto& p : params.value())
            if (std::int64_t v = 0;
                p.key == "seed" &&
                std::from_chars(p.value.data(), p.value.data() + p.value.size(), v).ec ==
                    std::errc())
                seed = std::max(seed, v);
    }
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
