#include "app/run_json.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "app/core/terminal_text.h"
#include "engine/analysis/test_mask.h"
#include "storage/checks_store.h"
#include "storage/leaderboard.h"
#include "storage/lineage.h"
#include "storage/resume_store.h"

namespace runboard::app {
namespace {

using nlohmann::json;

json paramValue(const storage::Param& p) {
    try {
        if (p.type == "bool") return p.value == "true";
        if (p.type == "int") return std::stoll(p.value);
        if (p.type == "float") return std::stod(p.value);
    } catch (const std::exception&) {
    }
    return p.value;
}

json nullable(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

std::string metricText(const std::map<std::string, double>& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) return "-";
    return fmt::format("{:.4f}", it->second);
}

}  // namespace

storage::Result<json> runToJson(storage::RunStore& store, storage::RunId id) {
    auto run = store.run(id);
    if (!run) return run.error();
    auto params = store.params(id);
    if (!params) return params.error();
    auto metrics = store.latestMetrics(id);
    if (!metrics) return metrics.error();
    auto mask = storage::leaderboardSettings(store.connection()).transform([](const auto& s) {
        return analysis::PrivateTestMask(s);
    });
    if (!mask) return mask.error();
    if (auto s = mask->applyReading(
            metrics.value(), [&] { return storage::finalTestPredictions(store.connection(), id); });
        !s)
        return s.error();
    auto checkpoints = store.checkpoints(id);
    if (!checkpoints) return checkpoints.error();
    auto resumes = storage::resumes(store.connection(), id);
    if (!resumes) return resumes.error();

    const storage::RunRecord& r = run.value();
    json j;
    j["id"] = r.id;
    j["name"] = r.name;
    j["status"] = std::string(storage::toString(r.status));
    j["parent"] = r.parent ? json(*r.parent) : json(nullptr);
    j["group"] = r.group ? json(*r.group) : json(nullptr);
    j["changes"] = json::object();  // against the parent: key -> [parent's value, this run's]
    if (auto changes = storage::changeSet(store.connection(), r.id))
        for (const auto& c : changes.value())
            j["changes"][c.key] = json::array(
                {c.from ? json(*c.from) : json(nullptr), c.to ? json(*c.to) : json(nullptr)});
    j["checks"] = json::array();  // the pre-flight checklist, in order
    if (auto checks = storage::runChecks(store.connection(), r.id))
        for (const auto& c : checks.value())
            j["checks"].push_back(
                {{"name", c.name},
                 {"status", c.status},
                 {"value", std::isfinite(c.value) ? json(c.value) : json(nullptr)},
                 {"message", c.message},
                 {"details", c.details}});
    j["created_at"] = r.createdAt;
    j["started_at"] = nullable(r.startedAt);
    j["finished_at"] = nullable(r.finishedAt);
    j["seed"] = r.seed;
    j["notes"] = r.notes;
    j["message"] = r.message;
    j["params"] = json::object();
    j["world_size"] = 1;  // data-parallel processes (ddp.world_size; runs before it: 1)
    for (const auto& p : params.value()) {
        j["params"][p.key] = paramValue(p);
        if (p.key == "ddp.world_size") j["world_size"] = paramValue(p);
    }
    j["metrics"] = json::object();
    for (const auto& [k, v] : metrics.value())
        j["metrics"][k] = std::isfinite(v) ? json(v) : json(nullptr);
    j["checkpoints"] = json::array();
    for (const auto& c : checkpoints.value())
        j["checkpoints"].push_back({{"epoch", c.epoch}, {"step", c.step}, {"path", c.path}});
    // Each time the run was resumed: after which step, when, and how many rows logged after that
    // step were archived (checkpoint null: no usable one, it restarted from step 0).
    j["resumes"] = json::array();
    for (const auto& r : resumes.value())
        j["resumes"].push_back(
            {{"at_step", r.atStep},
             {"at", r.at},
             {"archived_rows", r.archivedRows},
             {"from_status", r.fromStatus},
             {"checkpoint", r.checkpoint.empty() ? json(nullptr) : json(r.checkpoint)}});
    // Competition mode: test metrics are on the public part of the test set only.
    j["test_part"] = mask->on() ? "public" : "all";
    return j;
}

storage::Result<std::string> runToText(storage::RunStore& store, storage::RunId id) {
    auto j = runToJson(store, id);
    if (!j) return j.error();
    const json& r = j.value();
    std::ostringstream os;
    auto text = [&](const char* key) { return terminalText(r[key].get<std::string>()); };
    os << "run " << r["id"].get<long long>() << ": " << text("name") << "\n";
    os << "  status:    " << r["status"].get<std::string>();
    if (!r["message"].get<std::string>().empty()) os << " (" << text("message") << ")";
    os << "\n  created:   " << r["created_at"].get<std::string>() << "\n";
    if (!r["started_at"].is_null())
        os << "  started:   " << r["started_at"].get<std::string>() << "\n";
    if (!r["finished_at"].is_null())
        os << "  finished:  " << r["finished_at"].get<std::string>() << "\n";
    if (!r["parent"].is_null()) {
        os << "  parent:    " << r["parent"].get<long long>();
        std::vector<storage::Change> changes;
        for (const auto& [k, v] : r["changes"].items()) {
            os << (changes.empty() ? " (changed: " : ", ") << k;
            changes.push_back({k, {}, {}});
        }
        os << (changes.empty() ? " (no change)" : ")") << "\n";
        if (const auto warning = storage::changeWarning(changes); !warning.empty())
            os << "  warning:   " << warning << "\n";
    }
    if (!r["group"].is_null())
        os << "  repeats:   group of run " << r["group"].get<long long>() << "\n";
    os << "config:\n";
    for (const auto& [k, v] : r["params"].items())
        os << "  " << terminalText(k) << " = "
           << terminalText(v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    os << "metrics (latest"
       << (r["test_part"] == "public" ? "; test metrics on the public part: competition mode" : "")
       << "):\n";
    for (const auto& [k, v] : r["metrics"].items())
        os << "  " << k << " = " << (v.is_null() ? "non-finite" : v.dump()) << "\n";
    os << "checkpoints:\n";
    for (const auto& c : r["checkpoints"])
        os << "  epoch " << c["epoch"].get<long long>() << ", step " << c["step"].get<long long>()
           << ": " << c["path"].get<std::string>() << "\n";
    if (!r["resumes"].empty()) os << "resumed:\n";
    for (const auto& x : r["resumes"])
        os << "  " << x["at"].get<std::string>() << " after step " << x["at_step"].get<long long>()
           << " (was " << x["from_status"].get<std::string>() << "; "
           << x["archived_rows"].get<long long>() << " rows logged after it archived)\n";
    return os.str();
}

storage::Result<std::string> runsToText(storage::RunStore& store) {
    // One overview query per metric key, not one latest-metrics query per run.
    auto runs = store.overview({}, {"val/accuracy", "test/accuracy"});
    if (!runs) return runs.error();
    auto mask = storage::leaderboardSettings(store.connection()).transform([](const auto& s) {
        return analysis::PrivateTestMask(s);
    });
    if (!mask) return mask.error();
    for (auto& o : runs.value())
        if (auto s = mask->applyReading(
                o.metrics,
                [&] { return storage::finalTestPredictions(store.connection(), o.run.id); });
            !s)
            return s.error();
    // Names are anyone's text: escaped and elided (terminal_text.h), one run a line.
    constexpr std::size_t kNameChars = 60;
    std::ostringstream os;
    os << fmt::format("{:>5}  {:<11}  {:<24}  {:<8}  {:<8}  NAME\n", "ID", "STATUS", "CREATED",
                      "VAL_ACC", mask->on() ? "PUB_ACC" : "TEST_ACC");
    for (const auto& [r, params, metrics, changes, checks, resumes] : runs.value()) {
        const std::string id = std::to_string(r.id);
        os << std::string(id.size() < 5 ? 5 - id.size() : 0, ' ') << id << "  "
           << padRight(std::string(storage::toString(r.status)), 11) << "  "
           << padRight(terminalText(r.createdAt, 24), 24) << "  "
           << padRight(metricText(metrics, "val/accuracy"), 8) << "  "
           << padRight(metricText(metrics, "test/accuracy"), 8) << "  "
           << terminalText(r.name, kNameChars) << "\n";
    }
    return os.str();
}

}  // namespace runboard::app
