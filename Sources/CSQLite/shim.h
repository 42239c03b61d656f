// The system SQLite (libsqlite3-dev), exposed to Swift as the CSQLite module.
#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
