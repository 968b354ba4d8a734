#include "widgets/log_view.h"

#include <QComboBox>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>
#include <cmath>

namespace runboard::widgets {

namespace {
constexpr std::size_t kKeep = 5000;
}

LogView::LogView(QWidget* parent) : QWidget(parent) {
    level_ = new QComboBox(this);
    level_->addItems(
        {tr("trace"), tr("debug"), tr("info"), tr("warning"), tr("error"), tr("critical")});
    level_->setCurrentIndex(minLevel_);
    text_ = new QPlainTextEdit(this);
    text_->setReadOnly(true);
    text_->setMaximumBlockCount(static_cast<int>(kKeep));
    text_->setFont(QFont(QStringLiteral("monospace")));
    auto* top = new QHBoxLayout();
    top->addWidget(new QLabel(tr("Level"), this));
    top->addWidget(level_);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(top);
    layout->addWidget(text_, 1);
    connect(level_, &QComboBox::currentIndexChanged, this, &LogView::setMinimumLevel);
}

void LogView::append(int level, const QString& line) {
    lines_.emplace_back(level, line);
    if (lines_.size() > kKeep) lines_.pop_front();
    if (level >= minLevel_) text_->appendPlainText(line);
}

void LogView::setMinimumLevel(int level) {
    minLevel_ = level;
    if (level_->currentIndex() != level) level_->setCurrentIndex(level);
    rebuild();
}

int LogView::lineCount() const {
    return text_->document()->blockCount() - (text_->document()->isEmpty() ? 1 : 0);
}

int LogView::textHeightForLines(int lines) const {
    const QFontMetrics metrics(text_->font());
    const QMargins viewport = text_->viewport()->contentsMargins();
    return metrics.lineSpacing() * lines +
           2 * static_cast<int>(std::ceil(text_->document()->documentMargin())) +
           2 * text_->frameWidth() + viewport.top() + viewport.bottom() +
           1;  // QPlainTextEdit counts a line as visible below height - 1 only
}

QSize LogView::sizeHint() const {
    // The layout's hint with the text area's own hint (about 12 lines) swapped for five lines.
    QSize hint = QWidget::sizeHint();
    hint.setHeight(hint.height() - text_->sizeHint().height() + textHeightForLines(kInitialLines));
    return hint;
}

void LogView::rebuild() {
    text_->clear();
    for (const auto& [level, line] : lines_)
        if (level >= minLevel_) text_->appendPlainText(line);
}

}  // namespace runboard::widgets
