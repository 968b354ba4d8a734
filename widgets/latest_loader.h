#pragma once
// Loads off the GUI thread, one at a time. A request made while a load runs is remembered (only
// the newest matters) and served when that load ends, so a burst of requests costs at most two
// loads and results arrive in order. Views drop results for a state the user has already left by
// a generation number they carry in T.

#include <QFutureWatcher>
#include <QtConcurrent>
#include <functional>

namespace runboard::widgets {

template <typename T>
class LatestLoader {
public:
    // `start` runs on the GUI thread when a load begins: it captures the state to load and returns
    // the job to run on the thread pool (or an empty function: nothing to load). `apply` gets the
    // result on `context`'s thread. `again` serves a remembered request (default: request()).
    LatestLoader(QObject* context, std::function<std::function<T()>()> start,
                 std::function<void(T)> apply, std::function<void()> again = {})
        : start_(std::move(start)), apply_(std::move(apply)), again_(std::move(again)) {
        QObject::connect(&watcher_, &QFutureWatcher<T>::finished, context, [this] {
            loading_ = false;
            apply_(watcher_.result());
            if (!pending_) return;
            pending_ = false;
            if (again_)
                again_();
            else
                request();
        });
    }
    ~LatestLoader() { watcher_.waitForFinished(); }
    LatestLoader(const LatestLoader&) = delete;
    LatestLoader& operator=(const LatestLoader&) = delete;

    void request() {
        if (loading_) {
            pending_ = true;
            return;
        }
        std::function<T()> job = start_();
        if (!job) return;
        loading_ = true;
        watcher_.setFuture(QtConcurrent::run(std::move(job)));
    }
    bool loading() const { return loading_; }

private:
    std::function<std::function<T()>()> start_;
    std::function<void(T)> apply_;
    std::function<void()> again_;
    QFutureWatcher<T> watcher_;
    bool loading_ = false, pending_ = false;
};

}  // namespace runboard::widgets
