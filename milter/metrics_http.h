/*
 * metrics_http.h - the MetricsSocket server (posture-milter.conf(5)): GET /metrics,
 * and GET /posture/DOMAIN with PostureView yes.
 *
 *   metrics_http_start()  bind the socket, enable the metrics, start the server thread
 *   metrics_http_stop()   stop it and remove a unix socket
 *
 * Started once per process, after daemon() (threads do not survive fork) and while
 * still root (a low port); a reload does not move it. Without MetricsSocket it is
 * never started and every metric stays disabled (util/metrics.h: a load and a branch).
 */
#ifndef PM_METRICS_HTTP_H
#define PM_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "pm_config.h"

/* 0, or -1 with a reason in err (nothing then listens). view: PostureView. */
int metrics_http_start(const struct pm_socket_addr *sa, bool view, char *err, size_t errlen);
void metrics_http_stop(void);

#endif
