#include "app/cli.h"

#include <fmt/format.h>

#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "app/cli_common.h"
#include "app/exit_codes.h"
#include "app/logging.h"
#include "engine/config/config.h"
#include "engine/errors.h"

namespace runboard::app {
namespace {

std::atomic<bool> gInterrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void onInterrupt(int sig) {
    gInterrupted.store(true);
    std::signal(sig, SIG_DFL);  // a second Ctrl-C kills at once
}

constexpr const char* kUsage = R"(Usage: runboard [COMMAND] [OPTIONS]

Runboard: a desktop experiment dashboard for deep learning.
Without a command it opens the main window (runboard [--db PATH]).

Commands:
  train   Train a model and log every metric and prediction to the database.
  resume  Continue a stopped, interrupted or failed run from its last checkpoint, bit for bit.
  runs    List the runs in a database.
  show    Print one run: config, status, latest metrics, checkpoints.
  lr-find Sweep the learning rate geometrically until the loss explodes; store the sweep and
          print each rule's suggestion.
  leaderboard
          Print a competition's public and private leaderboard; `leaderboard import` reads
          Kaggle's leaderboard CSVs.
  check   Run the pre-flight checklist on a config without training (exit 6 on a failure).
  compare Compare two runs: the config keys that differ, the metrics, and whether the
          difference is above noise.
  profile Print where a run's time went: step phases, GFLOP/s against this machine's peak,
          the layer table and the op profiler's window (train with --set profile.steps=20).

Run 'runboard COMMAND --help' for a command's options.

Exit codes:
  0    success
  1    unexpected failure (see the log)
  2    bad usage or config, or an unknown run id; a run that cannot be resumed
  3    input data missing or corrupt (the dataset, or a file to import)
  4    database unusable (missing for a read command, not SQLite, damaged, newer or older
       schema for a read command, not writable, disk full or I/O error)
  5    run diverged (NaN or Inf loss)
  6    a sanity check failed
  7    database busy: another process held its write lock longer than Runboard waited
  130  interrupted by Ctrl-C (run marked stopped, everything flushed)
)";

}  // namespace

bool isCliInvocation(const QStringList& args) {
    if (args.size() < 2) return false;
    const QString& a = args.at(1);
    return a == "--help" || a == "-h" || a == "--version" || !a.startsWith("-");
}

std::string defaultDatabasePath() {
    // ~/.local/share/runboard, whatever the organization name (AppDataLocation would nest it).
    const QString dir =
        QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/runboard";
    QDir().mkpath(dir);
    return QDir(dir).filePath("runboard.db").toStdString();
}

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "runboard: %s\n", message.c_str());
    return code;
}

int failStorage(const storage::Error& error) {
    const bool usage = error.kind == storage::ErrorKind::NotFound ||
                       error.kind == storage::ErrorKind::InvalidArgument;
    return fail(storage::isDatabaseUnusable(error.kind)  ? kExitDatabase
                : error.kind == storage::ErrorKind::Busy ? kExitBusy
                : usage                                  ? kExitUsage
                                                         : kExitFailure,
                error.message);
}

std::optional<int> parseSubcommand(QCommandLineParser& parser, const QStringList& args,
                                   const QString& usage, const QString& description) {
    parser.setApplicationDescription(description);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({"h", "help"}, "Show this help.");
    parser.addOption(help);
    // parse(), not process(): process() exits with 1 on an unknown option.
    QStringList rest = args;
    rest.removeAt(1);  // the command name
    if (!parser.parse(rest))
        return fail(kExitUsage, parser.errorText().toStdString() + "\n" + usage.toStdString());
    if (parser.isSet(help)) {
        QString text = parser.helpText();
        text = "Usage: " + usage + text.mid(text.indexOf('\n'));
        std::fputs(text.toUtf8().constData(), stdout);
        return kExitOk;
    }
    return std::nullopt;
}

std::string databasePath(const QCommandLineParser& parser) {
    return parser.isSet(kDbOption) ? parser.value(kDbOption).toStdString() : defaultDatabasePath();
}

storage::Result<storage::RunStore> openStore(const std::string& path, Access access) {
    if (access == Access::Write) return storage::RunStore::open(path, {.create = true});
    auto store = storage::RunStore::open(path, {.create = false, .migrate = false});
    if (!store && store.error().kind == storage::ErrorKind::ReadOnly)
        return storage::RunStore::open(path, {.create = false, .readOnly = true});
    return store;
}

std::optional<storage::RunId> parseRunId(const QString& text) {
    bool ok = false;
    const qlonglong id = text.toLongLong(&ok);
    if (!ok || id <= 0) return std::nullopt;
    return id;
}

std::optional<storage::RunId> oneRunId(const QCommandLineParser& parser,
                                       const std::string& command) {
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        fail(kExitUsage, command + " expects one run id (see runboard " + command + " --help)");
        return std::nullopt;
    }
    const auto id = parseRunId(pos.front());
    if (!id)
        fail(kExitUsage,
             "run id must be a positive integer, got '" + pos.front().toStdString() + "'");
    return id;
}

config::Config configFromOptions(const QCommandLineParser& parser) {
    config::Config cfg = config::Config::defaults();
    if (parser.isSet(kConfigOption))
        cfg = config::loadConfigFile(parser.value(kConfigOption).toStdString());
    for (const QString& s : parser.values(kSetOption))
        cfg.applyOverride(s.toStdString());
    cfg.validate();
    cfg.makePathsAbsolute();
    return cfg;
}

std::string configKeyList() {
    std::string s;
    for (const auto& k : config::schema()) {
        std::string what = k.help;
        if (!k.choices.empty()) {
            what += " (";
            for (std::size_t i = 0; i < k.choices.size(); ++i)
                what += (i ? "|" : "") + k.choices[i];
            what += ")";
        }
        s += fmt::format("  {:<26} {:<6} {:<8} {}\n", k.key, config::typeName(k.type),
                         config::formatValue(k.defaultValue), what);
    }
    return s;
}

InterruptGuard::InterruptGuard() {
    gInterrupted = false;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
}

InterruptGuard::~InterruptGuard() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

const std::atomic<bool>& InterruptGuard::flag() {
    return gInterrupted;
}

namespace {

int dispatch(const QStringList& args) {
    const QString command = args.size() > 1 ? args.at(1) : QString();
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(kUsage, stdout);
        return kExitOk;
    }
    if (command == "--version") {
        std::printf("runboard %s\n", QCoreApplication::applicationVersion().toUtf8().constData());
        return kExitOk;
    }
    if (command == "train") return trainCommand(args);
    if (command == "resume") return resumeCommand(args);
    if (command == "runs") return runsCommand(args);
    if (command == "show") return showCommand(args);
    if (command == "lr-find") return lrFindCommand(args);
    if (command == "leaderboard") return leaderboardCommand(args);
    if (command == "compare") return compareCommand(args);
    if (command == "check") return checkCommand(args);
    if (command == "profile") return profileCommand(args);
    std::fputs(kUsage, stderr);
    return fail(kExitUsage, "unknown command '" + command.toStdString() + "'");
}

}  // namespace

int runCli(const QStringList& args) {
    // Logs go to stderr from the start (train adds the database's log file): stdout carries only
    // the result, so `check --json` stays one JSON document whatever the engine logs.
    setupLogging({});
    // The last boundary: each command catches what it expects where it can still clean up, and
    // an exception that gets this far still ends with its message and the documented exit code,
    // never std::terminate.
    try {
        return dispatch(args);
    } catch (const config::ConfigError& e) {
        return fail(kExitUsage, e.what());
    } catch (const engine::DataError& e) {
        return fail(kExitData, e.what());
    } catch (const std::exception& e) {
        return fail(kExitFailure, std::string("unexpected error: ") + e.what());
    } catch (...) {
        return fail(kExitFailure, "unexpected error of an unknown kind");
    }
}

}  // namespace runboard::app
