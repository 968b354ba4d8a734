#pragma once
// Helpers shared by the subcommands.

#include <QCommandLineParser>
#include <QStringList>
#include <optional>
#include <string>

#include "storage/run_store.h"

namespace runboard::app {

inline const QCommandLineOption kDbOption{
    "db", "The database (default: runboard.db in the user data directory).", "PATH"};
inline const QCommandLineOption kJsonOption{"json", "Print the result as JSON."};

// Parses a subcommand's arguments; prints help (exit 0) or the problem (exit 2) itself and
// returns the exit code, or nullopt when parsing succeeded.
std::optional<int> parseSubcommand(QCommandLineParser& parser, const QStringList& args,
                                   const QString& usage, const QString& description);

// Prints "runboard: <message>" to stderr and returns code.
int fail(int code, const std::string& message);
int failStorage(const storage::Error& error);

std::string databasePath(const QCommandLineParser& parser);
// Opens for the query commands: writable when possible (migrations, interrupted runs).
storage::Result<storage::RunStore> openStore(const std::string& path, bool mustExist);
std::optional<storage::RunId> parseRunId(const QString& text);

}  // namespace runboard::app
