#pragma once
// The versioned schema: PRAGMA user_version plus forward-only migrations.

#include <string>

#include "storage/sqlite.h"

namespace runboard::storage {

// The schema version this build writes. A database with a higher user_version is refused.
int latestSchemaVersion();

struct OpenOptions {
    bool create = true;     // create the file if it does not exist
    bool readOnly = false;  // reader connections (views): no migration, no recovery
    // Upgrade an older schema. Off for the CLI's read commands: they never create or change a
    // file's format (an older file is refused with a message that says how to upgrade it).
    bool migrate = true;
    int schemaVersion = 0;  // migrate up to this version; 0 = the latest (tests build old files)
};

// The one name of a database file, whatever its spelling: absolute, with symlinks and "." and
// ".." resolved. Run locks and run files live beside this name, so every process finds them.
// Refuses what is not a database file: an empty path, ":memory:", "file:" URIs (SQLite would
// open a throwaway or URI-named database), a directory, a device; with mustExist, a path that
// does not exist.
Result<std::string> databaseFile(const std::string& path, bool mustExist);

// Opens a Runboard database: checks that it is SQLite and not from a newer Runboard *before*
// writing anything, then switches to WAL, turns foreign keys on and migrates forward.
Result<Connection> openDatabase(const std::string& path, const OpenOptions& options = {});

}  // namespace runboard::storage
