#include "persist.h"
#include "vnet_err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VNETS_SUBDIR "vnets"

static int mkdir_p(const char *path)
{
	char buf[512];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int persist_init(const char *dir, char *err, size_t errlen)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/" VNETS_SUBDIR, dir);
	if (mkdir_p(path) < 0)
		return vnet_err(err, errlen, "state directory %s: %s", path, strerror(errno));
	return 0;
}

/* Keys come from xenstore path components, but never trust a file name. */
static bool key_is_safe(const char *key)
{
	return *key && *key != '.' && !strchr(key, '/') && strlen(key) < 200;
}

/* Values are free text in xenstore: escape what would break a line. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '%' || c < 0x20 || c == 0x7f)
			fprintf(f, "%%%02x", c);
		else
			fputc(c, f);
	}
}

static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		unsigned v;
		if (*r == '%' && sscanf(r + 1, "%2x", &v) == 1) {
			*w++ = (char)v;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Write one definition to its temp file, not synced (see persist_apply). */
static int write_temp(int dfd, const struct vnet_raw *raw)
{
	char tmp[256];
	struct vnet_raw r = *raw;
	FILE *f;
	int fd, bad;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", raw->key);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (size_t i = 0; i < VNET_NFIELDS; i++) {
		const char *v = *vnet_raw_field(&r, i);
		if (!v)
			continue;
		fprintf(f, "%s=", vnet_field_names[i]);
		put_escaped(f, v);
		fputc('\n', f);
	}
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* Fail every op still standing with errno e (and drop its temp file). */
static void fail_rest(int dfd, struct persist_op *ops, size_t n, int e)
{
	char tmp[256];

	for (size_t i = 0; i < n; i++) {
		if (ops[i].err)
			continue;
		if (dfd >= 0 && ops[i].raw) {
			snprintf(tmp, sizeof(tmp), ".%s.tmp", ops[i].key);
			unlinkat(dfd, tmp, 0);
		}
		ops[i].err = e;
	}
}

int persist_apply(const char *dir, struct persist_op *ops, size_t n)
{
	char d[512], tmp[256];
	bool any_temp = false;
	size_t failed = 0;
	int dfd;

	snprintf(d, sizeof(d), "%s/" VNETS_SUBDIR, dir);
	for (size_t i = 0; i < n; i++)
		ops[i].err = key_is_safe(ops[i].key) ? 0 : EINVAL;
	dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fail_rest(-1, ops, n, errno);
		return -1;
	}
	/* 1. Every new version to its temp file. */
	for (size_t i = 0; i < n; i++) {
		if (ops[i].err || !ops[i].raw)
			continue;
		if (write_temp(dfd, ops[i].raw) < 0)
			ops[i].err = errno ? errno : EIO;
		else
			any_temp = true;
	}
	/* 2. Their data on disk, all at once, before any name points at it. */
	if (any_temp && syncfs(dfd) < 0)
		fail_rest(dfd, ops, n, errno);
	/* 3. Each name to its new version (rename is atomic), or away. */
	for (size_t i = 0; i < n; i++) {
		if (ops[i].err)
			continue;
		snprintf(tmp, sizeof(tmp), ".%s.tmp", ops[i].key);
		if (ops[i].raw ? renameat(dfd, tmp, dfd, ops[i].key) < 0
			       : unlinkat(dfd, ops[i].key, 0) < 0 && errno != ENOENT) {
			ops[i].err = errno;
			if (ops[i].raw)
				unlinkat(dfd, tmp, 0);
		}
	}
	/* 4. The names on disk: one fsync of the directory. */
	if (fsync(dfd) < 0)
		fail_rest(dfd, ops, n, errno);
	close(dfd);
	for (size_t i = 0; i < n; i++)
		failed += ops[i].err != 0;
	return failed ? -1 : 0;
}

int persist_remove(const char *dir, const char *key)
{
	struct persist_op op = { .key = key };

	if (persist_apply(dir, &op, 1) < 0) {
		errno = op.err;
		return -1;
	}
	return 0;
}

static void load_one(const char *path, const char *key, void (*cb)(void *, const struct vnet_raw *), void *arg)
{
	char vals[VNET_NFIELDS][256] = { { 0 } };
	struct vnet_raw raw = { .key = key };
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		line[strcspn(eq + 1, "\n") + (size_t)(eq + 1 - line)] = '\0';
		int i = vnet_field_index(line);
		if (i < 0)
			continue;
		snprintf(vals[i], sizeof(vals[i]), "%s", eq + 1);
		unescape(vals[i]);
		*vnet_raw_field(&raw, (size_t)i) = vals[i];
	}
	fclose(f);
	cb(arg, &raw);
}

int persist_foreach(const char *dir, void (*cb)(void *arg, const struct vnet_raw *raw), void *arg)
{
	char d[512], path[800];
	DIR *dh;
	struct dirent *de;

	snprintf(d, sizeof(d), "%s/" VNETS_SUBDIR, dir);
	if (!(dh = opendir(d)))
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dh)) != NULL) {
		if (!key_is_safe(de->d_name))
			continue; /* ".", "..", and temp files */
		snprintf(path, sizeof(path), "%s/%s", d, de->d_name);
		load_one(path, de->d_name, cb, arg);
	}
	closedir(dh);
	return 0;
}
