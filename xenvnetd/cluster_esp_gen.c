/* Load, draw and save the SA generation (<state_dir>/esp-generation) and
 * the key epoch offset (<state_dir>/esp-offset). */
#include "cluster_esp_gen.h"
#include "durable.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define GEN_FILE "esp-generation"
#define OFFSET_FILE "esp-offset"

/* A hex number of at most @digits digits, not 0. */
static bool hex_read(const char *path, int digits, uint64_t *v)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = (digits == 16 ? fscanf(f, "%16" SCNx64, v) : fscanf(f, "%8" SCNx64, v)) == 1 && *v;
	fclose(f);
	return ok;
}

static int hex_write(const char *path, int digits, uint64_t v)
{
	char text[24];
	int len = snprintf(text, sizeof(text), "%0*" PRIx64 "\n", digits, v);

	return durable_write(path, text, (size_t)len, 0600);
}

uint64_t cesp_gen_load(const char *state_dir, bool kernel_has_out)
{
	char path[4096];
	uint64_t gen = 0;

	snprintf(path, sizeof(path), "%s/" GEN_FILE, state_dir);
	if (kernel_has_out && hex_read(path, 16, &gen)) {
		log_info("esp: SA generation %016" PRIx64 " kept (the kernel holds its SAs)", gen);
		return gen;
	}
	do {
		if (getrandom(&gen, sizeof(gen), 0) != (ssize_t)sizeof(gen)) {
			log_err("esp: no random bytes for the SA generation: %s", strerror(errno));
			return 0;
		}
	} while (!gen);
	if (hex_write(path, 16, gen) < 0)
		log_err("esp: saving %s: %s", path, strerror(errno));
	log_info("esp: SA generation %016" PRIx64 " drawn (%s)", gen,
		 kernel_has_out ? "none saved" : "no SA of ours in the kernel");
	return gen;
}

uint32_t cesp_offset_load(const char *state_dir)
{
	char path[4096];
	uint64_t off = 0;

	snprintf(path, sizeof(path), "%s/" OFFSET_FILE, state_dir);
	return hex_read(path, 8, &off) ? (uint32_t)off : 0;
}

int cesp_offset_save(const char *state_dir, uint32_t offset)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/" OFFSET_FILE, state_dir);
	if (hex_write(path, 8, offset) == 0)
		return 0;
	log_err("esp: saving %s: %s", path, strerror(errno));
	return -1;
}
