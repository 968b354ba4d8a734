#pragma once
// The terminal progress line on stderr: epoch, step, loss, samples/s and ETA. Redrawn in place
// (at most 5 times a second) on a terminal, one line per epoch otherwise.

#include <chrono>
#include <cstdio>

#include "engine/observer.h"

namespace runboard::app {

class ProgressPrinter : public engine::Observer {
public:
    explicit ProgressPrinter(std::FILE* out);
    void onStart(const engine::RunInfo& info) override;
    void onStep(const engine::StepEvent& e) override;
    void onEpoch(const engine::EpochEvent& e) override;
    void onFinish(const engine::RunResult& r) override;
    // Competition mode: the whole test set's metrics include its private part; do not print them.
    void setHideTest(bool hide) { hideTest_ = hide; }

private:
    void draw(const engine::StepEvent& e);
    std::FILE* out_;
    bool tty_;
    engine::RunInfo info_;
    std::chrono::steady_clock::time_point start_, lastDraw_;
    double smoothedRate_ = 0;
    bool hideTest_ = false;
};

}  // namespace runboard::app
