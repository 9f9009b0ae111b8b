#ifndef SEGQ_CLIBPQ_SHIM_H
#define SEGQ_CLIBPQ_SHIM_H
// Debian's libpq-dev puts the header in /usr/include/postgresql (pkg-config libpq).
#include <libpq-fe.h>
#endif
