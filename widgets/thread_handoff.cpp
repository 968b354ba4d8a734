#include "widgets/thread_handoff.h"

#include <spdlog/spdlog.h>

#include <QCoreApplication>
#include <QEvent>
#include <QRunnable>
#include <QThreadPool>
#include <exception>

namespace runboard::widgets {

namespace {
class PoolTask : public QRunnable {
public:
    explicit PoolTask(std::function<void()> fn) : fn_(std::move(fn)) {}
    void run() override {
        received(this);
        try {
            fn_();
        } catch (const std::exception& e) {
            spdlog::error("a background task failed: {}", e.what());
        } catch (...) {
            spdlog::error("a background task failed with an unknown error");
        }
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
        wake = queue_.empty();  // else a wake-up is already on its way
        queue_.push_back(std::move(fn));
    }
    if (wake) QCoreApplication::postEvent(this, new QEvent(QEvent::User));
}

void ThreadMailbox::customEvent(QEvent*) {
    // The event is not read: it was allocated on the posting thread, outside what TSan sees.
    std::deque<std::function<void()>> ready;
    {
        const std::lock_guard lock(mutex_);
        ready.swap(queue_);
    }
    for (auto& fn : ready)
        fn();
}

}  // namespace runboard::widgets
