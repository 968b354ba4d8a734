#pragma once
// Private against public scores with the y = x line, drawn by one widget in one paint pass. A
// QScatterSeries makes one graphics item per point: a 100k-entry board took 95 s to open (and a
// minute to close), a 1M-entry Kaggle board froze the tab for minutes. Up to kMaxDots entries are
// dots; beyond that each pixel is shaded by how many entries fall on it (green: held up in private,
// red: worse, mixed by their share), so the shape of a million entries shows in the time of a few
// thousand.

#include <QImage>
#include <QWidget>
#include <vector>

namespace runboard::widgets {

class ScoreScatter : public QWidget {
    Q_OBJECT
public:
    static constexpr std::size_t kMaxDots = 20'000;

    struct Point {
        float x = 0, y = 0;  // public, private (float: a million points in 12 MB)
        bool worse = false;  // worse in private than in public
    };

    explicit ScoreScatter(QWidget* parent = nullptr);
    // The points and the shared range of both axes.
    void setPoints(std::vector<Point> points, double lo, double hi);

    std::size_t pointCount() const { return points_.size(); }
    std::size_t worseCount() const { return worse_; }
    bool density() const { return points_.size() > kMaxDots; }
    // The plot area in widget pixels, and where a score pair lands in it.
    QRectF plotArea() const;
    QPointF toPixel(double x, double y) const;

    QSize minimumSizeHint() const override { return {260, 200}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    const QImage& densityImage(const QRect& area);

    std::vector<Point> points_;
    std::size_t worse_ = 0;
    double lo_ = 0, hi_ = 1;
    QImage density_;  // cached for the plot area's size
};

}  // namespace runboard::widgets
