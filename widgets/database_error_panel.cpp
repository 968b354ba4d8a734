#include "widgets/database_error_panel.h"

#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace runboard::widgets {

DatabaseErrorPanel::DatabaseErrorPanel(QWidget* parent) : QWidget(parent) {
    auto* column = new QWidget(this);  // a fixed-width column, centred: wrapped text needs a width
    column->setFixedWidth(620);
    auto* cl = new QVBoxLayout(column);
    message_ = new QLabel(column);
    message_->setWordWrap(true);
    message_->setTextFormat(Qt::RichText);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    retry_ = new QPushButton(tr("Retry"), column);
    retry_->setDefault(true);
    auto* open = new QPushButton(tr("Open another database..."), column);
    auto* create = new QPushButton(tr("New database..."), column);
    auto* buttons = new QHBoxLayout();
    buttons->addStretch(1);
    buttons->addWidget(retry_);
    buttons->addWidget(open);
    buttons->addWidget(create);
    buttons->addStretch(1);
    cl->addWidget(message_);
    cl->addSpacing(8);
    cl->addLayout(buttons);
    auto* wl = new QVBoxLayout(this);
    wl->addStretch(1);
    wl->addWidget(column, 0, Qt::AlignHCenter);
    wl->addStretch(2);
    connect(retry_, &QPushButton::clicked, this, &DatabaseErrorPanel::retryRequested);
    connect(open, &QPushButton::clicked, this, &DatabaseErrorPanel::openAnotherRequested);
    connect(create, &QPushButton::clicked, this, &DatabaseErrorPanel::newDatabaseRequested);
}

void DatabaseErrorPanel::setError(const QString& path, const QString& message) {
    path_ = path;
    message_->setText(
        tr("<h2>The database cannot be opened</h2><p><b>%1</b></p><p>%2</p><p>Nothing can be "
           "shown or trained until a database is open. If another program holds it, Retry once "
           "it is done; or open or create another one.</p>")
            .arg(QDir::toNativeSeparators(path).toHtmlEscaped(), message.toHtmlEscaped()));
    setRetrying(false);
}

void DatabaseErrorPanel::setRetrying(bool retrying) {
    retry_->setEnabled(!retrying);
    retry_->setText(retrying ? tr("Retrying...") : tr("Retry"));
}

QString DatabaseErrorPanel::text() const {
    return message_->text();
}

}  // namespace runboard::widgets
