// The GUI tests' main: a QApplication (offscreen unless the environment says otherwise) and
// settings in Qt's test location.

#include <gtest/gtest.h>

#include <QApplication>
#include <QStandardPaths>

int main(int argc, char** argv) {
    // Also when CTest lists the tests at build time, without the suite's environment.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);  // QSettings of the tests go to a test location
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
