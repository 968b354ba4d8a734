#include "widgets/thread_handoff.h"

#include <spdlog/spdlog.h>

#include <QCoreApplication>
#include <QEvent>
#include <QRunnable>
#include <QThreadPool>
#include <exception>
#include <utility>

namespace runboard::widgets {

namespace {
// Runs fn; nothing escapes (into the pool or Qt's event loop, which would end the program).
void runLogged(const std::function<void()>& fn, const char* what) {
    try {
        fn();
    } catch (const std::exception& e) {
        spdlog::error("{} failed: {}", what, e.what());
    } catch (...) {
        spdlog::error("{} failed with an unknown error", what);
    }
}

class PoolTask : public QRunnable {
public:
    explicit PoolTask(std::function<void()> fn) : fn_(std::move(fn)) {}
    void run() override {
        received(this);
        runLogged(fn_, "a background task");
    }

private:
    std::function<void()> fn_;
};
}  // namespace

void startOnPool(std::function<void()> fn) {
    auto* task = new PoolTask(std::move(fn));  // the pool deletes it after run()
    handOff(task);
    QThreadPool::globalInstance()->start(task);
}

void ThreadMailbox::post(std::function<void()> fn) {
    bool wake = false;
    {
        const std::lock_guard lock(mutex_);
        queue_.push_back(std::move(fn));
        wake = !std::exchange(wakePending_, true);  // else one is on its way
    }
    if (wake) QCoreApplication::postEvent(this, new QEvent(QEvent::User));
}

void ThreadMailbox::customEvent(QEvent*) {
    // The event is not read: it was allocated on the posting thread, outside what TSan sees.
    {
        const std::lock_guard lock(mutex_);
        wakePending_ = false;
    }
    // Everything queued, in order. Before a call runs, a wake-up is posted if more wait behind
    // it: a call that opens a dialog (a nested event loop) does not hold the others back.
    for (;;) {
        std::function<void()> fn;
        bool wake = false;
        {
            const std::lock_guard lock(mutex_);
            if (queue_.empty()) return;
            fn = std::move(queue_.front());
            queue_.pop_front();
            if (!queue_.empty()) wake = !std::exchange(wakePending_, true);
        }
        if (wake) QCoreApplication::postEvent(this, new QEvent(QEvent::User));
        runLogged(fn, "a queued call");
    }
}

void ThreadMailbox::drainNow() {
    for (;;) {
        std::function<void()> fn;
        {
            const std::lock_guard lock(mutex_);
            if (queue_.empty()) return;
            fn = std::move(queue_.front());
            queue_.pop_front();
        }
        runLogged(fn, "a queued call");
    }
}

}  // namespace runboard::widgets
