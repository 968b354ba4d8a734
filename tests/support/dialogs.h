#pragma once
// Answering modal dialogs from GUI tests: the real QInputDialog/QMessageBox/QDialog is shown by
// the code under test, and a timer answers it once it is the active modal widget.

#include <QAction>
#include <QApplication>
#include <QTimer>
#include <QWidget>
#include <functional>

namespace runboard::test {

// Answers the next modal dialog, once it is shown, with `answer`; the dialog's exec() returns.
inline void answerNextDialog(std::function<void(QWidget*)> answer) {
    auto* poll = new QTimer();
    QObject::connect(poll, &QTimer::timeout, [poll, answer = std::move(answer)] {
        QWidget* dialog = QApplication::activeModalWidget();
        if (dialog == nullptr) return;
        poll->stop();
        poll->deleteLater();
        answer(dialog);
    });
    poll->start(10);
}

inline QAction* actionNamed(QWidget& window, const QString& text) {
    for (QAction* a : window.findChildren<QAction*>())
        if (a->text() == text) return a;
    return nullptr;
}

}  // namespace runboard::test
