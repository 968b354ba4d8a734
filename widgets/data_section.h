#pragma once
// The New Run dialog's Data section: which keys belong to it and which of them apply to the chosen
// data.source, the Browse buttons beside the paths, and the Scan panel that shows what the data
// settings will give (engine/preview: classes, counts per part, quarantined files) before Start.
//
// The scan reads a whole folder, seconds to minutes, so it runs on a thread of its own; only plain
// structs cross back, by queued calls, each tagged with the scan's number so that a result of a
// scan already replaced is dropped. Progress reaches the GUI at most every 100 ms. Cancelling (a
// new scan, the dialog closed or destroyed) sets the stop flag and joins: decodeImages stops
// within a file per worker, and after the join no queued call can reach a destroyed panel (a
// QObject's destructor drops the events posted to it).

#include <QWidget>
#include <atomic>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include "engine/config/config.h"
#include "engine/preview/data_preview.h"

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace runboard::widgets {

// data.* and model.path: the keys the Data section shows.
bool isDataSectionKey(std::string_view key);
// Whether a Data section key matters for this source and model (data.path only for csv, the
// image keys only for folders, model.path only for torchscript); the others are hidden.
bool dataKeyApplies(std::string_view key, std::string_view source, std::string_view model);
// The editor with a Browse… button beside it for data.dir (a directory), data.path (a CSV file)
// and model.path (a TorchScript file); any other editor as it is.
QWidget* withBrowseButton(const std::string& key, QLineEdit* editor, QWidget* parent);

class DataScanPanel : public QWidget {
    Q_OBJECT
public:
    explicit DataScanPanel(QWidget* parent = nullptr);
    ~DataScanPanel() override;  // stops and joins a running scan

    // Starts a scan of `config`'s data (a running one is stopped first).
    void scan(const config::Config& config);
    // Shows a message instead of a scan (the config does not parse).
    void showError(const QString& message);
    // Stops a running scan and waits for its thread; its result is dropped.
    void cancel();
    bool isScanning() const { return worker_.joinable() && !finished_; }
    // The data settings changed after the last scan: its result no longer describes them.
    void markStale();

    const std::optional<engine::DataPreview>& result() const { return result_; }
    QString summaryText() const;
    QString previewText() const;

signals:
    void scanRequested();
    void scanFinished(bool ok);

private:
    void onProgress(quint64 generation, std::size_t done, std::size_t total);
    void onFinished(quint64 generation, engine::DataPreview preview);

    QPushButton* button_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* summary_ = nullptr;
    QPlainTextEdit* text_ = nullptr;
    std::thread worker_;
    std::shared_ptr<std::atomic<bool>> stop_;
    quint64 generation_ = 0;
    bool finished_ = true;
    QString unit_;  // "files" | "texts"
    std::optional<engine::DataPreview> result_;
};

}  // namespace runboard::widgets
