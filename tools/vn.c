/* vn: the admin tool for xenvnet vnets.  Global options, then dispatch. */
#include "vn.h"
#include "vn_commands.h"
#include "xenvnet_version.h"

#include <stdio.h>
#include <string.h>

/* Take the global options out of argv wherever they stand (before a "--"),
 * so `vn --json vnets` and `vn vnets --json` mean the same.  Returns the new
 * argc, or -1 after a usage error. */
static int take_global_options(int argc, char **argv, struct vn_opts *o, bool *help, bool *version)
{
	int out = 1;
	bool rest = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (rest || a[0] != '-') {
			argv[out++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			rest = true;
			argv[out++] = argv[i];
		} else if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			o->json = true;
		} else if (strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vn: --socket needs a path\n");
				return -1;
			}
			o->socket = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			o->socket = a + 9;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
		} else if (strcmp(a, "--version") == 0 && out == 1) {
			*version = true;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	struct vn_opts o = { 0 };
	bool help = false, version = false;
	const struct vn_command *c;

	argc = take_global_options(argc, argv, &o, &help, &version);
	if (argc < 0)
		return VN_EUSAGE;
	if (version) {
		printf("vn %s (xenvnet)\n", XENVNET_VERSION);
		return VN_OK;
	}
	if (argc < 2) {
		if (help)
			return vn_cmd_help(&o, 1, argv);
		fprintf(stderr, "vn: no command given; try 'vn help'\n");
		return VN_EUSAGE;
	}
	c = vn_command_find(argv[1]);
	if (!c) {
		fprintf(stderr, "vn: unknown command '%s'; try 'vn help'\n", argv[1]);
		return VN_EUSAGE;
	}
	if (help) {
		char *hargv[] = { "help", argv[1], NULL };
		return vn_cmd_help(&o, 2, hargv);
	}
	return c->run(&o, argc - 1, argv + 1);
}
