#include "app/training_status.h"

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>
#include <climits>

#include "app/training_worker.h"
#include "widgets/lr_finder_view.h"

namespace runboard::app {
namespace {

QString formatEta(double seconds) {
    const auto s = static_cast<qint64>(seconds + 0.5);
    return s >= 3600 ? QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60)
                     : QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

TrainingStatus::TrainingStatus(TrainingController* training, widgets::LrFinderView* lrFinder,
                               QStatusBar* bar)
    : QObject(bar), training_(training), lrFinder_(lrFinder) {
    progress_ = new QProgressBar(bar);
    progress_->setMaximumWidth(220);
    progress_->hide();
    label_ = new QLabel(bar);
    stop_ = new QPushButton(tr("Stop"), bar);
    stop_->setEnabled(false);
    connect(stop_, &QPushButton::clicked, training_, &TrainingController::stopCurrent);
    bar->addWidget(label_, 1);
    bar->addPermanentWidget(progress_);
    bar->addPermanentWidget(stop_);
    connectRuns();
    connectSweeps();
}

void TrainingStatus::connectRuns() {
    connect(training_, &TrainingController::progress, this, [this](const RunProgress& p) {
        progress_->setMaximum(static_cast<int>(std::min<qint64>(p.totalSteps, INT_MAX)));
        progress_->setValue(static_cast<int>(p.step));
        label_->setText(tr("run %1: epoch %2/%3, step %4/%5, loss %6, ETA %7")
                            .arg(p.id)
                            .arg(p.epoch)
                            .arg(p.epochs)
                            .arg(p.step)
                            .arg(p.totalSteps)
                            .arg(p.loss, 0, 'f', 4)
                            .arg(formatEta(p.etaSeconds)));
        progress_->show();
        stop_->setEnabled(true);
    });
    connect(training_, &TrainingController::ended, this, [this](const RunEnded& e) {
        progress_->hide();
        stop_->setEnabled(training_->busy());
        label_->setText(tr("run %1 %2%3")
                            .arg(e.id)
                            .arg(QString::fromUtf8(storage::toString(e.status).data()))
                            .arg(e.message.isEmpty() ? QString() : ": " + e.message));
    });
}

void TrainingStatus::connectSweeps() {
    connect(lrFinder_, &widgets::LrFinderView::stopRequested, training_,
            &TrainingController::stopCurrent);
    connect(training_, &TrainingController::sweepStarted, this, [this](const QString& name) {
        lrFinder_->beginLive(name.isEmpty() ? tr("sweep") : name);
        lrFinder_->setBusy(true);
        label_->setText(tr("LR sweep running"));
        stop_->setEnabled(true);
    });
    connect(training_, &TrainingController::sweepPoint, this, [this](const sweep::Point& p) {
        lrFinder_->addLivePoint(p);
        label_->setText(tr("LR sweep: step %1, lr %2, loss %3")
                            .arg(p.step + 1)
                            .arg(p.lr, 0, 'g', 3)
                            .arg(p.loss, 0, 'f', 4));
    });
    connect(training_, &TrainingController::sweepEnded, this, [this](const SweepEnded& e) {
        lrFinder_->endLive();
        lrFinder_->setBusy(false);
        stop_->setEnabled(training_->busy());
        if (e.id == 0) {
            label_->setText(tr("LR sweep failed: %1").arg(e.message));
            return;
        }
        label_->setText(tr("LR sweep %1 %2").arg(e.id).arg(e.reason));
        lrFinder_->selectSweeps({e.id});
    });
}

}  // namespace runboard::app
