#include "storage/profile_store.h"

namespace runboard::storage {

Status storeRunCost(Connection& db, RunId run, const RunCost& c) {
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    if (auto s = db.exec("DELETE FROM layer_costs WHERE run_id = ?", run); !s) return s;
    if (auto s = db.exec(
            "INSERT OR REPLACE INTO run_costs (run_id, params, forward_flops, activation_bytes, "
            "batch_size, precision, threads, peak_fp32_gflops, peak_bf16_gflops) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            run, c.params, c.forwardFlops, c.activationBytes, c.batchSize, c.precision, c.threads,
            c.peakFp32Gflops, c.peakBf16Gflops);
        !s)
        return s;
    std::int64_t position = 0;
    for (const LayerRow& l : c.layers)
        if (auto s = db.exec("INSERT INTO layer_costs (run_id, position, name, op, output_shape, "
                             "params, activation_bytes, flops) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             run, position++, l.name, l.op, l.outputShape, l.params,
                             l.activationBytes, l.flops);
            !s)
            return s;
    return tx.commit();
}

Result<std::optional<RunCost>> runCost(Connection& db, RunId run) {
    std::optional<RunCost> out;
    return db
        .query(
            "SELECT params, forward_flops, activation_bytes, batch_size, precision, threads, "
            "peak_fp32_gflops, peak_bf16_gflops FROM run_costs WHERE run_id = ?",
            run)
        .and_then([&](Statement s) {
            return s.forEachRow([&](const Statement& st) {
                out = RunCost{st.get<std::int64_t>(0),
                              st.get<double>(1),
                              st.get<std::int64_t>(2),
                              st.get<std::int64_t>(3),
                              st.get<std::string>(4),
                              static_cast<int>(st.get<std::int64_t>(5)),
                              st.get<double>(6),
                              st.get<double>(7),
                              {}};
            });
        })
        .and_then([&]() -> Status {
            if (!out) return {};
            return db
                .query(
                    "SELECT name, op, output_shape, params, activation_bytes, flops FROM "
                    "layer_costs WHERE run_id = ? ORDER BY position",
                    run)
                .and_then([&](Statement s) {
                    return s.forEachRow([&](const Statement& st) {
                        out->layers.push_back({st.get<std::string>(0), st.get<std::string>(1),
                                               st.get<std::string>(2), st.get<std::int64_t>(3),
                                               st.get<std::int64_t>(4),
                                               st.get<std::optional<double>>(5)});
                    });
                });
        })
        .transform([&] { return std::move(out); });
}

Result<std::int64_t> storeProfileWindow(Connection& db, RunId run, const ProfileWindowRow& w) {
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    const std::optional<std::string> trace =
        w.tracePath.empty() ? std::nullopt : std::optional<std::string>(w.tracePath);
    if (auto s = db.exec("INSERT INTO profile_windows (run_id, first_step, steps, seconds, "
                         "trace_path, trace_bytes, trace_events, trace_dropped, "
                         "trace_dropped_below_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         run, w.firstStep, w.steps, w.seconds, trace, w.traceBytes, w.traceEvents,
                         w.traceDropped, w.traceDroppedBelowUs);
        !s)
        return s.error();
    const std::int64_t id = db.lastInsertId();
    std::int64_t position = 0;
    for (const PhaseRow& p : w.phases)
        if (auto s = db.exec("INSERT INTO profile_phases (window_id, position, name, total_us, "
                             "calls) VALUES (?, ?, ?, ?, ?)",
                             id, position++, p.name, p.totalUs, p.calls);
            !s)
            return s.error();
    position = 0;
    for (const OpRow& o : w.ops)
        if (auto s =
                db.exec("INSERT INTO profile_ops (window_id, position, name, shapes, calls, "
                        "self_us, total_us, flops) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        id, position++, o.name, o.shapes, o.calls, o.selfUs, o.totalUs, o.flops);
            !s)
            return s.error();
    if (auto s = tx.commit(); !s) return s.error();
    return id;
}

Result<std::vector<ProfileWindowRow>> profileWindows(Connection& db, RunId run) {
    std::vector<ProfileWindowRow> out;
    auto windows = db.query(
                         "SELECT id, first_step, steps, seconds, trace_path, trace_bytes, "
                         "trace_events, trace_dropped, trace_dropped_below_us FROM "
                         "profile_windows WHERE run_id = ? ORDER BY id",
                         run)
                       .and_then([&](Statement s) {
                           return s.forEachRow([&](const Statement& st) {
                               ProfileWindowRow w;
                               w.id = st.get<std::int64_t>(0);
                               w.firstStep = st.get<std::int64_t>(1);
                               w.steps = st.get<std::int64_t>(2);
                               w.seconds = st.get<double>(3);
                               w.tracePath =
                                   st.get<std::optional<std::string>>(4).value_or(std::string());
                               w.traceBytes = st.get<std::int64_t>(5);
                               w.traceEvents = st.get<std::int64_t>(6);
                               w.traceDropped = st.get<std::int64_t>(7);
                               w.traceDroppedBelowUs = st.get<std::int64_t>(8);
                               out.push_back(std::move(w));
                           });
                       });
    if (!windows) return windows.error();
    for (ProfileWindowRow& w : out) {
        auto phases = db.query(
                            "SELECT name, total_us, calls FROM profile_phases WHERE window_id = ? "
                            "ORDER BY position",
                            w.id)
                          .and_then([&](Statement s) {
                              return s.forEachRow([&](const Statement& st) {
                                  w.phases.push_back({st.get<std::string>(0), st.get<double>(1),
                                                      st.get<std::int64_t>(2)});
                              });
                          });
        if (!phases) return phases.error();
        auto ops = db.query(
                         "SELECT name, shapes, calls, self_us, total_us, flops FROM "
                         "profile_ops WHERE window_id = ? ORDER BY position",
                         w.id)
                       .and_then([&](Statement s) {
                           return s.forEachRow([&](const Statement& st) {
                               w.ops.push_back({st.get<std::string>(0), st.get<std::string>(1),
                                                st.get<std::int64_t>(2), st.get<double>(3),
                                                st.get<double>(4), st.get<double>(5)});
                           });
                       });
        if (!ops) return ops.error();
    }
    return out;
}

}  // namespace runboard::storage
