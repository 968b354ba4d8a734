#include "widgets/gallery_data.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace runboard::widgets {

const storage::PredictionRecord* findSample(const Predictions& rows, std::int64_t sampleIndex) {
    auto it = std::lower_bound(
        rows.begin(), rows.end(), sampleIndex,
        [](const storage::PredictionRecord& r, std::int64_t i) { return r.sampleIndex < i; });
    return it != rows.end() && it->sampleIndex == sampleIndex ? &*it : nullptr;
}

namespace {

bool passes(const storage::PredictionRecord& r, const Predictions* previous,
            const Predictions* other, const std::set<std::int64_t>& flagged,
            const GalleryFilter& f) {
    if (f.mistakesOnly && r.correct()) return false;
    if (f.trueClass && r.target != *f.trueClass) return false;
    if (f.predictedClass && r.predicted != *f.predictedClass) return false;
    if (r.confidence < f.minConfidence || r.confidence > f.maxConfidence) return false;
    if (f.flaggedOnly && !flagged.contains(r.sampleIndex)) return false;
    if (f.changedOnly) {
        const auto* before = previous ? findSample(*previous, r.sampleIndex) : nullptr;
        if (before == nullptr || before->predicted == r.predicted) return false;
    }
    if (f.pair != PairFilter::Any) {
        const auto* b = other ? findSample(*other, r.sampleIndex) : nullptr;
        if (b == nullptr) return false;
        if (f.pair == PairFilter::OnlyARight && !(r.correct() && !b->correct())) return false;
        if (f.pair == PairFilter::OnlyBRight && !(!r.correct() && b->correct())) return false;
    }
    return true;
}

// NaN as the largest loss: a non-finite loss is the first thing to look at.
double lossKey(double loss) {
    return std::isnan(loss) ? std::numeric_limits<double>::infinity() : loss;
}

}  // namespace

std::vector<std::size_t> galleryOrder(const Predictions& rows, const Predictions* previous,
                                      const Predictions* other,
                                      const std::set<std::int64_t>& flagged,
                                      const GalleryFilter& filter, GallerySort sort) {
    std::vector<std::size_t> order;
    order.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (passes(rows[i], previous, other, flagged, filter)) order.push_back(i);
    const auto byIndex = [&](std::size_t a, std::size_t b) {
        return rows[a].sampleIndex < rows[b].sampleIndex;
    };
    switch (sort) {
        case GallerySort::Index:
            std::sort(order.begin(), order.end(), byIndex);
            break;
        case GallerySort::LossDescending:
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                const double la = lossKey(rows[a].loss), lb = lossKey(rows[b].loss);
                return la != lb ? la > lb : byIndex(a, b);
            });
            break;
        case GallerySort::ConfidenceAscending:
        case GallerySort::ConfidenceDescending: {
            const bool up = sort == GallerySort::ConfidenceAscending;
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                const float ca = rows[a].confidence, cb = rows[b].confidence;
                if (ca != cb) return up ? ca < cb : ca > cb;
                return byIndex(a, b);
            });
            break;
        }
    }
    return order;
}

Flips countFlips(const Predictions& now, const Predictions& previous) {
    Flips f;
    for (const auto& r : now) {
        const auto* before = findSample(previous, r.sampleIndex);
        if (before == nullptr) continue;
        ++f.compared;
        if (!before->correct() && r.correct())
            ++f.learned;
        else if (before->correct() && !r.correct())
            ++f.forgotten;
        else if (!r.correct() && before->predicted != r.predicted)
            ++f.switched;
    }
    return f;
}

std::int64_t Confusion::at(int truth, int predicted) const {
    return counts[static_cast<std::size_t>(truth * classes + predicted)];
}

std::int64_t Confusion::rowTotal(int truth) const {
    std::int64_t n = 0;
    for (int p = 0; p < classes; ++p)
        n += at(truth, p);
    return n;
}

std::int64_t Confusion::columnTotal(int predicted) const {
    std::int64_t n = 0;
    for (int t = 0; t < classes; ++t)
        n += at(t, predicted);
    return n;
}

double Confusion::recall(int c) const {
    const auto n = rowTotal(c);
    return n > 0 ? static_cast<double>(at(c, c)) / static_cast<double>(n)
                 : std::numeric_limits<double>::quiet_NaN();
}

double Confusion::precision(int c) const {
    const auto n = columnTotal(c);
    return n > 0 ? static_cast<double>(at(c, c)) / static_cast<double>(n)
                 : std::numeric_limits<double>::quiet_NaN();
}

Confusion confusionOf(const Predictions& rows, int classes) {
    Confusion m;
    m.classes = std::max(0, classes);
    m.counts.assign(static_cast<std::size_t>(m.classes * m.classes), 0);
    for (const auto& r : rows)
        if (r.target >= 0 && r.target < m.classes && r.predicted >= 0 && r.predicted < m.classes)
            ++m.counts[static_cast<std::size_t>(r.target * m.classes + r.predicted)];
    return m;
}

Discordance discordance(const Predictions& a, const Predictions& b) {
    Discordance d;
    for (const auto& r : a) {
        const auto* other = findSample(b, r.sampleIndex);
        if (other == nullptr) continue;
        if (r.correct() && other->correct())
            ++d.both;
        else if (r.correct())
            ++d.onlyA;
        else if (other->correct())
            ++d.onlyB;
        else
            ++d.neither;
    }
    return d;
}

SampleStory storyOf(const Predictions& history) {
    SampleStory s;
    bool wasRight = false;
    for (std::size_t i = 0; i < history.size(); ++i) {
        const bool right = history[i].correct();
        if (right && (i == 0 || !wasRight)) s.learnedAt = history[i].epoch;
        if (!right) {
            if (wasRight) s.forgottenAt.push_back(history[i].epoch);
            s.learnedAt.reset();
        }
        wasRight = right;
    }
    return s;
}

}  // namespace runboard::widgets
