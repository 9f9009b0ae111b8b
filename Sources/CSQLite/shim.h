#ifndef SEGQ_CSQLITE_SHIM_H
#define SEGQ_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro around a cast that Swift cannot import.
static inline void (*segq_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }

// sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's memory
// statistics (a global mutex around every allocation); must run before the library is
// initialized, and is refused (harmlessly) after.
static inline int segq_sqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
