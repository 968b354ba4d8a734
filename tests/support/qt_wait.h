#pragma once
// Spins the Qt event loop until `done` or the timeout; for GUI tests and benchmarks.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <functional>

namespace runboard::test {

inline bool waitFor(const std::function<bool()>& done, int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::msleep(1);  // no busy spin against the threads under test
    }
    return done();
}

}  // namespace runboard::test
