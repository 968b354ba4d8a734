#pragma once
// The status bar's view of the training queue: the running run's epoch, step, loss and ETA with a
// progress bar and Stop, an LR sweep's live points (also drawn in the LR finder as they come),
// and how the last job ended.

#include <QObject>

class QLabel;
class QProgressBar;
class QPushButton;
class QStatusBar;

namespace runboard::widgets {
class LrFinderView;
}

namespace runboard::app {

class TrainingController;

class TrainingStatus : public QObject {
    Q_OBJECT
public:
    TrainingStatus(TrainingController* training, widgets::LrFinderView* lrFinder, QStatusBar* bar);

    QLabel* label() const { return label_; }

private:
    void connectRuns();
    void connectSweeps();

    TrainingController* training_;
    widgets::LrFinderView* lrFinder_;
    QProgressBar* progress_ = nullptr;
    QLabel* label_ = nullptr;
    QPushButton* stop_ = nullptr;
};

}  // namespace runboard::app
