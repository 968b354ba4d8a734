#include "widgets/curves_loader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "engine/analysis/test_mask.h"
#include "storage/leaderboard.h"
#include "storage/resume_store.h"

namespace runboard::widgets {

namespace {

// Where the x axis puts a run's steps: nullopt when it cannot (no finished epoch yet).
std::optional<std::vector<Anchor>> axisAnchors(storage::RunStore& store, storage::RunId id,
                                               const std::string& key, XAxis axis,
                                               const std::vector<storage::Bucket>& columns) {
    std::vector<Anchor> anchors;
    if (axis == XAxis::Epoch) {
        auto epochs = store.series(id, "epoch");
        if (!epochs || epochs->empty()) return std::nullopt;
        anchors.push_back({0, 0});
        for (const auto& p : epochs.value())
            anchors.push_back({static_cast<double>(p.step), p.value});
        return anchors;
    }
    // Wall time: the clock at every column's first and last point, relative to the run's start.
    std::vector<std::int64_t> steps;
    for (const auto& c : columns) {
        if (c.count == 0) continue;
        steps.push_back(c.finite > 0 ? c.firstStep : c.firstNonFiniteStep);
        if (c.finite > 0 && c.lastStep != c.firstStep) steps.push_back(c.lastStep);
    }
    auto first = store.stepRange(id, key);
    if (first && first.value()) steps.insert(steps.begin(), first.value()->first);
    auto clock = store.wallClock(id, key, steps);
    if (!clock || clock->empty()) return std::nullopt;
    std::sort(clock->begin(), clock->end());
    const double t0 = clock->front().second;
    for (const auto& [step, wall] : clock.value())
        anchors.push_back({static_cast<double>(step), wall - t0});
    return anchors;
}

// The run's resumes inside [first, last] (in steps), and with `columns` > 0 the tails they
// archived of `key`, each reduced like the live series (M4 over as many columns).
void addResumes(storage::RunStore& store, storage::RunId id, const std::string& key,
                std::int64_t first, std::int64_t last, int columns, CurveSeries& s) {
    auto resumes = storage::resumes(store.connection(), id);
    if (!resumes) return;
    for (const auto& r : resumes.value())
        if (r.atStep >= first && r.atStep <= last)
            s.resumes.push_back(static_cast<double>(r.atStep));
    if (columns <= 0 || resumes->empty()) return;
    auto points = storage::archivedSeries(store.connection(), id, key);
    if (!points) return;
    const std::int64_t width = storage::envelopeWidth(first, last, columns);
    std::map<std::int64_t, std::vector<storage::MetricPoint>> tails;
    for (const auto& p : points.value())
        if (p.step >= first && p.step <= last) tails[p.resumeId].push_back({p.step, 0, p.value});
    for (const auto& [resume, tail] : tails)
        s.archived.push_back(m4Points(storage::bucketize(tail, width)));
}

}  // namespace

storage::Result<CurvesSnapshot> loadSnapshot(storage::RunStore& store, const CurvesQuery& q) {
    const auto& [runs, metric, zoom, columns, smoothing, view, axis, archived] = q;
    CurvesSnapshot snap;
    snap.view = view;
    const std::string key = metric.toStdString();
    // Competition mode: test metrics include the private part of the test set; not drawn.
    auto competition = storage::competitionMode(store.connection());
    const bool hideTest = competition && competition.value();
    if (hideTest && analysis::isTestMetric(key)) {
        snap.error = QStringLiteral("%1 is hidden in competition mode").arg(metric);
        return snap;
    }
    QStringList metrics;
    std::int64_t lo = std::numeric_limits<std::int64_t>::max(),
                 hi = std::numeric_limits<std::int64_t>::min();
    for (const auto& [id, name] : runs) {
        if (auto keys = store.metricKeys(id))
            for (const auto& k : keys.value())
                if (!hideTest || !analysis::isTestMetric(k)) metrics << QString::fromStdString(k);
        auto range = store.stepRange(id, key);
        if (range && range.value()) {
            lo = std::min(lo, range.value()->first);
            hi = std::max(hi, range.value()->second);
        }
    }
    metrics.removeDuplicates();
    metrics.sort();
    snap.metrics = metrics;
    if (lo > hi) return snap;  // no run has this metric
    std::int64_t first = lo, last = hi;
    if (zoom) {
        first = std::max<std::int64_t>(lo, static_cast<std::int64_t>(std::floor(zoom->first)));
        last = std::min<std::int64_t>(hi, static_cast<std::int64_t>(std::ceil(zoom->second)));
        if (first > last) first = lo, last = hi;
    }
    snap.minStep = static_cast<double>(first);
    snap.maxStep = static_cast<double>(last);
    snap.xAxis = axis;
    snap.xTitle = axis == XAxis::Step    ? QStringLiteral("step")
                  : axis == XAxis::Epoch ? QStringLiteral("epoch")
                                         : QStringLiteral("wall time (s)");
    for (const auto& [id, name] : runs) {
        auto env = storage::readEnvelope(store.connection(), id, key, first, last, columns);
        if (!env) {  // the other runs are still drawn
            snap.error = QString::fromStdString(env.error().message);
            continue;
        }
        CurveSeries s;
        s.run = id;
        s.name = name;
        s.raw = m4Points(env->columns);
        s.smoothed = smoothColumns(env->columns, smoothing);
        s.nonFinite = nonFiniteSteps(env->columns);
        s.shown = static_cast<std::int64_t>(s.raw.size());
        s.total = env->rawPoints;
        addResumes(store, id, key, first, last, archived ? columns : 0, s);
        if (axis != XAxis::Step && !env->columns.empty()) {
            const auto anchors = axisAnchors(store, id, key, axis, env->columns);
            if (!anchors) {
                ++snap.runsWithoutAxis;
                continue;
            }
            remapX(s.raw, *anchors);
            remapX(s.smoothed, *anchors);
            for (double& step : s.nonFinite)
                step = mapStep(*anchors, step);
            for (double& step : s.resumes)
                step = mapStep(*anchors, step);
            for (auto& tail : s.archived)
                remapX(tail, *anchors);
        }
        if (!env->columns.empty()) snap.series.push_back(std::move(s));
    }
    return snap;
}

}  // namespace runboard::widgets
