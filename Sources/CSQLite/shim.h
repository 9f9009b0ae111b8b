#ifndef SEGQ_CSQLITE_SHIM_H
#define SEGQ_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro around a cast that Swift cannot import.
static inline void (*segq_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif
