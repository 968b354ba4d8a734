#include "widgets/welcome_panel.h"

#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace runboard::widgets {

WelcomePanel::WelcomePanel(QWidget* parent) : QWidget(parent) {
    auto* column = new QWidget(this);  // a fixed-width column, centred: wrapped text needs a width
    column->setFixedWidth(560);
    auto* cl = new QVBoxLayout(column);
    // Explicit breaks: a word-wrapped QLabel gets no height-for-width in this layout.
    auto* title =
        new QLabel(tr("<h2>Welcome to Runboard</h2><p>No runs yet. Train the default recipe "
                      "(a small CNN, 93% on Fashion-MNIST<br>in about 9 minutes) and watch "
                      "its curves here.</p>"),
                   column);
    title->setAlignment(Qt::AlignHCenter);
    auto* trainDefault = new QPushButton(tr("Train the default recipe on Fashion-MNIST"), column);
    where_ = new QLabel(column);
    where_->setAlignment(Qt::AlignHCenter);
    where_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    cl->addWidget(title);
    cl->addWidget(trainDefault, 0, Qt::AlignHCenter);
    cl->addSpacing(8);
    cl->addWidget(where_);
    auto* wl = new QVBoxLayout(this);
    wl->addStretch(1);
    wl->addWidget(column, 0, Qt::AlignHCenter);
    wl->addStretch(2);
    connect(trainDefault, &QPushButton::clicked, this, &WelcomePanel::trainDefaultRequested);
}

void WelcomePanel::setDatabasePath(const QString& path) {
    where_->setText(tr("Database: %1").arg(QDir::toNativeSeparators(path)));
}

}  // namespace runboard::widgets
