#pragma once
// Helpers shared by the subcommands.

#include <QCommandLineParser>
#include <QStringList>
#include <atomic>
#include <nlohmann/json.hpp>
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

// JSON for stdout: stored text is anyone's bytes, and nlohmann's dump() throws on invalid
// UTF-8 (it is replaced by U+FFFD here). ASCII only: every non-ASCII character is a \uXXXX
// escape, so C1 controls and bidi or invisible characters in a run name reach a terminal that
// shows the JSON as text, not as themselves (JSON itself escapes only U+0000-U+001F).
inline std::string jsonText(const nlohmann::json& j) {
    return j.dump(2, ' ', true, nlohmann::json::error_handler_t::replace);
}

// Prints "runboard: <message>" to stderr and returns code.
int fail(int code, const std::string& message);
int failStorage(const storage::Error& error);

std::string databasePath(const QCommandLineParser& parser);

// Read: the database must exist and have this build's schema; nothing is created or migrated
// (a zero-byte file stays one). Writable when the file is, so dead runs are marked interrupted
// and settings can be stored; read-only otherwise. Write: created and migrated as needed, and
// refused (exit 4) unless writable, before any work is spent on it.
enum class Access { Read, Write };
storage::Result<storage::RunStore> openStore(const std::string& path, Access access);
std::optional<storage::RunId> parseRunId(const QString& text);
// The one positional run id of `command` ("show"); nullopt once it has said what is wrong (the
// caller exits with kExitUsage).
std::optional<storage::RunId> oneRunId(const QCommandLineParser& parser,
                                       const std::string& command);

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
