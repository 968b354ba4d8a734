#pragma once
// Shown instead of the runs when no database could be opened (locked by another process for
// longer than SQLite waits, not a database, unreadable, a directory): what is wrong and where, and
// the ways on: Retry, Open another database, New database. Before it, a failed open at start-up
// left the window saying "No runs yet", and its Train button queued a run into no database.

#include <QWidget>

class QLabel;
class QPushButton;

namespace runboard::widgets {

class DatabaseErrorPanel : public QWidget {
    Q_OBJECT
public:
    explicit DatabaseErrorPanel(QWidget* parent = nullptr);
    void setError(const QString& path, const QString& message);
    // While a retry is under way: the button is disabled and says so.
    void setRetrying(bool retrying);

    QString path() const { return path_; }
    QString text() const;
    QPushButton* retryButton() const { return retry_; }

signals:
    void retryRequested();
    void openAnotherRequested();
    void newDatabaseRequested();

private:
    QString path_;
    QLabel* message_ = nullptr;
    QPushButton* retry_ = nullptr;
};

}  // namespace runboard::widgets
