/*
 * callbacks.h - the libmilter side of posture-milter: the filter description.
 */
#ifndef PM_CALLBACKS_H
#define PM_CALLBACKS_H

#include <libmilter/mfapi.h>

/* The filter registered with smfi_register(). */
extern struct smfiDesc posture_filter;

/* Connections open now (created at negotiate/connect, gone at close). */
unsigned callbacks_active_connections(void);

#endif
