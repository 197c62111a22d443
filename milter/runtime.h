/*
 * runtime.h - what the daemon runs with: a loaded configuration and the engine,
 * evaluation pool and InternalHosts blocks built from it.
 *
 *   runtime_build()    everything from a configuration file, with one reference for
 *                      the caller; NULL + reason on error
 *   runtime_current()  a reference to the runtime in force (callbacks take one per
 *                      connection and drop it at close)
 *   runtime_install()  make a new runtime current (SIGUSR1 reload); the old one is
 *                      freed when its last connection closes
 *   runtime_put()      drop a reference
 *
 * A runtime is immutable once built; the reference count and the current pointer
 * are the only shared mutable state, guarded by one mutex (never held while
 * evaluating or waiting).
 */
#ifndef PM_RUNTIME_H
#define PM_RUNTIME_H

#include "net/cidr.h"
#include "verify/dkim_verify.h"
#include "evalpool.h"
#include "pm_config.h"
#include "posture.h"

struct runtime {
	struct pm_config cfg;		/* owned */
	char authserv_id[256];
	struct cidr internal[PM_MAX_LIST];
	size_t ninternal;
	struct posture_engine *engine;	/* owned */
	struct evalpool *pool;		/* owned */
	struct dkim_verify_lib *dkim;	/* owned; NULL when AuthResults no */
	unsigned refs;			/* guarded by the runtime mutex */
};

struct runtime *runtime_build(const char *config_path, char *err, size_t errlen);
struct runtime *runtime_current(void);
void runtime_install(struct runtime *rt);
void runtime_put(struct runtime *rt);
/* Shutdown: no runtime is current any more; the last reference frees it. */
void runtime_uninstall(void);

#endif
