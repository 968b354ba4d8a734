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
    int schemaVersion = 0;  // migrate up to this version; 0 = the latest (tests build old files)
};

// Opens a Runboard database: checks that it is SQLite and not from a newer Runboard *before*
// writing anything, then switches to WAL, turns foreign keys on and migrates forward.
Result<Connection> openDatabase(const std::string& path, const OpenOptions& options = {});

}  // namespace runboard::storage
