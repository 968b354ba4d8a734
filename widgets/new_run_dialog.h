#pragma once
// The New Run dialog: one editor per config key, chosen from the schema (combo boxes for fixed
// choices, spin boxes with the key's range, a text field for learning rates so that 3e-4 can be
// typed), validated inline with the same messages as the CLI. Given sweep options, it is the New
// LR Sweep dialog: the same config editors under the sweep's own options.
//
// The data keys (and model.path) are a Data section of their own, on the left beside the training
// keys so that its Scan preview stays in view while they are edited: only the rows that apply to
// data.source are shown (a row with an error always is), paths have a Browse… button, and Scan
// shows what the data will give before Start (widgets/data_section.h). Every editor exists
// whatever is shown, so config() and setField() see every key.

#include <QDialog>
#include <map>
#include <optional>

#include "engine/config/config.h"
#include "engine/sweep/lr_sweep.h"

class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace runboard::widgets {

class DataScanPanel;

class NewRunDialog : public QDialog {
    Q_OBJECT
public:
    explicit NewRunDialog(const config::Config& initial, QWidget* parent = nullptr,
                          std::optional<sweep::Options> sweep = std::nullopt);
    ~NewRunDialog() override;

    // The config as edited; throws config::ConfigError when a field does not parse.
    config::Config config() const;
    QString runName() const;
    void setRunName(const QString& name);
    // Every problem, one per invalid field, empty when Start may be pressed.
    QStringList problems() const;
    // Sets a field from text as a user would type it (tests, "start with this LR").
    void setField(const QString& key, const QString& text);
    QWidget* editor(const QString& key) const;
    // Sweep mode: the options as edited (valid when problems() is empty).
    bool isSweep() const { return sweepMode_; }
    sweep::Options sweepOptions() const;
    // Sweep fields: start, end, steps, mode, beta, stop_factor.
    void setSweepField(const QString& field, const QString& text);

    // The Data section: Scan as the button does (off the GUI thread; scanFinished when done).
    DataScanPanel* scanPanel() const { return scan_; }
    void startScan();
    // Whether the key's row is shown (data rows that do not apply to data.source are hidden).
    bool isRowShown(const QString& key) const;

    void done(int result) override;  // stops a running scan first

signals:
    void scanFinished(bool ok);

private:
    void revalidate();
    void updateDataRows();
    QStringList dataValues() const;  // the Data section's values, to tell when a scan is stale
    std::optional<config::Value> valueOf(const config::KeySpec& spec, QString* error) const;

    void buildSweepRows(QFormLayout* form, const sweep::Options& options);
    std::optional<sweep::Options> parseSweep(QString* error) const;

    bool sweepMode_ = false;
    std::map<QString, QLineEdit*> sweepEdits_;
    QComboBox* sweepModeBox_ = nullptr;
    QLabel* sweepError_ = nullptr;
    std::map<std::string, QWidget*> editors_;
    std::map<std::string, QLabel*> errors_;
    std::map<std::string, std::pair<QFormLayout*, QWidget*>> rows_;  // the form and the row's cell
    DataScanPanel* scan_ = nullptr;
    std::optional<QStringList> scannedData_;
    QLineEdit* name_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace runboard::widgets
