#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSettings>
#include <cstdio>
#include <memory>

#include "app/cli.h"
#include "app/exit_codes.h"
#include "app/logging.h"
#include "app/main_window.h"

namespace {

QStringList rawArguments(int argc, char** argv) {
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication::setOrganizationName(QStringLiteral("runboard"));
    QCoreApplication::setApplicationName(QStringLiteral("runboard"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RUNBOARD_VERSION));
    // Subcommands are headless: no display needed.
    if (runboard::app::isCliInvocation(rawArguments(argc, argv))) {
        QCoreApplication app(argc, argv);
        return runboard::app::runCli(QCoreApplication::arguments());
    }
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Runboard: a desktop experiment dashboard for deep learning."));
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("The database to open."),
                                QStringLiteral("PATH"));
    parser.addOption(db);
    parser.addHelpOption();
    if (!parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "runboard: %s\n", qPrintable(parser.errorText()));
        return runboard::app::kExitUsage;
    }
    const QString last = QSettings().value(QStringLiteral("lastDatabase")).toString();
    const QString path = parser.isSet(db) ? parser.value(db)
                         : !last.isEmpty()
                             ? last
                             : QString::fromStdString(runboard::app::defaultDatabasePath());
    runboard::app::setupLogging(path.toStdString());
    runboard::app::MainWindow window(path);
    window.resize(1280, 860);
    window.show();
    return QApplication::exec();
}
