#include <QCoreApplication>
#include <cstdio>

#include "app/cli.h"
#include "app/exit_codes.h"

int main(int argc, char** argv) {
    QCoreApplication::setApplicationName("runboard");
    QCoreApplication::setApplicationVersion(RUNBOARD_VERSION);
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (runboard::app::isCliInvocation(args)) return runboard::app::runCli(args);
    // The main window arrives with the GUI issue; until then say so instead of doing nothing.
    std::fputs("runboard: the GUI is not built yet; use a command (runboard --help)\n", stderr);
    return runboard::app::kExitUsage;
}
