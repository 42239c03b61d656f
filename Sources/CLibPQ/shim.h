// The system libpq (Debian's libpq-dev), exposed to Swift as the CLibPQ module.
#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
