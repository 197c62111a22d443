/*
 * tcp_ack.h - prompt ACKs on libmilter's TCP connections (see tcp_ack.c).
 */
#ifndef PM_TCP_ACK_H
#define PM_TCP_ACK_H

#include <stdbool.h>

/* On by default; off restores stock libmilter behaviour (for the benchmark). */
void tcp_ack_enable(bool on);

#endif
