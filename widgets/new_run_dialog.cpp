#include "widgets/new_run_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/data_section.h"

namespace runboard::widgets {
namespace {

bool fitsSpinBox(const config::KeySpec& spec) {
    return spec.type == config::Type::Int && spec.max &&
           *spec.max <= std::numeric_limits<int>::max();
}

}  // namespace

NewRunDialog::NewRunDialog(const config::Config& initial, QWidget* parent,
                           std::optional<sweep::Options> sweep)
    : QDialog(parent), sweepMode_(sweep.has_value()) {
    setWindowTitle(sweepMode_ ? tr("New LR sweep") : tr("New run"));
    auto* dataForm = new QFormLayout();
    auto* form = new QFormLayout();  // the sweep's options and the training keys
    name_ = new QLineEdit(this);
    name_->setPlaceholderText(tr("derived from the config"));
    if (sweep) buildSweepRows(form, *sweep);
    for (const config::KeySpec& spec : config::schema()) {
        const config::Value& v = initial.at(spec.key);
        QWidget* editor = nullptr;
        if (spec.type == config::Type::String && !spec.choices.empty()) {
            auto* box = new QComboBox(this);
            for (const auto& c : spec.choices)
                box->addItem(QString::fromStdString(c));
            box->setCurrentText(QString::fromStdString(std::get<std::string>(v)));
            connect(box, &QComboBox::currentTextChanged, this, &NewRunDialog::revalidate);
            editor = box;
        } else if (spec.type == config::Type::Bool) {
            auto* box = new QCheckBox(this);
            box->setChecked(std::get<bool>(v));
            connect(box, &QCheckBox::toggled, this, &NewRunDialog::revalidate);
            editor = box;
        } else if (fitsSpinBox(spec)) {
            auto* box = new QSpinBox(this);
            box->setRange(static_cast<int>(spec.min.value_or(0)), static_cast<int>(*spec.max));
            box->setValue(static_cast<int>(std::get<std::int64_t>(v)));
            connect(box, &QSpinBox::valueChanged, this, &NewRunDialog::revalidate);
            editor = box;
        } else {  // floats (log-scale entry: "3e-4"), big integers, free text
            auto* line = new QLineEdit(QString::fromStdString(config::formatValue(v)), this);
            if (spec.logScale) line->setToolTip(tr("Log-scale value: type e.g. 1e-3 or 3e-4"));
            connect(line, &QLineEdit::textChanged, this, &NewRunDialog::revalidate);
            editor = line;
        }
        editor->setObjectName(QString::fromStdString(spec.key));
        editor->setToolTip(QString::fromStdString(spec.help) +
                           (editor->toolTip().isEmpty() ? QString() : "\n" + editor->toolTip()));
        auto* error = new QLabel(this);
        error->setStyleSheet(QStringLiteral("color: #c62828;"));
        error->setWordWrap(true);
        error->hide();
        auto* cell = new QWidget(this);
        auto* cellLayout = new QVBoxLayout(cell);
        cellLayout->setContentsMargins(0, 0, 0, 0);
        cellLayout->setSpacing(1);
        auto* line = qobject_cast<QLineEdit*>(editor);
        cellLayout->addWidget(line != nullptr ? withBrowseButton(spec.key, line, cell) : editor);
        cellLayout->addWidget(error);
        QFormLayout* target = isDataSectionKey(spec.key) ? dataForm : form;
        // The one key whose name a new user would not guess: data-parallel processes.
        target->addRow(spec.key == "ddp.world_size" ? tr("Processes (ddp.world_size)")
                                                    : QString::fromStdString(spec.key),
                       cell);
        editors_[spec.key] = editor;
        errors_[spec.key] = error;
        rows_[spec.key] = {target, cell};
    }
    // Left: the Data section and its scan; right: the training keys, scrolled.
    auto* dataBox = new QGroupBox(tr("Data"), this);
    dataBox->setObjectName(QStringLiteral("data.section"));
    auto* dataLayout = new QVBoxLayout(dataBox);
    dataLayout->addLayout(dataForm);
    scan_ = new DataScanPanel(dataBox);
    dataLayout->addWidget(scan_, 1);
    connect(scan_, &DataScanPanel::scanRequested, this, &NewRunDialog::startScan);
    connect(scan_, &DataScanPanel::scanFinished, this, &NewRunDialog::scanFinished);
    auto* trainBox = new QGroupBox(sweepMode_ ? tr("Sweep and training") : tr("Training"), this);
    trainBox->setObjectName(QStringLiteral("training.section"));
    auto* inner = new QWidget(trainBox);
    inner->setLayout(form);
    auto* scroll = new QScrollArea(trainBox);
    scroll->setWidget(inner);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* trainLayout = new QVBoxLayout(trainBox);
    trainLayout->addWidget(scroll);
    auto* columns = new QHBoxLayout();
    columns->addWidget(dataBox, 1);
    columns->addWidget(trainBox, 1);

    auto* nameRow = new QFormLayout();
    nameRow->addRow(tr("Name"), name_);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons_->button(QDialogButtonBox::Ok)->setText(sweepMode_ ? tr("Sweep") : tr("Start"));
    connect(buttons_, &QDialogButtonBox::accepted, this, [this] {
        if (problems().isEmpty()) accept();
    });
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(nameRow);
    layout->addLayout(columns, 1);
    layout->addWidget(buttons_);
    resize(1040, 720);
    revalidate();
}

NewRunDialog::~NewRunDialog() = default;  // scan_ (a child) stops and joins its thread

void NewRunDialog::done(int result) {
    scan_->cancel();
    QDialog::done(result);
}

void NewRunDialog::startScan() {
    scannedData_ = dataValues();
    try {
        scan_->scan(config());
    } catch (const std::exception& e) {  // a field that does not parse
        scan_->showError(QString::fromUtf8(e.what()));
    }
}

bool NewRunDialog::isRowShown(const QString& key) const {
    auto it = rows_.find(key.toStdString());
    return it != rows_.end() && !it->second.second->isHidden();
}

void NewRunDialog::updateDataRows() {
    const auto text = [this](const char* key) {
        return static_cast<QComboBox*>(editors_.at(key))->currentText().toStdString();
    };
    const std::string source = text("data.source"), model = text("model");
    for (const auto& [key, row] : rows_) {
        if (!isDataSectionKey(key)) continue;
        // A row with an error stays in view: Start is disabled until it is fixed.
        const bool show = dataKeyApplies(key, source, model) || !errors_.at(key)->isHidden();
        row.first->setRowVisible(row.second, show);
    }
}

std::optional<config::Value> NewRunDialog::valueOf(const config::KeySpec& spec,
                                                   QString* error) const {
    QWidget* w = editors_.at(spec.key);
    if (auto* box = qobject_cast<QComboBox*>(w)) return box->currentText().toStdString();
    if (auto* box = qobject_cast<QCheckBox*>(w)) return box->isChecked();
    if (auto* box = qobject_cast<QSpinBox*>(w)) return static_cast<std::int64_t>(box->value());
    const QString text = static_cast<QLineEdit*>(w)->text().trimmed();
    try {
        return config::parseValue(spec, text.toStdString());
    } catch (const config::ConfigError& e) {
        if (error != nullptr) *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
}

void NewRunDialog::buildSweepRows(QFormLayout* form, const sweep::Options& o) {
    auto* title = new QLabel(tr("<b>Sweep</b>: one mini-batch per LR, growing until the smoothed "
                                "loss explodes; the model and optimizer are restored after."),
                             this);
    title->setWordWrap(true);
    form->addRow(title);
    auto number = [](double v) { return QString::number(v, 'g', 6); };
    const std::pair<const char*, QString> fields[] = {
        {"start", number(o.start)},
        {"end", number(o.end)},
        {"steps", QString::number(o.steps)},
        {"mode", QString::fromUtf8(sweep::toString(o.mode).data())},
        {"beta", number(o.beta)},
        {"stop_factor", number(o.stopFactor)}};
    const char* tips[] = {"The first learning rate",
                          "The last learning rate",
                          "Mini-batches at most",
                          "exp (geometric) or linear",
                          "Smoothing of the loss (debiased EMA); 0 = none",
                          "Stop when the smoothed loss exceeds this many times its best"};
    int i = 0;
    for (const auto& [key, text] : fields) {
        if (QLatin1String(key) == QLatin1String("mode")) {  // a fixed choice: a combo box
            sweepModeBox_ = new QComboBox(this);
            sweepModeBox_->addItems({QStringLiteral("exp"), QStringLiteral("linear")});
            sweepModeBox_->setCurrentText(text);
            sweepModeBox_->setObjectName(QStringLiteral("sweep.mode"));
            sweepModeBox_->setToolTip(tr(tips[i++]));
            form->addRow(QStringLiteral("sweep mode"), sweepModeBox_);
            continue;
        }
        auto* line = new QLineEdit(text, this);
        line->setObjectName(QStringLiteral("sweep.") + key);
        line->setToolTip(tr(tips[i++]));
        connect(line, &QLineEdit::textChanged, this, &NewRunDialog::revalidate);
        form->addRow(QStringLiteral("sweep %1").arg(key), line);
        sweepEdits_[QString::fromLatin1(key)] = line;
    }
    sweepError_ = new QLabel(this);
    sweepError_->setStyleSheet(QStringLiteral("color: #c62828;"));
    sweepError_->setWordWrap(true);
    sweepError_->hide();
    form->addRow(sweepError_);
    auto* config = new QLabel(tr("<b>Run config</b> swept (epochs and schedule do not matter "
                                 "here; they go to a run started from the sweep)"),
                              this);
    config->setWordWrap(true);
    form->addRow(config);
}

std::optional<sweep::Options> NewRunDialog::parseSweep(QString* error) const {
    sweep::Options o;
    auto number = [&](const char* key, double& out) {
        bool ok = false;
        const QString text = sweepEdits_.at(QString::fromLatin1(key))->text().trimmed();
        out = text.toDouble(&ok);
        if (!ok && error != nullptr && error->isEmpty())
            *error = tr("sweep %1 must be a number, got '%2'").arg(key, text);
        return ok;
    };
    bool ok = number("start", o.start) & number("end", o.end) & number("beta", o.beta) &
              number("stop_factor", o.stopFactor);
    double steps = 0;
    ok &= number("steps", steps);
    o.steps = static_cast<int>(std::clamp(steps, -1.0, 1e6));
    if (ok && steps != std::floor(steps)) {
        if (error != nullptr) *error = tr("sweep steps must be an integer");
        return std::nullopt;
    }
    o.mode = sweep::kModeNames.parse(sweepModeBox_->currentText().toStdString())
                 .value_or(sweep::Mode::Exponential);
    if (!ok) return std::nullopt;
    if (const std::string problem = sweep::validate(o); !problem.empty()) {
        if (error != nullptr) *error = QString::fromStdString(problem);
        return std::nullopt;
    }
    return o;
}

sweep::Options NewRunDialog::sweepOptions() const {
    return parseSweep(nullptr).value_or(sweep::Options{});
}

void NewRunDialog::setSweepField(const QString& field, const QString& text) {
    if (field == QLatin1String("mode") && sweepModeBox_ != nullptr)
        sweepModeBox_->setCurrentText(text);
    else if (auto it = sweepEdits_.find(field); it != sweepEdits_.end())
        it->second->setText(text);
}

QStringList NewRunDialog::problems() const {
    QStringList out;
    if (sweepMode_) {
        QString error;
        if (!parseSweep(&error)) out << error;
    }
    for (const config::KeySpec& spec : config::schema()) {
        QString error;
        const auto v = valueOf(spec, &error);
        if (!v) {
            out << error;
            continue;
        }
        if (auto p = config::checkValue(spec, *v)) out << QString::fromStdString(*p);
    }
    return out;
}

void NewRunDialog::revalidate() {
    bool ok = true;
    if (sweepMode_) {
        QString error;
        ok = parseSweep(&error).has_value();
        sweepError_->setText(error);
        sweepError_->setVisible(!error.isEmpty());
    }
    for (const config::KeySpec& spec : config::schema()) {
        QString error;
        const auto v = valueOf(spec, &error);
        if (v) {
            if (auto p = config::checkValue(spec, *v)) error = QString::fromStdString(*p);
        }
        QLabel* label = errors_.at(spec.key);
        label->setText(error);
        label->setVisible(!error.isEmpty());
        ok &= error.isEmpty();
    }
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(ok);
    updateDataRows();
    if (scannedData_ && dataValues() != *scannedData_) scan_->markStale();
}

QStringList NewRunDialog::dataValues() const {
    QStringList out;
    for (const config::KeySpec& spec : config::schema())
        if (isDataSectionKey(spec.key)) {
            const auto v = valueOf(spec, nullptr);
            out << (v ? QString::fromStdString(config::formatValue(*v)) : QStringLiteral("?"));
        }
    return out;
}

config::Config NewRunDialog::config() const {
    config::Config c = config::Config::defaults();
    for (const config::KeySpec& spec : config::schema()) {
        QString error;
        const auto v = valueOf(spec, &error);
        if (!v) throw config::ConfigError(error.toStdString());
        c.set(spec.key, *v);
    }
    c.makePathsAbsolute();
    return c;
}

QString NewRunDialog::runName() const {
    return name_->text().trimmed();
}
void NewRunDialog::setRunName(const QString& name) {
    name_->setText(name);
}

QWidget* NewRunDialog::editor(const QString& key) const {
    auto it = editors_.find(key.toStdString());
    return it == editors_.end() ? nullptr : it->second;
}

void NewRunDialog::setField(const QString& key, const QString& text) {
    QWidget* w = editor(key);
    if (auto* box = qobject_cast<QComboBox*>(w)) {
        box->setCurrentText(text);
    } else if (auto* box = qobject_cast<QCheckBox*>(w)) {
        box->setChecked(text == QLatin1String("true"));
    } else if (auto* box = qobject_cast<QSpinBox*>(w)) {
        box->setValue(text.toInt());
    } else if (auto* line = qobject_cast<QLineEdit*>(w)) {
        line->setText(text);
    }
}

}  // namespace runboard::widgets
