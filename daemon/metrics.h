/*
 * metrics.h - the daemon's figures as Prometheus text exposition,
 * format 0.0.4 (the metrics op; docs/operations.md, "Metrics"): requests
 * by op and outcome, sign and verify latency histograms, the cache, the
 * keyring and its keys' ages, revocations, connections, the crypto
 * queue.  Every family has its HELP and TYPE lines.  Names and labels
 * only: never a token, a subject or key material.
 */
#ifndef AG_METRICS_H
#define AG_METRICS_H

#include "daemon/keyring.h"
#include "shared/buf.h"

/* The text for keyring kr at now (seconds) into out.  0, or -1 with *e
 * if it does not fit out. */
int metrics_render(const struct keyring *kr, double now, struct buf *out,
		   struct ag_error *e);

#endif
