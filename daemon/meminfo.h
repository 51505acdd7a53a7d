/*
 * meminfo.h - how much memory agauthd may still take, so that what it
 * commits at start (the cache) is refused with a clear error there, not
 * met by the OOM killer under load.
 */
#ifndef AG_MEMINFO_H
#define AG_MEMINFO_H

#include <stdint.h>

/* Bytes: the least of the host's MemAvailable and, for agauthd's cgroup
 * (v2) and each one above it that has a limit, that limit less what the
 * cgroup uses; UINT64_MAX when none can be read. */
uint64_t meminfo_available(void);

#endif
