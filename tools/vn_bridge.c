/* Bridge ports from /sys/class/net/<bridge>/brif. */
#include "vn_bridge.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SYS_NET "/sys/class/net"

static bool carries_mark(const char *bridge, const char *key)
{
	char path[128], alias[128], want[96];
	FILE *f;

	snprintf(path, sizeof(path), SYS_NET "/%s/ifalias", bridge);
	if (!(f = fopen(path, "re")))
		return false;
	bool got = fgets(alias, sizeof(alias), f) != NULL;
	fclose(f);
	if (!got)
		return false;
	alias[strcspn(alias, "\n")] = '\0';
	snprintf(want, sizeof(want), "xenvnet:%s", key);
	return strcmp(alias, want) == 0;
}

int vn_bridge_ports(const char *bridge, const char *key, const char *skip, char *list, size_t len)
{
	char path[128];
	struct dirent *d;
	size_t used = 0;
	int n = 0;
	DIR *dir;

	if (len)
		list[0] = '\0';
	if (!bridge[0] || strchr(bridge, '/') || !carries_mark(bridge, key))
		return 0;
	snprintf(path, sizeof(path), SYS_NET "/%s/brif", bridge);
	if (!(dir = opendir(path)))
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || strcmp(d->d_name, skip) == 0)
			continue;
		int w = snprintf(list + used, len - used, "%s%s", n ? "," : "", d->d_name);
		if (w > 0 && (size_t)w < len - used)
			used += (size_t)w;
		n++;
	}
	closedir(dir);
	return n;
}
