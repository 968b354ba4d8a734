#include "storage/schema.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <string_view>

#include "storage/lineage.h"
#include "storage/migrations.h"
#include "storage/series_summary.h"

namespace runboard::storage {
namespace {

// 'RnBd': marks a file as a Runboard database (PRAGMA application_id).
constexpr std::int64_t kApplicationId = 0x526e4264;

// WAL is what lets the GUI and other readers read while a run writes. SQLite answers the mode it
// is in: a file system without shared memory (some network ones) or a lock held by a process
// that keeps the file in rollback mode leaves it unchanged, and nothing else says so.
Status configure(Connection& db, const std::string& path) {
    auto mode = db.prepare("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    auto row = mode->step();
    if (!row) return row.error();
    const std::string now = row.value() ? mode->columnText(0) : std::string();
    mode->reset();
    if (now != "wal")
        return Error{ErrorKind::CannotOpen,
                     "database '" + path + "' cannot use write-ahead logging (its journal mode " +
                         "stayed '" + now + "'), which Runboard needs so that runs can be read " +
                         "while one writes; keep the file on a local disk, not a network one"};
    return db.exec("PRAGMA synchronous=NORMAL");
}

}  // namespace

Result<std::string> databaseFile(const std::string& path, bool mustExist) {
    namespace fs = std::filesystem;
    if (path.empty())
        return Error{ErrorKind::InvalidArgument, "no database path given (an empty --db)"};
    if (path == ":memory:" || path.rfind("file:", 0) == 0)
        return Error{ErrorKind::InvalidArgument,
                     "'" + path +
                         "' is not a file path: Runboard keeps runs in a database file, e.g. "
                         "--db runs.db"};
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st))
        return Error{ErrorKind::CannotOpen, "'" + path +
                                                "' is a directory; give a database file, e.g. '" +
                                                (fs::path(path) / "runboard.db").string() + "'"};
    if (fs::exists(st) && !fs::is_regular_file(st))
        return Error{ErrorKind::CannotOpen,
                     "'" + path + "' is not a regular file, so it cannot hold a database"};
    if (!fs::exists(st)) {
        if (mustExist)
            return Error{ErrorKind::CannotOpen, "database '" + path + "' does not exist"};
        if (fs::is_symlink(fs::symlink_status(path, ec)))
            return Error{ErrorKind::CannotOpen,
                         "'" + path + "' is a symbolic link to a file that does not exist"};
        const fs::path parent = fs::absolute(path, ec).parent_path();
        if (!fs::is_directory(parent, ec))
            return Error{ErrorKind::CannotOpen, "cannot create database '" + path +
                                                    "': the folder '" + parent.string() +
                                                    "' does not exist"};
    }
    fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec) return Error{ErrorKind::CannotOpen, "cannot resolve '" + path + "': " + ec.message()};
    return canonical.string();
}

int latestSchemaVersion() {
    return static_cast<int>(migrations().size());
}

Result<Connection> openDatabase(const std::string& path, const OpenOptions& options) {
    const OpenMode mode = options.readOnly ? OpenMode::ReadOnly
                          : options.create ? OpenMode::ReadWriteCreate
                                           : OpenMode::ReadWrite;
    auto file = databaseFile(path, !options.create || options.readOnly);
    if (!file) return file.error();
    const std::filesystem::path dir = std::filesystem::path(file.value()).parent_path();
    const bool exists = std::filesystem::exists(file.value());
    if (!options.readOnly) {
        // Before SQLite tries: on a read-only file system it fails with "unable to open database
        // file" (it cannot create the WAL's files), which says nothing of the cause. access()
        // answers EROFS even for root.
        const bool fileWritable = !exists || ::access(file.value().c_str(), W_OK) == 0;
        const int fileErr = errno;
        if (!fileWritable || ::access(dir.c_str(), W_OK) != 0) {
            const int err = !fileWritable ? fileErr : errno;
            if (!fileWritable || !exists || !std::filesystem::exists(file.value() + "-wal"))
                return Error{
                    ErrorKind::ReadOnly,
                    "database '" + path + "' is not writable: " +
                        (!fileWritable ? std::string("the file")
                                       : "its folder '" + dir.string() + "'") +
                        (err == EROFS ? " is on a read-only file system"
                                      : " does not allow writing") +
                        (fileWritable ? " (SQLite keeps its write-ahead log beside the file)"
                                      : "")};
        }
    }
    auto opened = Connection::open(file.value(), mode);
    if (!opened) return opened.error();
    Connection db = std::move(opened.value());
    if (options.readOnly && ::access(dir.c_str(), W_OK) != 0 &&
        !std::filesystem::exists(file.value() + "-shm")) {
        // A reader cannot create the WAL index beside a file on a read-only medium; nothing can
        // change the file there, so it is read as immutable. Not with a non-empty -wal beside
        // it: immutable reading ignores the log, so its committed runs would silently be missing.
        if (auto probe = db.queryInt("SELECT count(*) FROM sqlite_schema"); !probe) {
            std::error_code ec;
            const auto walSize = std::filesystem::file_size(file.value() + "-wal", ec);
            if (!ec && walSize > 0)
                return Error{ErrorKind::ReadOnly,
                             "database '" + path + "' cannot be read where it is: its recent " +
                                 "changes are in '" + file.value() + "-wal', and reading that " +
                                 "log needs a '-shm' file, which the read-only folder '" +
                                 dir.string() + "' cannot hold; copy the database and its " +
                                 "-wal file to a writable folder"};
            auto immutable = Connection::open(file.value(), OpenMode::ReadOnlyImmutable);
            if (!immutable) return immutable.error();
            db = std::move(immutable.value());
        }
    }

    // Read-only checks first: nothing may be written to a file we are going to refuse.
    auto tables = db.queryInt("SELECT count(*) FROM sqlite_schema");
    if (!tables) {
        Error e = tables.error();
        if (e.kind == ErrorKind::NotADatabase)
            e.message = "'" + path + "' is not a SQLite database (" + e.message + ")";
        else
            e.message = "cannot read database '" + path + "': " + e.message;
        return e;
    }
    auto version = db.queryInt("PRAGMA user_version");
    if (!version) return version.error();
    auto appId = db.queryInt("PRAGMA application_id");
    if (!appId) return appId.error();

    if (version.value() > latestSchemaVersion()) {
        return Error{ErrorKind::NewerSchema,
                     "database '" + path + "' has schema version " +
                         std::to_string(version.value()) +
                         ", written by a newer Runboard; this build reads up to version " +
                         std::to_string(latestSchemaVersion()) + ". It was left untouched."};
    }
    if ((version.value() == 0 && tables.value() > 0) ||
        (version.value() > 0 && appId.value() != kApplicationId)) {
        return Error{ErrorKind::NotADatabase,
                     "'" + path + "' is a SQLite database but not a Runboard one; left untouched"};
    }
    if (version.value() == 0 && tables.value() == 0 && (options.readOnly || !options.migrate))
        return Error{ErrorKind::NotADatabase,
                     "'" + path + "' is empty: not a Runboard database (yet); left untouched"};
    if (version.value() < latestSchemaVersion() && (options.readOnly || !options.migrate))
        return Error{ErrorKind::CannotOpen,
                     "database '" + path + "' was written by an older Runboard (schema version " +
                         std::to_string(version.value()) +
                         "); open it once in the GUI or with a command that writes (train, "
                         "lr-find) to upgrade it"};
    if (options.readOnly) {
        if (auto s = db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
        return db;
    }
    if (sqlite3_db_readonly(db.handle(), "main") == 1) {
        return Error{ErrorKind::ReadOnly, "database '" + path + "' is not writable"};
    }
    if (auto s = configure(db, path); !s) {
        Error e = s.error();
        if (e.kind == ErrorKind::CannotOpen) return e;
        e.message = "cannot configure database '" + path + "': " + e.message;
        if (e.kind == ErrorKind::Sql) e.kind = ErrorKind::ReadOnly;
        return e;
    }
    const int target = options.schemaVersion > 0
                           ? std::min(options.schemaVersion, latestSchemaVersion())
                           : latestSchemaVersion();
    for (auto v = version.value(); v < target; ++v) {
        Transaction tx(db);
        if (!tx.begun()) return tx.begun().error();
        // Another process may have migrated while this one waited for the write lock: read the
        // version again under the lock, and never run a step twice.
        auto now = db.queryInt("PRAGMA user_version");
        if (!now) return now.error();
        if (now.value() > v) {
            v = now.value() - 1;
            continue;
        }
        if (auto s = db.exec(migrations()[static_cast<std::size_t>(v)]); !s) {
            Error e = s.error();
            e.message = "migrating '" + path + "' to schema version " + std::to_string(v + 1) +
                        " failed: " + e.message;
            return e;
        }
        // Data migrations that SQL alone cannot express.
        if (v + 1 == 2) {
            if (auto s = rebuildAllSummaries(db); !s) return s.error();
        }
        if ((v + 1 == 6 && target < 8) || v + 1 == 8) {
            if (auto s = recordChangeSets(db, v + 1 == 8); !s) return s.error();
        }
        if (v + 1 == 8) {
            // Only what this step cleaned: older dangling rows elsewhere (e.g. points of a
            // deleted sweep) are not this migration's to judge, and must not block it.
            auto broken =
                db.queryInt("SELECT count(*) FROM pragma_foreign_key_check WHERE parent = 'runs'");
            if (!broken) return broken.error();
            if (broken.value() != 0)
                return Error{ErrorKind::Corrupt,
                             "migrating '" + path + "' to schema version 8 left " +
                                 std::to_string(broken.value()) +
                                 " rows that point to no run; the file was left unchanged"};
        }
        if (auto s = db.exec("PRAGMA user_version=" + std::to_string(v + 1)); !s) return s.error();
        if (auto s = db.exec("PRAGMA application_id=" + std::to_string(kApplicationId)); !s)
            return s.error();
        if (auto s = tx.commit(); !s) return s.error();
    }
    // Off while migrating: rebuilding a table that others reference must not cascade.
    if (auto s = db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
    return db;
}

}  // namespace runboard::storage
