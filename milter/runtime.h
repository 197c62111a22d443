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
 *   runtime_memory_open()   open posture memory (StateDirectory, Redis) once per
 *                      process, after privileges are dropped, and hand it to rt's pool
 *   runtime_memory_close()  free it at exit, when no runtime uses it any more
 *
 * A runtime is immutable once built; the reference count and the current pointer
 * are the only shared mutable state, guarded by one mutex (never held while
 * evaluating or waiting).
 *
 * Posture memory is process-wide: opened once (the LMDB environment and its writer,
 * the Redis pool), never again on reload; every runtime built after it is opened gets
 * it for its pool. A reload therefore does not apply changed StateDirectory or Redis*
 * settings; it does apply a new Selectors hash (shape_config).
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
	uint32_t shape_config;		/* hash of Selectors: the snapshots this config may use */
	struct posture_memory *memory;	/* owned view of the process's store, or NULL */
	unsigned refs;			/* guarded by the runtime mutex */
};

struct runtime *runtime_build(const char *config_path, char *err, size_t errlen);
struct runtime *runtime_current(void);
void runtime_install(struct runtime *rt);
void runtime_put(struct runtime *rt);
/* Shutdown: no runtime is current any more; the last reference frees it. */
void runtime_uninstall(void);
/*
 * Open posture memory from rt's configuration unless it is open already, and give it
 * to rt's pool. A default StateDirectory that cannot be used is logged and skipped; a
 * named one is an error ("StateDirectory DIR: reason"). 0, or -1 with err.
 */
int runtime_memory_open(struct runtime *rt, char *err, size_t errlen);
/* Free posture memory (committing LMDB's queued writes) if no runtime is left. */
void runtime_memory_close(void);

#endif
