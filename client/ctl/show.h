/*
 * show.h - agauthctl's output for a person: the keyring and the counters
 * as aligned columns, times in ISO 8601 ("never" for none), and what each
 * counter means (agauthctl help stats).  --json prints agauthd's JSON
 * instead (cmd.c).
 */
#ifndef AGCTL_SHOW_H
#define AGCTL_SHOW_H

/* Print the keys reply's JSON array, or the stats reply's JSON object,
 * for a person: OUT_OK, or OUT_FAILED if it is not what agauthd sends. */
int show_keys(const char *json);
int show_stats(const char *json);
/* What each counter of stats means, for its help. */
void show_stats_help(void);

#endif
