#include "widgets/data_section.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <chrono>

namespace runboard::widgets {

bool isDataSectionKey(std::string_view key) {
    return key.starts_with("data.") || key == "model.path";
}

bool dataKeyApplies(std::string_view key, std::string_view source, std::string_view model) {
    const bool csv = source == "csv", folder = source == "folder", idx = source == "fashion-mnist",
               text = source == "text";
    if (key == "model.path") return model == "torchscript";
    // Text reads a CSV/TSV (data.path) or a folder of class sub-folders of .txt files (data.dir).
    if (key == "data.dir") return idx || folder || text;
    if (key == "data.path" || key == "data.label") return csv || text;
    if (key == "data.missing") return csv;
    if (key == "data.text" || key == "data.tokens" || key == "data.vocab_size" ||
        key == "data.min_freq" || key == "data.max_len" || key == "data.bucketing")
        return text;
    if (key == "data.workers") return folder || text;  // the scan's threads
    if (key == "data.image_size" || key == "data.channels" || key == "data.cache_mb") return folder;
    if (key == "data.val_size") return idx;
    if (key == "data.val_share" || key == "data.test_size") return csv || folder || text;
    return true;  // data.source, data.limit, data.split_seed
}

QWidget* withBrowseButton(const std::string& key, QLineEdit* editor, QWidget* parent) {
    if (key != "data.dir" && key != "data.path" && key != "model.path") return editor;
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(editor, 1);
    auto* browse = new QPushButton(QObject::tr("Browse…"), row);
    browse->setObjectName(QString::fromStdString(key) + QStringLiteral(".browse"));
    layout->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, editor, [key, editor] {
        const QString current = editor->text().trimmed();
        QString chosen;
        if (key == "data.dir") {
            chosen = QFileDialog::getExistingDirectory(
                editor->window(), QObject::tr("Image folder or IDX folder"), current);
        } else {
            const QString start = current.isEmpty() ? QString() : QFileInfo(current).absolutePath();
            chosen = key == "data.path"
                         ? QFileDialog::getOpenFileName(
                               editor->window(), QObject::tr("CSV table"), start,
                               QObject::tr("CSV files (*.csv *.CSV);;All files (*)"))
                         : QFileDialog::getOpenFileName(
                               editor->window(), QObject::tr("TorchScript module"), start,
                               QObject::tr("TorchScript modules (*.pt *.pth);;All files (*)"));
        }
        if (!chosen.isEmpty()) editor->setText(chosen);
    });
    return row;
}

DataScanPanel::DataScanPanel(QWidget* parent) : QWidget(parent) {
    button_ = new QPushButton(tr("Scan"), this);
    button_->setObjectName(QStringLiteral("data.scan"));
    button_->setToolTip(
        tr("Read the data once as the run will: classes, samples per part, files "
           "that cannot be decoded"));
    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("data.scan.progress"));
    progress_->setTextVisible(true);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setVisible(false);
    summary_ = new QLabel(tr("Scan reads the data once, as the run will, and shows the classes, "
                             "the samples in each part and the files it cannot use."),
                          this);
    summary_->setObjectName(QStringLiteral("data.scan.summary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    text_ = new QPlainTextEdit(this);
    text_->setObjectName(QStringLiteral("data.scan.preview"));
    text_->setReadOnly(true);
    text_->setLineWrapMode(QPlainTextEdit::WidgetWidth);  // long reasons stay readable
    text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    text_->setPlaceholderText(tr("No scan yet"));
    text_->setMinimumHeight(120);

    auto* top = new QHBoxLayout();
    top->addWidget(button_);
    top->addWidget(progress_, 1);
    top->addStretch(0);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(summary_);
    layout->addWidget(text_, 1);
    connect(button_, &QPushButton::clicked, this, [this] {
        if (isScanning()) {
            cancel();
            summary_->setText(tr("Scan stopped."));
        } else {
            emit scanRequested();
        }
    });
}

DataScanPanel::~DataScanPanel() {
    cancel();
}

void DataScanPanel::cancel() {
    ++generation_;  // whatever the old thread posted is dropped
    if (stop_) stop_->store(true);
    if (worker_.joinable()) worker_.join();
    stop_.reset();
    if (!finished_) {
        finished_ = true;
        progress_->setVisible(false);
        button_->setText(tr("Scan"));
    }
}

void DataScanPanel::scan(const config::Config& config) {
    cancel();
    const quint64 generation = ++generation_;
    finished_ = false;
    result_.reset();
    stop_ = std::make_shared<std::atomic<bool>>(false);
    button_->setText(tr("Stop"));
    progress_->setRange(0, 0);  // busy until the number of files is known
    // What progress counts: a folder's files decoded, a text's samples tokenized.
    unit_ = config.text("data.source") == "text" ? tr("texts") : tr("files");
    progress_->setVisible(true);
    summary_->setStyleSheet(QString());
    summary_->setText(tr("Scanning…"));
    text_->clear();
    // The thread sees copies and the stop flag it shares; `this` outlives it (cancel() joins).
    worker_ = std::thread([this, generation, config, stop = stop_] {
        try {
            auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
            const auto progress = [&](std::size_t done, std::size_t total) {
                const auto now = std::chrono::steady_clock::now();
                if (done < total && now - last < std::chrono::milliseconds(100)) return;
                last = now;
                QMetaObject::invokeMethod(
                    this, [this, generation, done, total] { onProgress(generation, done, total); },
                    Qt::QueuedConnection);
            };
            engine::DataPreview preview = engine::previewData(config, progress, stop.get());
            QMetaObject::invokeMethod(
                this,
                [this, generation, preview = std::move(preview)]() mutable {
                    onFinished(generation, std::move(preview));
                },
                Qt::QueuedConnection);
        } catch (...) {  // out of memory while posting: nothing may leave the thread
            try {
                engine::DataPreview failed;
                failed.error = "the scan failed (out of memory?)";
                QMetaObject::invokeMethod(
                    this,
                    [this, generation, failed]() mutable {
                        onFinished(generation, std::move(failed));
                    },
                    Qt::QueuedConnection);
            } catch (...) {  // the panel stays on "Scanning…"; Stop still works
            }
        }
    });
}

void DataScanPanel::onProgress(quint64 generation, std::size_t done, std::size_t total) {
    if (generation != generation_ || finished_) return;
    if (total == 0) {
        progress_->setRange(0, 0);
        return;
    }
    // QProgressBar holds ints: a folder of more than 2^31 files is shown in thousandths.
    progress_->setRange(0, 1000);
    progress_->setValue(
        static_cast<int>(1000.0 * static_cast<double>(done) / static_cast<double>(total)));
    progress_->setFormat(tr("%1 of %2 %3").arg(done).arg(total).arg(unit_));
}

void DataScanPanel::onFinished(quint64 generation, engine::DataPreview preview) {
    if (generation != generation_) return;
    if (worker_.joinable()) worker_.join();  // it returns right after posting this
    stop_.reset();
    finished_ = true;
    progress_->setVisible(false);
    button_->setText(tr("Scan"));
    const bool ok = preview.ok;
    QString summary = QString::fromStdString(preview.summary);
    if (!ok) {
        summary_->setStyleSheet(QStringLiteral("color: #c62828;"));
        summary = QString::fromStdString(preview.error) +
                  (summary.isEmpty() ? QString() : QStringLiteral("\n") + summary);
    } else {
        summary_->setStyleSheet(QString());
    }
    summary_->setText(summary);
    text_->setPlainText(QString::fromStdString(engine::formatPreview(preview)));
    result_ = std::move(preview);
    emit scanFinished(ok);
}

void DataScanPanel::showError(const QString& message) {
    cancel();
    result_.reset();
    summary_->setStyleSheet(QStringLiteral("color: #c62828;"));
    summary_->setText(message);
    text_->clear();
}

void DataScanPanel::markStale() {
    if (!result_ || isScanning()) return;
    summary_->setStyleSheet(QStringLiteral("color: #8d6e00;"));
    summary_->setText(tr("The data settings changed since this scan: Scan again.\n") +
                      QString::fromStdString(result_->ok ? result_->summary : result_->error));
}

QString DataScanPanel::summaryText() const {
    return summary_->text();
}
QString DataScanPanel::previewText() const {
    return text_->toPlainText();
}

}  // namespace runboard::widgets
