#pragma once
// Spins the Qt event loop until `done` or the timeout, polling every millisecond: for the GUI
// benchmarks, which time how long a view takes to show its data. The tests use QTest::qWaitFor,
// which sleeps 10 ms between polls and so would round each measured latency up by as much.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <functional>

namespace runboard::bench {

inline bool waitFor(const std::function<bool()>& done, int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::msleep(1);  // no busy spin against the threads under test
    }
    return done();
}

}  // namespace runboard::bench
