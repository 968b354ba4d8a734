#include "widgets/plot/plot_tools.h"

#include <QEvent>
#include <QFontMetrics>
#include <QLineF>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace runboard::widgets {

namespace {
constexpr double kClickPx = 5;  // a drag shorter than this is a click

QPointF posOf(QEvent* event) {
    return static_cast<QSinglePointEvent*>(event)->position();
}
}  // namespace

PlotZoomer::PlotZoomer(PlotWidget* plot, Axes axes) : QObject(plot), plot_(plot), axes_(axes) {
    plot->installEventFilter(this);
    plot->addOverlay(this, this);
}

void PlotZoomer::zoomToPixels(const QRectF& pixels) {
    const QRectF r = pixels.normalized().intersected(plot_->mapping().area);
    if (r.width() < kClickPx) return;
    const PlotMapping& m = plot_->mapping();
    if (axes_ == Axes::X || r.height() < kClickPx) {
        ask(m.xAt(r.left()), m.xAt(r.right()), m.y0, m.y1);
        return;
    }
    ask(m.xAt(r.left()), m.xAt(r.right()), m.yAt(r.bottom()), m.yAt(r.top()));
}

void PlotZoomer::ask(double x0, double x1, double y0, double y1) {
    const PlotMapping& m = plot_->mapping();
    if (!usableRange(x0, x1, m.logX) || !usableRange(y0, y1, m.logY)) return;
    emit zoomed(x0, x1, y0, y1);
}

bool PlotZoomer::eventFilter(QObject*, QEvent* event) {
    const PlotMapping& m = plot_->mapping();
    switch (event->type()) {
        case QEvent::MouseButtonPress:
            if (static_cast<QMouseEvent*>(event)->button() == Qt::LeftButton &&
                m.area.contains(posOf(event))) {
                pressed_ = current_ = posOf(event);
            }
            break;
        case QEvent::MouseMove:
            if (pressed_) {
                current_ = posOf(event);
                plot_->update();
            }
            break;
        case QEvent::MouseButtonRelease:
            if (pressed_ && static_cast<QMouseEvent*>(event)->button() == Qt::LeftButton) {
                const QRectF band(*pressed_, posOf(event));
                pressed_.reset();
                plot_->update();
                zoomToPixels(band);
            }
            break;
        case QEvent::MouseButtonDblClick:
            pressed_.reset();
            emit resetRequested();
            return true;
        case QEvent::Wheel: {
            auto* wheel = static_cast<QWheelEvent*>(event);
            if (wheel->angleDelta().y() == 0 || !m.area.contains(wheel->position())) break;
            // Around the cursor: the value under it stays under it.
            const double f = wheel->angleDelta().y() > 0 ? 0.8 : 1.25;
            const double px = wheel->position().x();
            ask(m.xAt(px - (px - m.area.left()) * f), m.xAt(px + (m.area.right() - px) * f), m.y0,
                m.y1);
            return true;
        }
        default:
            break;
    }
    return false;
}

void PlotZoomer::paintOverlay(QPainter& painter, const PlotMapping& mapping) {
    if (!pressed_) return;
    QRectF band = QRectF(*pressed_, current_).normalized().intersected(mapping.area);
    if (axes_ == Axes::X) {  // the whole height: only x changes
        band.setTop(mapping.area.top());
        band.setBottom(mapping.area.bottom());
    }
    painter.setPen(QPen(QColor(0x1e, 0x88, 0xe5), 1));
    painter.setBrush(QColor(0x1e, 0x88, 0xe5, 40));
    painter.drawRect(band);
}

PlotTracker::PlotTracker(PlotWidget* plot, std::function<QString(double x)> describe)
    : QObject(plot), plot_(plot), describe_(std::move(describe)) {
    plot->setMouseTracking(true);
    plot->installEventFilter(this);
    plot->addOverlay(this, this);
}

bool PlotTracker::eventFilter(QObject*, QEvent* event) {
    if (event->type() == QEvent::MouseMove) {
        const QPointF at = posOf(event);
        const bool inside = plot_->mapping().area.contains(at) && !plot_->lines().empty();
        if (inside || at_) {
            at_ = inside ? std::optional(at) : std::nullopt;
            plot_->update();
        }
    } else if (event->type() == QEvent::Leave && at_) {
        at_.reset();
        plot_->update();
    }
    return false;
}

void PlotTracker::paintOverlay(QPainter& painter, const PlotMapping& mapping) {
    if (!at_ || !describe_) return;
    const QRectF& area = mapping.area;
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.setPen(QPen(QColor(120, 120, 120, 160), 1, Qt::DashLine));
    painter.drawLine(QPointF(at_->x(), area.top()), QPointF(at_->x(), area.bottom()));
    const QString text = describe_(mapping.xAt(at_->x()));
    if (text.isEmpty()) return;
    const QFontMetrics fm(painter.font());
    const QRect box = fm.boundingRect(QRect(0, 0, 2000, 2000), Qt::AlignLeft, text);
    const double left = std::min(at_->x() + 8, area.right() - box.width() - 6);
    const QRectF frame(left, area.top() + 4, box.width() + 6, box.height() + 4);
    painter.fillRect(frame, QColor(255, 255, 255, 220));
    painter.setPen(QColor(0x42, 0x42, 0x42));
    painter.drawText(frame.adjusted(3, 2, -3, -2), Qt::AlignLeft, text);
}

PlotPicker::PlotPicker(PlotWidget* plot, double radiusPx)
    : QObject(plot), plot_(plot), radius_(radiusPx) {
    plot->setMouseTracking(true);
    plot->installEventFilter(this);
}

std::optional<std::pair<int, int>> PlotPicker::markerAt(QPointF pixel) const {
    const PlotMapping& m = plot_->mapping();
    std::optional<std::pair<int, int>> best;
    double bestDistance = radius_;
    const auto& all = plot_->markers();
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = 0; j < all[i].points.size(); ++j) {
            QPointF c = m.toPixel(all[i].points[j].x, all[i].points[j].y);
            if (all[i].pinTop) c.setY(m.area.top() + all[i].size / 2 + 1);
            const double d = std::hypot(c.x() - pixel.x(), c.y() - pixel.y());
            if (d <= bestDistance) {
                bestDistance = d;
                best = std::pair(static_cast<int>(i), static_cast<int>(j));
            }
        }
    return best;
}

bool PlotPicker::eventFilter(QObject*, QEvent* event) {
    switch (event->type()) {
        case QEvent::MouseMove: {
            const auto hit = markerAt(posOf(event));
            if (hit == over_) break;
            over_ = hit;
            if (hit)
                emit hovered(hit->first, hit->second,
                             static_cast<QMouseEvent*>(event)->globalPosition().toPoint());
            else
                emit left();
            break;
        }
        case QEvent::Leave:
            if (over_) {
                over_.reset();
                emit left();
            }
            break;
        case QEvent::MouseButtonPress:
            pressed_ = posOf(event);
            break;
        case QEvent::MouseButtonRelease:
            if (pressed_ && QLineF(*pressed_, posOf(event)).length() < kClickPx)
                if (const auto hit = markerAt(posOf(event))) emit clicked(hit->first, hit->second);
            pressed_.reset();
            break;
        default:
            break;
    }
    return false;
}

PlotLegend::PlotLegend(QWidget* parent) : QLabel(parent) {
    setWordWrap(true);
    setAlignment(Qt::AlignHCenter);
    setTextFormat(Qt::RichText);
}

void PlotLegend::setEntries(const std::vector<LegendEntry>& entries) {
    QStringList parts;
    for (const LegendEntry& e : entries)
        // An entry wraps as a whole, never in the middle of a run's name.
        parts << QStringLiteral(
                     "<span style=\"white-space:nowrap\"><span style=\"color:%1\">"
                     "&#9632;</span>&nbsp;%2</span>")
                     .arg(e.color.name(), e.text.toHtmlEscaped());
    setText(parts.join(QStringLiteral(" &nbsp; ")));
}

}  // namespace runboard::widgets
