#include "widgets/sample_detail.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <numeric>

namespace runboard::widgets {

namespace {
constexpr int kTop = 5;
constexpr int kBigScale = 6;  // 28 px drawn at 168 px
}  // namespace

ProbabilityBars::ProbabilityBars(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void ProbabilityBars::setBars(std::vector<std::tuple<QString, double, bool>> bars) {
    bars_ = std::move(bars);
    update();
}

QSize ProbabilityBars::sizeHint() const {
    return {260, kTop * (fontMetrics().height() + 6) + 4};
}

void ProbabilityBars::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const int line = fontMetrics().height() + 6;
    int labelWidth = 0;
    for (const auto& [name, prob, truth] : bars_)
        labelWidth = std::max(labelWidth, fontMetrics().horizontalAdvance(name));
    const int x0 = labelWidth + 8, right = width() - 48;
    int y = 2;
    for (const auto& [name, prob, truth] : bars_) {
        p.setPen(palette().text().color());
        p.drawText(QRect(0, y, labelWidth, line - 4), Qt::AlignRight | Qt::AlignVCenter, name);
        const int w = static_cast<int>(std::max(0.0, prob) * std::max(0, right - x0));
        p.fillRect(QRect(x0, y + 2, std::max(w, 1), line - 8),
                   truth ? QColor(0x2e, 0x7d, 0x32) : QColor(0x90, 0xa4, 0xae));
        p.drawText(QRect(right + 4, y, 44, line - 4), Qt::AlignLeft | Qt::AlignVCenter,
                   QStringLiteral("%1%").arg(100 * prob, 0, 'f', 1));
        y += line;
    }
}

SampleDetail::SampleDetail(QWidget* parent) : QWidget(parent) {
    title_ = new QLabel(this);
    title_->setWordWrap(true);
    image_ = new QLabel(this);
    image_->setFixedSize(28 * kBigScale, 28 * kBigScale);
    image_->setAlignment(Qt::AlignCenter);
    image_->setStyleSheet(QStringLiteral("background: #eee;"));
    text_ = new QPlainTextEdit(this);
    text_->setReadOnly(true);
    text_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    text_->hide();
    bars_ = new ProbabilityBars(this);
    story_ = new QLabel(this);
    story_->setWordWrap(true);
    history_ = new QTreeWidget(this);
    history_->setRootIsDecorated(false);
    history_->setHeaderLabels({tr("Epoch"), tr("Predicted"), tr("Confidence"), tr("Loss")});
    history_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    others_ = new QTreeWidget(this);
    others_->setRootIsDecorated(false);
    others_->setHeaderLabels({tr("Run"), tr("Predicted"), tr("Confidence")});
    others_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    history_->setMinimumHeight(60);
    others_->setMinimumHeight(50);
    others_->setMaximumHeight(110);
    flag_ = new QComboBox(this);
    flag_->addItem(tr("no flag"));
    flag_->addItem(tr("label looks wrong"),
                   QString::fromUtf8(storage::flagName(storage::LabelFlag::WrongLabel)));
    flag_->addItem(tr("ambiguous"),
                   QString::fromUtf8(storage::flagName(storage::LabelFlag::Ambiguous)));
    flag_->addItem(tr("interesting"),
                   QString::fromUtf8(storage::flagName(storage::LabelFlag::Interesting)));
    note_ = new QLineEdit(this);
    note_->setPlaceholderText(tr("note (optional)"));
    auto* save = new QPushButton(tr("Save flag"), this);
    connect(save, &QPushButton::clicked, this, [this] {
        if (sample_ < 0) return;
        const auto flag = storage::parseFlag(flag_->currentData().toString().toStdString());
        emit flagRequested(sample_, flag, note_->text().trimmed());
    });

    auto* flagRow = new QHBoxLayout();
    flagRow->addWidget(flag_);
    flagRow->addWidget(note_, 1);
    flagRow->addWidget(save);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title_);
    layout->addWidget(image_, 0, Qt::AlignHCenter);
    layout->addWidget(text_);
    layout->addWidget(bars_);
    layout->addWidget(story_);
    layout->addWidget(new QLabel(tr("At every logged epoch of this run:"), this));
    layout->addWidget(history_, 2);
    layout->addWidget(new QLabel(tr("In the other selected runs:"), this));
    layout->addWidget(others_, 1);
    layout->addLayout(flagRow);
    clear();
}

void SampleDetail::clear() {
    sample_ = -1;
    title_->setText(tr("Click a sample to see it here."));
    image_->clear();
    image_->show();
    text_->clear();
    text_->hide();
    bars_->setBars({});
    story_->clear();
    history_->clear();
    others_->clear();
    flag_->setCurrentIndex(0);
    note_->clear();
    setEnabled(false);
}

void SampleDetail::showSample(const GalleryData& data, const storage::PredictionRecord& current,
                              const Predictions& history,
                              const std::vector<SampleOtherRun>& others) {
    setEnabled(true);
    sample_ = current.sampleIndex;
    // The part, not the file: a table's or a text's test set is rows of the one file.
    title_->setText(
        tr("<b>%1</b> (%2) · true <b>%3</b> · predicted <b>%4</b> · loss %5")
            .arg(sampleDescription(data, current.sampleIndex).toHtmlEscaped(),
                 data.part == engine::FilePart::Test ? tr("test set") : tr("validation set"),
                 className(data, current.target), className(data, current.predicted))
            .arg(current.loss, 0, 'g', 4));
    const QImage img = sampleImage(data, current.sampleIndex);
    const QString whole = img.isNull() ? sampleText(data, current.sampleIndex) : QString();
    image_->setAlignment(Qt::AlignCenter);
    image_->setVisible(whole.isEmpty());
    text_->setVisible(!whole.isEmpty());
    text_->setPlainText(whole);
    // As tall as the text's lines (about 60 characters a line), from 3 to 12 of them: a short
    // quote leaves room for the rest, a long one scrolls.
    const auto lines = whole.count(QLatin1Char('\n')) + 1 + whole.size() / 60;
    text_->setFixedHeight(static_cast<int>(std::clamp<qsizetype>(lines, 3, 12) + 1) *
                              text_->fontMetrics().lineSpacing() +
                          2 * text_->frameWidth());
    if (!whole.isEmpty()) {
        image_->clear();
    } else if (!img.isNull()) {
        QPixmap big(image_->size());
        big.fill(QColor(0xee, 0xee, 0xee));
        QPainter painter(&big);
        drawSampleImage(painter, big.rect(), img);
        image_->setPixmap(big);
    } else if (const QStringList fields = sampleFields(data, current.sampleIndex);
               !fields.isEmpty()) {
        // A table row: its features, as many as the box holds.
        const QFontMetrics fm = image_->fontMetrics();
        const int fit = std::max(1, image_->height() / fm.height() - 2);
        const int shown = static_cast<int>(std::min<qsizetype>(fields.size(), fit));
        // The values whole, the names elided to what the box leaves them.
        int valueWidth = 0;
        for (int i = 0; i < shown; ++i)
            valueWidth =
                std::max(valueWidth, fm.horizontalAdvance(fields[i].section(QLatin1Char('\t'), 1)));
        const int nameWidth =
            std::max(fm.averageCharWidth() * 3, image_->width() - valueWidth - 16);
        QString html = QStringLiteral("<table cellspacing=0 cellpadding=1>");
        for (int i = 0; i < shown; ++i) {
            const bool more = i + 1 == fit && fields.size() > fit;
            const QString name = fm.elidedText(fields[i].section(QLatin1Char('\t'), 0, 0),
                                               Qt::ElideRight, nameWidth);
            html += more ? tr("<tr><td colspan=2>… %1 more</td></tr>").arg(fields.size() - i)
                         : QStringLiteral("<tr><td>%1</td><td align=right>&nbsp;%2</td></tr>")
                               .arg(name.toHtmlEscaped(),
                                    fields[i].section(QLatin1Char('\t'), 1).toHtmlEscaped());
        }
        image_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        image_->setText(html + QStringLiteral("</table>"));
    } else {
        image_->clear();
    }
    // Top-5 probabilities, from the record (the gallery loads them with the detail).
    std::vector<int> order(current.probs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return current.probs[static_cast<std::size_t>(a)] >
               current.probs[static_cast<std::size_t>(b)];
    });
    std::vector<std::tuple<QString, double, bool>> bars;
    for (std::size_t i = 0; i < order.size() && i < kTop; ++i)
        bars.emplace_back(className(data, order[i]),
                          current.probs[static_cast<std::size_t>(order[i])],
                          order[i] == current.target);
    bars_->setBars(std::move(bars));

    const SampleStory story = storyOf(history);
    QString text;
    if (history.size() <= 1)
        text = tr("Logged at one epoch only.");
    else if (story.learnedAt)
        text = tr("Learned at epoch %1 and right since.").arg(*story.learnedAt);
    else
        text = tr("Not learned: wrong at the last logged epoch.");
    if (!story.forgottenAt.empty()) {
        QStringList epochs;
        for (auto e : story.forgottenAt)
            epochs << QString::number(e);
        text += tr(" Forgotten at epoch %1.").arg(epochs.join(QStringLiteral(", ")));
    }
    story_->setText(text);

    history_->clear();
    for (const auto& h : history) {
        auto* item = new QTreeWidgetItem({QString::number(h.epoch), className(data, h.predicted),
                                          QStringLiteral("%1%").arg(100 * h.confidence, 0, 'f', 1),
                                          QString::number(h.loss, 'g', 4)});
        item->setForeground(1, h.correct() ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
        history_->addTopLevelItem(item);
    }
    others_->clear();
    for (const auto& o : others) {
        auto* item = new QTreeWidgetItem(
            {o.run, className(data, o.prediction.predicted),
             QStringLiteral("%1%").arg(100 * o.prediction.confidence, 0, 'f', 1)});
        item->setForeground(
            1, o.prediction.correct() ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
        others_->addTopLevelItem(item);
    }
    auto flag = data.flags.find(current.sampleIndex);
    if (flag == data.flags.end()) {
        flag_->setCurrentIndex(0);
        note_->clear();
    } else {
        flag_->setCurrentIndex(
            flag_->findData(QString::fromUtf8(storage::flagName(flag->second.flag))));
        note_->setText(QString::fromStdString(flag->second.note));
    }
}

QString SampleDetail::shownText() const {
    return text_->isVisibleTo(this) ? text_->toPlainText() : QString();
}

QString SampleDetail::storyText() const {
    return story_->text();
}

int SampleDetail::historyRows() const {
    return history_->topLevelItemCount();
}

int SampleDetail::otherRows() const {
    return others_->topLevelItemCount();
}

}  // namespace runboard::widgets
