#include "app/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <string>

namespace runboard::app {
namespace {

std::string duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const auto s = static_cast<long>(seconds + 0.5);
    return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60)
                     : fmt::format("{}m{:02}s", s / 60, s % 60);
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::FILE* out) : out_(out), tty_(isatty(fileno(out)) == 1) {}

void ProgressPrinter::onStart(const engine::RunInfo& info) {
    info_ = info;
    start_ = lastDraw_ = std::chrono::steady_clock::now();
    if (info.resumedAtStep > 0)
        std::fprintf(out_, "resuming after step %lld of %lld (epoch %d/%d)\n",
                     static_cast<long long>(info.resumedAtStep),
                     static_cast<long long>(info.totalSteps), info.resumedAtEpoch + 1, info.epochs);
}

void ProgressPrinter::onStep(const engine::StepEvent& e) {
    smoothedRate_ =
        smoothedRate_ == 0 ? e.samplesPerSecond : 0.95 * smoothedRate_ + 0.05 * e.samplesPerSecond;
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - lastDraw_ < std::chrono::milliseconds(200) && e.step != info_.totalSteps) return;
    lastDraw_ = now;
    draw(e);
}

void ProgressPrinter::draw(const engine::StepEvent& e) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // Steps of this process: a resumed run's earlier steps took none of `elapsed`.
    const double eta = elapsed / static_cast<double>(e.step - info_.resumedAtStep) *
                       static_cast<double>(info_.totalSteps - e.step);
    std::fprintf(out_, "\repoch %d/%d  step %lld/%lld  loss %.4f  %.0f samples/s  ETA %s\033[K",
                 e.epoch, info_.epochs, static_cast<long long>(e.step),
                 static_cast<long long>(info_.totalSteps), e.loss, smoothedRate_,
                 duration(eta).c_str());
    std::fflush(out_);
}

void ProgressPrinter::onEpoch(const engine::EpochEvent& e) {
    const double eta = e.seconds / e.epoch * (info_.epochs - e.epoch);
    std::fprintf(
        out_,
        "%sepoch %d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.0f samples/s  ETA %s\n",
        tty_ ? "\r\033[K" : "", e.epoch, info_.epochs, e.trainLoss, e.trainAccuracy, e.valLoss,
        e.valAccuracy, smoothedRate_, duration(eta).c_str());
    std::fflush(out_);
}

void ProgressPrinter::onFinish(const engine::RunResult& r) {
    if (tty_) std::fprintf(out_, "\r\033[K");
    if (r.outcome == engine::Outcome::Finished && hideTest_)
        std::fprintf(out_,
                     "finished in %s; test metrics on the public part only "
                     "(competition mode): runboard show\n",
                     duration(r.seconds).c_str());
    else if (r.outcome == engine::Outcome::Finished)
        std::fprintf(out_, "test loss %.4f  test accuracy %.4f  in %s\n", r.testLoss,
                     r.testAccuracy, duration(r.seconds).c_str());
    std::fflush(out_);
}

}  // namespace runboard::app
