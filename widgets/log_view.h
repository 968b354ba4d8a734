#pragma once
// The log dock's content: spdlog's lines, filterable by level. append() must be called on the GUI
// thread; app/'s QtLogSink forwards to it from any thread with queued calls.

#include <QWidget>
#include <deque>

class QComboBox;
class QPlainTextEdit;

namespace runboard::widgets {

class LogView : public QWidget {
    Q_OBJECT
public:
    explicit LogView(QWidget* parent = nullptr);
    // level: spdlog's numbers, 0 trace .. 5 critical.
    void append(int level, const QString& line);
    void setMinimumLevel(int level);
    int lineCount() const;
    // Five lines of the log's own (monospace) font under the level row: the dock starts at this
    // height, small while the log says little.
    QSize sizeHint() const override;
    // The height of the text area that shows `lines` whole lines, frame and margins included.
    int textHeightForLines(int lines) const;
    static constexpr int kInitialLines = 5;

private:
    void rebuild();
    std::deque<std::pair<int, QString>> lines_;  // the last few thousand, for re-filtering
    int minLevel_ = 2;                           // info
    QComboBox* level_ = nullptr;
    QPlainTextEdit* text_ = nullptr;
};

}  // namespace runboard::widgets
