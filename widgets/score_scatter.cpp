#include "widgets/score_scatter.h"

#include <QFontMetrics>
#include <QPaintEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "widgets/plot/plot_scale.h"

namespace runboard::widgets {

namespace {
const QColor kFine(0x2e, 0x7d, 0x32);   // held up in private
const QColor kWorse(0xc6, 0x28, 0x28);  // worse in private
}  // namespace

ScoreScatter::ScoreScatter(QWidget* parent) : QWidget(parent) {
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(
        tr("Each entry's private score against its public one. Under the y = x line an "
           "entry did worse in private: it fitted the public part."));
}

void ScoreScatter::setPoints(std::vector<Point> points, double lo, double hi) {
    points_ = std::move(points);
    worse_ = static_cast<std::size_t>(
        std::count_if(points_.begin(), points_.end(), [](const Point& p) { return p.worse; }));
    lo_ = lo;
    hi_ = hi > lo ? hi : lo + 1;
    density_ = QImage();
    update();
}

void ScoreScatter::resizeEvent(QResizeEvent* event) {
    density_ = QImage();
    QWidget::resizeEvent(event);
}

QRectF ScoreScatter::plotArea() const {
    const QFontMetrics fm(font());
    const int line = fm.height();
    const int left = fm.horizontalAdvance(QStringLiteral("0.00000")) + line + 14;
    return QRectF(left, 2 * line + 10, std::max(10, width() - left - 12),
                  std::max(10, height() - (2 * line + 10) - (2 * line + 14)));
}

QPointF ScoreScatter::toPixel(double x, double y) const {
    const QRectF a = plotArea();
    const double span = hi_ - lo_;
    return {a.left() + (x - lo_) / span * a.width(), a.bottom() - (y - lo_) / span * a.height()};
}

const QImage& ScoreScatter::densityImage(const QRect& area) {
    if (!density_.isNull() && density_.size() == area.size()) return density_;
    // Counts per pixel, for each side of the line; then one colour per pixel: red's share of
    // its entries, opacity by the log of the count (a few entries stay visible next to many).
    const int w = area.width(), h = area.height();
    std::vector<std::uint32_t> fine(static_cast<std::size_t>(w) * h, 0), worse(fine.size(), 0);
    const double sx = w / (hi_ - lo_), sy = h / (hi_ - lo_);
    for (const Point& p : points_) {
        const int x = static_cast<int>((p.x - lo_) * sx),
                  y = h - 1 - static_cast<int>((p.y - lo_) * sy);
        if (x < 0 || x >= w || y < 0 || y >= h) continue;
        ++(p.worse ? worse : fine)[static_cast<std::size_t>(y) * w + x];
    }
    std::uint32_t most = 1;
    for (std::size_t i = 0; i < fine.size(); ++i)
        most = std::max(most, fine[i] + worse[i]);
    density_ = QImage(area.size(), QImage::Format_ARGB32_Premultiplied);
    density_.fill(Qt::transparent);
    const double scale = 1.0 / std::log1p(static_cast<double>(most));
    for (int y = 0; y < h; ++y) {
        auto* line = reinterpret_cast<QRgb*>(density_.scanLine(y));
        for (int x = 0; x < w; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * w + x;
            const std::uint32_t n = fine[i] + worse[i];
            if (n == 0) continue;
            const double share = static_cast<double>(worse[i]) / n;
            const double alpha = 0.25 + 0.75 * std::log1p(static_cast<double>(n)) * scale;
            const auto mix = [&](int a, int b) {
                return static_cast<int>(std::lround((a * (1 - share) + b * share) * alpha));
            };
            line[x] = qRgba(mix(kFine.red(), kWorse.red()), mix(kFine.green(), kWorse.green()),
                            mix(kFine.blue(), kWorse.blue()), static_cast<int>(255 * alpha));
        }
    }
    return density_;
}

void ScoreScatter::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    const QRectF area = plotArea();
    const QFontMetrics fm(font());
    const int line = fm.height();
    // Title and legend, then the grid with its labels, y = x, the points, the frame.
    painter.setPen(palette().text().color());
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(QRectF(0, 2, width(), line), Qt::AlignHCenter,
                     tr("Private against public (under y = x: overfit the public board)"));
    painter.setFont(font());
    if (density()) {
        painter.drawText(QRectF(0, line + 4, width(), line), Qt::AlignHCenter,
                         tr("%1 entries, each pixel shaded by how many fall on it: green held up "
                            "in private, red worse (%2)")
                             .arg(points_.size())
                             .arg(worse_));
    } else {  // coloured dots before their words, centred as one line
        const QString items[2] = {tr("held up in private (%1)").arg(points_.size() - worse_),
                                  tr("worse in private (%1)").arg(worse_)};
        const int gap = 18, dot = line / 2;
        int total = 0;
        for (const QString& t : items)
            total += dot + 4 + fm.horizontalAdvance(t) + gap;
        double x = (width() - total) / 2.0;
        painter.setRenderHint(QPainter::Antialiasing, true);
        for (int i = 0; i < 2; ++i) {
            painter.setPen(Qt::NoPen);
            painter.setBrush(i == 0 ? kFine : kWorse);
            painter.drawEllipse(QRectF(x, line + 4 + (line - dot) / 2.0, dot, dot));
            painter.setPen(palette().text().color());
            x += dot + 4;
            painter.drawText(QPointF(x, line + 4 + fm.ascent()), items[i]);
            x += fm.horizontalAdvance(items[i]) + gap;
        }
        painter.setRenderHint(QPainter::Antialiasing, false);
    }

    const int maxTicks = std::max(2, static_cast<int>(std::min(area.width(), area.height()) / 50));
    const auto ticks = linearTicks(lo_, hi_, maxTicks);
    const double spacing = ticks.size() >= 2 ? ticks[1] - ticks[0] : 0;
    for (double t : ticks) {
        const QPointF p = toPixel(t, t);
        painter.setPen(QColor(0xe4, 0xe4, 0xe4));
        painter.drawLine(QPointF(std::round(p.x()), area.top()),
                         QPointF(std::round(p.x()), area.bottom()));
        painter.drawLine(QPointF(area.left(), std::round(p.y())),
                         QPointF(area.right(), std::round(p.y())));
        painter.setPen(QColor(0x42, 0x42, 0x42));
        const QString label = tickLabel(t, spacing);
        painter.drawText(QRectF(p.x() - 40, area.bottom() + 4, 80, line), Qt::AlignHCenter, label);
        painter.drawText(QRectF(0, p.y() - line / 2.0, area.left() - 6, line),
                         Qt::AlignRight | Qt::AlignVCenter, label);
    }
    painter.drawText(QRectF(area.left(), area.bottom() + line + 8, area.width(), line),
                     Qt::AlignHCenter, tr("public"));
    painter.save();
    painter.translate(2, area.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-area.height() / 2, 0, area.height(), line), Qt::AlignHCenter,
                     tr("private"));
    painter.restore();

    painter.save();
    painter.setClipRect(area);
    painter.setPen(QPen(QColor(120, 120, 120), 1, Qt::DashLine));
    painter.drawLine(toPixel(lo_, lo_), toPixel(hi_, hi_));
    if (density()) {
        painter.drawImage(area.topLeft(), densityImage(area.toAlignedRect()));
    } else {
        painter.setRenderHint(QPainter::Antialiasing, true);
        const double r = points_.size() > 2'000 ? 2.0 : 4.5;
        for (const bool worse : {false, true}) {
            const QColor c = worse ? kWorse : kFine;
            painter.setPen(QPen(c.darker(130), 1));
            painter.setBrush(c);
            for (const Point& p : points_)
                if (p.worse == worse) painter.drawEllipse(toPixel(p.x, p.y), r, r);
        }
    }
    painter.restore();
    painter.setPen(QColor(0x9e, 0x9e, 0x9e));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(area);
}

}  // namespace runboard::widgets
