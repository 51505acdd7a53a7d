/*
 * meminfo.c - the memory agauthd may still take (meminfo.h): read from
 * /proc/meminfo and the cgroup v2 files of its own cgroup.
 */
#include "daemon/meminfo.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The first number on the line of `file` that starts with `key`, times
 * `unit`; UINT64_MAX when there is none ("max" has none either). */
static uint64_t meminfo_read(const char *file, const char *key,
			     uint64_t unit)
{
	char line[256];
	uint64_t v = UINT64_MAX;
	size_t k = strlen(key);
	FILE *f = fopen(file, "re");

	if (f == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, k) != 0)
			continue;
		if (sscanf(line + k, "%" SCNu64, &v) != 1 ||
		    v > UINT64_MAX / unit)
			v = UINT64_MAX;
		else
			v *= unit;
		break;
	}
	fclose(f);
	return v;
}

/* A cgroup directory's limit less its use; UINT64_MAX without a limit. */
static uint64_t meminfo_room(const char *dir)
{
	char file[PATH_MAX + 32];
	uint64_t max, cur;

	snprintf(file, sizeof file, "%s/memory.max", dir);
	max = meminfo_read(file, "", 1);
	snprintf(file, sizeof file, "%s/memory.current", dir);
	cur = meminfo_read(file, "", 1);
	if (max == UINT64_MAX || cur == UINT64_MAX)
		return max;
	return cur < max ? max - cur : 0;
}

/* The least room of agauthd's cgroup (v2, the "0::/path" line of
 * /proc/self/cgroup) and of every cgroup above it: a parent's limit
 * binds as much as its own. */
static uint64_t meminfo_cgroup(void)
{
	char line[PATH_MAX], dir[PATH_MAX + 16];
	uint64_t least = UINT64_MAX, r;
	char *cut;
	FILE *f = fopen("/proc/self/cgroup", "re");

	dir[0] = '\0';
	if (f == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "0::/", 4) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", line + 3);
			break;
		}
	fclose(f);
	while ((cut = strrchr(dir, '/')) != NULL &&
	       cut > dir + strlen("/sys/fs/cgroup") - 1) {
		r = meminfo_room(dir);
		least = r < least ? r : least;
		*cut = '\0';
	}
	return least;
}

uint64_t meminfo_available(void)
{
	uint64_t host = meminfo_read("/proc/meminfo", "MemAvailable:", 1024);
	uint64_t group = meminfo_cgroup();

	return host < group ? host : group;
}
