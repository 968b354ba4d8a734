#pragma once
// First start with an empty database: one button that trains the default recipe, and where the
// database lives.

#include <QWidget>

class QLabel;

namespace runboard::widgets {

class WelcomePanel : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePanel(QWidget* parent = nullptr);
    void setDatabasePath(const QString& path);

signals:
    void trainDefaultRequested();

private:
    QLabel* where_;
};

}  // namespace runboard::widgets
