#pragma once
// Helpers shared by the subcommands.

#include <QCommandLineParser>
#include <QStringList>
#include <atomic>
#include <optional>
#include <string>

#include "engine/config/config.h"
#include "storage/run_store.h"

namespace runboard::app {

inline const QCommandLineOption kDbOption{
    "db", "The database (default: runboard.db in the user data directory).", "PATH"};
inline const QCommandLineOption kJsonOption{"json", "Print the result as JSON."};
inline const QCommandLineOption kConfigOption{
    "config", "A JSON config file (nested objects or dotted keys).", "FILE"};
inline const QCommandLineOption kSetOption{
    "set", "Set a config key, e.g. --set lr=0.05 (repeatable; applied after --config).",
    "KEY=VALUE"};

// The config from defaults, then --config, then each --set, validated (throws ConfigError).
config::Config configFromOptions(const QCommandLineParser& parser);
// The config keys for --help: KEY TYPE DEFAULT MEANING, a line each.
std::string configKeyList();

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

// Ctrl-C and SIGTERM set flag() while the guard lives (a second Ctrl-C kills at once; outside
// a guard they kill as usual); the engine checks the flag every step. One guard at a time.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
    static const std::atomic<bool>& flag();
};

}  // namespace runboard::app
