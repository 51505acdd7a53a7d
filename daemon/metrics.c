/* metrics.c - the Prometheus text of the daemon's counters. */
#include "daemon/metrics.h"

#include <string.h>

#include "daemon/cachew.h"
#include "daemon/conn.h"
#include "daemon/pool.h"
#include "daemon/request.h"
#include "daemon/revoke.h"
#include "daemon/stats.h"
#include "daemon/watch.h"
#include "shared/proto.h"

/* A family's HELP and TYPE lines. */
static void metrics_family(struct buf *out, const char *name,
			   const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		   type);
}

/* A family of one sample without labels. */
static void metrics_one(struct buf *out, const char *name, const char *type,
			const char *help, uint64_t v)
{
	metrics_family(out, name, type, help);
	buf_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* Every op's ok, zero included, so that each op has its series from the
 * start; errors once they happened. */
static void metrics_requests(struct buf *out, const struct stats *s)
{
	unsigned op, code;
	const char *name;

	metrics_family(out, "agauthd_requests_total", "counter",
		       "Requests answered, by operation and outcome (ok, or "
		       "the error code of the reply).");
	for (op = 0; op <= STATS_OP_UNKNOWN; op++) {
		/* op names are shared/ops.h's, codes agerr.h's: neither
		 * needs escaping in a label */
		name = op < STATS_OP_UNKNOWN ? request_op_name(op) : "unknown";
		for (code = 0; code < AG_ERR_COUNT; code++) {
			if (s->outcome[op][code] == 0 &&
			    (code != AG_OK || op == STATS_OP_UNKNOWN))
				continue;
			buf_printf(out, "agauthd_requests_total{op=\"%s\","
				   "outcome=\"%s\"} %llu\n", name,
				   code == AG_OK ? "ok" :
				   proto_code_name((enum ag_err)code),
				   (unsigned long long)s->outcome[op][code]);
		}
	}
}

/* A histogram in seconds: cumulative buckets, +Inf, sum, count. */
static void metrics_hist(struct buf *out, const char *name, const char *help,
			 const struct stats_hist *h)
{
	uint64_t below = 0;
	unsigned i;

	metrics_family(out, name, "histogram", help);
	for (i = 0; i < STATS_BUCKETS; i++) {
		below += h->bucket[i];
		buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name,
			   (double)stats_bucket_ns(i) / 1e9,
			   (unsigned long long)below);
	}
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n"
		   "%s_count %llu\n", name, (unsigned long long)h->count,
		   name, (double)h->sum_ns / 1e9, name,
		   (unsigned long long)h->count);
}

/* Key i's state now, as the keys op says it. */
static const char *metrics_state(const struct keyring *kr, int i, double now)
{
	return keyring_state_name(keyring_state_at(kr, i, now));
}

static void metrics_keys(struct buf *out, const struct keyring *kr,
			 double now)
{
	static const char *const states[] = { "primary", "verify",
					      "retired" };
	const struct kr_key *k;
	unsigned j, n;
	int i;

	metrics_family(out, "agauthd_keys", "gauge",
		       "Keys in the keyring, by state.");
	for (j = 0; j < sizeof states / sizeof *states; j++) {
		for (i = 0, n = 0; i < kr->n; i++)
			n += strcmp(metrics_state(kr, i, now),
				    states[j]) == 0;
		buf_printf(out, "agauthd_keys{state=\"%s\"} %u\n", states[j],
			   n);
	}
	metrics_family(out, "agauthd_key_age_seconds", "gauge",
		       "Seconds since each key was created, by key (its "
		       "manifest name), kid, alg and state; keys whose "
		       "manifest entry has no created time are left out.");
	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		if (k->created == 0)
			continue;
		/* names and kids are letters, digits and . _ - (the
		 * keyring refuses others): safe as label values */
		buf_printf(out, "agauthd_key_age_seconds{key=\"%s\",kid=\"%s\","
			   "alg=\"%s\",state=\"%s\"} %.0f\n", k->name,
			   k->has_kid ? k->kid : "", k->alg->name,
			   metrics_state(kr, i, now), now - (double)k->created);
	}
}

int metrics_render(const struct keyring *kr, double now, struct buf *out,
		   struct ag_error *e)
{
	const struct stats *s = stats_get();
	struct cachew_stats cs;

	cachew_stats(&cs);
	metrics_requests(out, s);
	metrics_hist(out, "agauthd_sign_duration_seconds",
		     "Time from a sign request to its reply (queue and "
		     "crypto pool included).", &s->sign_time);
	metrics_hist(out, "agauthd_verify_duration_seconds",
		     "Time from a verify request that reached agauthd to its "
		     "reply (cache hits never do).", &s->verify_time);
	metrics_one(out, "agauthd_cache_entries", "gauge",
		    "Verified tokens the shared-memory cache holds.",
		    cs.entries);
	metrics_one(out, "agauthd_cache_slots", "gauge",
		    "Entries the shared-memory cache has room for.", cs.slots);
	metrics_one(out, "agauthd_cache_hits_total", "counter",
		    "Verifications clients answered from the cache, as they "
		    "reported them.", s->cache_hits);
	metrics_one(out, "agauthd_cache_misses_total", "counter",
		    "Verifications clients looked up in the cache and sent "
		    "to agauthd, as they reported them.", s->cache_misses);
	metrics_one(out, "agauthd_cache_inserts_total", "counter",
		    "Tokens put into the cache.", cs.inserts);
	metrics_one(out, "agauthd_cache_evictions_total", "counter",
		    "Entries pushed out of the cache to make room.",
		    cs.evictions);
	metrics_one(out, "agauthd_cache_skipped_total", "counter",
		    "Tokens verified or signed but not cached (a signing "
		    "input too long for any slot).", cs.skipped);
	metrics_one(out, "agauthd_keyring_generation", "gauge",
		    "The live keyring's generation (each reload or rotation "
		    "adds one).", kr->generation);
	metrics_keys(out, kr, now);
	metrics_one(out, "agauthd_revocations", "gauge",
		    "Revocations in force (tokens, jtis and subjects).",
		    revoke_count());
	metrics_one(out, "agauthd_connections", "gauge",
		    "Client connections open.", conn_count());
	metrics_one(out, "agauthd_watchers", "gauge",
		    "Connections watching revocations.", watch_count());
	metrics_one(out, "agauthd_crypto_queue_depth", "gauge",
		    "RSA and ECDSA jobs waiting for a crypto thread.",
		    pool_queued());
	metrics_family(out, "agauthd_start_time_seconds", "gauge",
		       "When agauthd started, in seconds since the epoch.");
	buf_printf(out, "agauthd_start_time_seconds %.3f\n", s->started);
	if (out->err)
		return ag_fail(e, AG_E_NOMEM, "the metrics do not fit in %d "
			       "bytes", AG_TEXT_REPLY_MAX);
	return 0;
}
