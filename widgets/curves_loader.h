#pragma once
// What a curves panel loads off the GUI thread, on its own read-only connection: for each run the
// envelope of one metric in about `columns` columns (M4 points, the smoothed line, where NaN/Inf
// are), mapped onto the chosen x axis (steps, epochs through the logged epoch ends, or wall time
// through the clock at column ends), and every metric key the runs have. Test metrics are not
// loaded in competition mode.

#include <QString>
#include <optional>
#include <utility>
#include <vector>

#include "widgets/curves_view.h"

namespace runboard::widgets {

// What one panel shows: the view's state when the load began.
struct CurvesQuery {
    std::vector<std::pair<storage::RunId, QString>> runs;
    QString metric;
    std::optional<std::pair<double, double>> zoom;  // steps
    int columns = 0;
    double smoothing = 0;
    quint64 view = 0;  // CurvesSnapshot::view
    XAxis axis = XAxis::Step;
    bool archived = false;  // also the tails that resumes archived
};

storage::Result<CurvesSnapshot> loadSnapshot(storage::RunStore& store, const CurvesQuery& query);

}  // namespace runboard::widgets
