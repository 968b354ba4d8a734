#pragma once
// Happens-before edges that ThreadSanitizer cannot see. Debian's Qt is not built with TSan: the
// locks inside QThreadPool and the posted-event queue are futexes and atomics in a library TSan
// does not instrument, so whatever crosses threads through them looks unsynchronised (1,356 of
// the GUI suite's 1,367 reports, Dec 2, were a loader's job and result). Code that hands data
// over through Qt says so: handOff() on the sending thread after its last write, received() on
// the other before its first read, with the same address. Both are empty unless the build uses
// -fsanitize=thread.
//
// startOnPool() and runInBackground() hand work to the global thread pool the same way: the
// task is built, then handed off, then started, and the result comes back through shared state
// the work hands off before Qt is told that it ended.
//
// ThreadMailbox is a queued call whose hand-off TSan sees: what QMetaObject::invokeMethod(
// object, fn, Qt::QueuedConnection) does, with fn waiting in a queue under a std::mutex and a
// posted event that carries nothing of ours. (Any data of ours in the posted event or a slot
// object is written after the last point where it could be annotated.)

#if defined(__SANITIZE_THREAD__)
#define RUNBOARD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RUNBOARD_TSAN 1
#endif
#endif

#ifdef RUNBOARD_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

#include <QFutureInterface>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace runboard::widgets {

inline void handOff([[maybe_unused]] const void* what) {
#ifdef RUNBOARD_TSAN
    __tsan_release(const_cast<void*>(what));
#endif
}

inline void received([[maybe_unused]] const void* what) {
#ifdef RUNBOARD_TSAN
    __tsan_acquire(const_cast<void*>(what));
#endif
}

// Runs `fn` on the global thread pool. Nothing escapes it: a throw is logged and dropped.
void startOnPool(std::function<void()> fn);

// Runs `work` on the global thread pool, then, on `context`'s thread, `done` with its result or
// `failed` with what it threw; neither when `context` is destroyed first (the work still ends,
// on its own copies).
template <class R>
void runInBackground(QObject* context, std::function<R()> work, std::function<void(R)> done,
                     std::function<void(const QString&)> failed) {
    struct State {
        std::function<R()> work;
        std::optional<R> result;
        QString error;
    };
    auto state = std::make_shared<State>(State{std::move(work), std::nullopt, {}});
    QFutureInterface<void> ended;
    ended.reportStarted();
    auto* watcher = new QFutureWatcher<void>(context);
    QObject::connect(watcher, &QFutureWatcher<void>::finished, context,
                     [watcher, state, done = std::move(done), failed = std::move(failed)] {
                         watcher->deleteLater();
                         received(state.get());
                         if (state->result)
                             done(std::move(*state->result));
                         else
                             failed(state->error);
                     });
    watcher->setFuture(ended.future());
    startOnPool([state, ended]() mutable {
        try {
            state->result.emplace(state->work());
        } catch (const std::exception& e) {
            state->error = QString::fromUtf8(e.what());
        } catch (...) {
            state->error = QStringLiteral("unknown error");
        }
        handOff(state.get());
        ended.reportFinished();
    });
}

// Runs functions posted from any thread on the thread it lives in, in order. Functions still
// queued when it is destroyed are dropped unrun; posting to a destroyed mailbox is the poster's
// bug (owners keep it until the posting threads are done).
class ThreadMailbox : public QObject {
public:
    explicit ThreadMailbox(QObject* parent = nullptr) : QObject(parent) {}
    // Takes the lock once: what the posting and draining threads did before is ordered before
    // the queue is freed (for ThreadSanitizer; the owner stops those threads first anyway).
    ~ThreadMailbox() override { const std::lock_guard lock(mutex_); }
    void post(std::function<void()> fn);
    // Runs what is queued now, on the calling thread (the mailbox's own; its posters done).
    void drainNow();

protected:
    void customEvent(QEvent* event) override;

private:
    std::mutex mutex_;
    std::deque<std::function<void()>> queue_;
    bool wakePending_ = false;  // a wake-up event is posted and not yet begun
};

}  // namespace runboard::widgets
