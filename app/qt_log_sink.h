#pragma once
// An spdlog sink that forwards each line to the log dock on the GUI thread (through a mailbox:
// a queued call that ThreadSanitizer sees), so the engine and writer threads can log freely.

#include <spdlog/sinks/base_sink.h>

#include <QString>
#include <mutex>

#include "widgets/log_view.h"
#include "widgets/thread_handoff.h"

namespace runboard::app {

class QtLogSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    // `view` must outlive the sink's registration (MainWindow removes it before the view dies).
    explicit QtLogSink(widgets::LogView* view)
        : view_(view), toGui_(new widgets::ThreadMailbox(view)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        QString line = QString::fromUtf8(buf.data(), static_cast<qsizetype>(buf.size())).trimmed();
        const int level = static_cast<int>(msg.level);
        toGui_->post([view = view_, level, line] { view->append(level, line); });
    }
    void flush_() override {}

private:
    widgets::LogView* view_;
    widgets::ThreadMailbox* toGui_;  // the view's child, on the GUI thread
};

}  // namespace runboard::app
