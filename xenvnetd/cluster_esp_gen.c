/* Load, draw and save the SA generation (<state_dir>/esp-generation). */
#include "cluster_esp_gen.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define GEN_FILE "esp-generation"

static bool gen_read(const char *path, uint64_t *gen)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%16" SCNx64, gen) == 1 && *gen;
	fclose(f);
	return ok;
}

/* Durably: a temp file, fsync, rename, fsync of the directory. */
static int gen_write(const char *dir, const char *path, uint64_t gen)
{
	char tmp[4200], text[24];
	int fd, dfd, rc = -1;
	int len = snprintf(text, sizeof(text), "%016" PRIx64 "\n", gen);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (write(fd, text, (size_t)len) == len && fsync(fd) == 0)
		rc = 0;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (rc < 0)
		unlink(tmp);
	return rc;
}

uint64_t cesp_gen_load(const char *state_dir, bool kernel_has_out)
{
	char path[4096];
	uint64_t gen = 0;

	snprintf(path, sizeof(path), "%s/" GEN_FILE, state_dir);
	if (kernel_has_out && gen_read(path, &gen)) {
		log_info("esp: SA generation %016" PRIx64 " kept (the kernel holds its SAs)", gen);
		return gen;
	}
	do {
		if (getrandom(&gen, sizeof(gen), 0) != (ssize_t)sizeof(gen)) {
			log_err("esp: no random bytes for the SA generation: %s", strerror(errno));
			return 0;
		}
	} while (!gen);
	if (gen_write(state_dir, path, gen) < 0)
		log_err("esp: saving %s: %s", path, strerror(errno));
	log_info("esp: SA generation %016" PRIx64 " drawn (%s)", gen,
		 kernel_has_out ? "none saved" : "no SA of ours in the kernel");
	return gen;
}
