#pragma once
// The headless command line: `runboard train|runs|show ...`. stdout carries only the result;
// logs and progress go to stderr.

#include <QStringList>
#include <string>

namespace runboard::app {

// Runs a subcommand; `args` as QCoreApplication::arguments(). Returns the exit code.
int runCli(const QStringList& args);

// True when args name a subcommand (or --help/--version) rather than the GUI.
bool isCliInvocation(const QStringList& args);

// The default database: runboard.db in the user data directory.
std::string defaultDatabasePath();

// Subcommands (cli_*.cpp).
int trainCommand(const QStringList& args);
int resumeCommand(const QStringList& args);
int runsCommand(const QStringList& args);
int lrFindCommand(const QStringList& args);
int leaderboardCommand(const QStringList& args);
int showCommand(const QStringList& args);
int compareCommand(const QStringList& args);
int checkCommand(const QStringList& args);
int profileCommand(const QStringList& args);

}  // namespace runboard::app
