/* Command table, usage errors, help. */
#include "vn_commands.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct vn_command vn_commands[] = {
	{ "vnet-create", NULL, vn_cmd_vnet_create,
	  "FILE | ID [-s none|auth|conf] [-b BRIDGE] [-v VNETIF] [-m MTU] [-n VNI]",
	  "define a vnet from an SXP file or from options" },
	{ "vnet-delete", NULL, vn_cmd_vnet_delete, "ID [-b]",
	  "remove a vnet (-b: even while vifs are attached)" },
	{ "vnets", "vnet-list", vn_cmd_vnets, "[-a] [-l]",
	  "list vnet definitions (-a: with ports, -l: long ids, all fields)" },
	{ "vnet-show", NULL, vn_cmd_vnet_show, "ID",
	  "show one vnet: definition, state, ports, vnif counters, hosts, MACs" },
	{ "vnifs", NULL, vn_cmd_vnifs, "", "list the vnet interfaces (VXLAN devices)" },
	{ "vifs", NULL, vn_cmd_vifs, "", "list domain interfaces attached to vnets" },
	{ "bridges", NULL, vn_cmd_bridges, "", "list vnet bridges and their ports" },
	{ "peers", NULL, vn_cmd_peers, "", "list peer hosts" },
	{ "hosts", NULL, vn_cmd_hosts, "", "list the hosts heard from, with their vnets and bad messages" },
	{ "peer-add", NULL, vn_cmd_peer_add, "ADDR [-p PORT]", "add a peer host (kept across restarts)" },
	{ "peer-delete", "peer-del", vn_cmd_peer_delete, "ADDR", "remove a peer host" },
	{ "key-rotate", NULL, vn_cmd_key_rotate, "",
	  "move every host to the next ESP key epoch (secured vnets), make-before-break" },
	{ "varp", NULL, vn_cmd_varp, "[ID]", "show the MAC -> host table" },
	{ "varp-flush", NULL, vn_cmd_varp_flush, "[ID]", "forget learned MAC -> host entries" },
	{ "diag", NULL, vn_cmd_diag, "DOMID | MAC",
	  "walk a domain's (or a MAC's) path and say the first thing wrong" },
	{ "status", NULL, vn_cmd_status, "", "show the daemon's data plane, version and counters" },
	{ "monitor", NULL, vn_cmd_monitor, "", "print events as they happen (vnets, vifs, MAC moves, hosts)" },
	{ "metrics", NULL, vn_cmd_metrics, "", "print the counters in the Prometheus text format" },
	{ "evpn", NULL, vn_cmd_evpn, "",
	  "control = evpn: each vnet's VNI, remote VTEPs and MACs as FRR sees them" },
	{ "frr-config", NULL, vn_cmd_frr_config, "", "print a bgpd/zebra configuration for this host (EVPN)" },
	{ "insmod", NULL, vn_cmd_insmod, "", "load the kernel modules of the data plane" },
	{ "help", NULL, vn_cmd_help, "[COMMAND]", "show this help, or one command's" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct vn_command *vn_command_find(const char *name)
{
	for (const struct vn_command *c = vn_commands; c->name; c++)
		if (strcmp(name, c->name) == 0 || (c->alias && strcmp(name, c->alias) == 0))
			return c;
	return NULL;
}

static void print_usage(FILE *out, const struct vn_command *c)
{
	fprintf(out, "usage: vn [--json] [--socket PATH] %s%s%s\n", c->name, *c->args ? " " : "",
		c->args);
}

int vn_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct vn_command *c = vn_command_find(cmd);
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vn: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c)
		print_usage(stderr, c);
	return VN_EUSAGE;
}

int vn_getopt(const char *cmd, int argc, char **argv, const char *optstring,
	      const struct option *longopts)
{
	int ch;

	opterr = 0;
	ch = getopt_long(argc, argv, optstring, longopts, NULL);
	if (ch == '?') {
		if (optopt)
			vn_usage_error(cmd, "option '-%c' is unknown or lacks its value", optopt);
		else
			vn_usage_error(cmd, "option '%s' is unknown or lacks its value", argv[optind - 1]);
	} else if (ch == ':') {
		vn_usage_error(cmd, "option '-%c' needs a value", optopt);
		ch = '?';
	}
	return ch;
}

int vn_cmd_help(const struct vn_opts *o, int argc, char **argv)
{
	(void)o;
	if (argc > 2)
		return vn_usage_error("help", "takes at most one command name");
	if (argc == 2) {
		const struct vn_command *c = vn_command_find(argv[1]);
		if (!c)
			return vn_usage_error("help", "no command '%s'", argv[1]);
		print_usage(stdout, c);
		printf("%s.%s%s%s\nSee vn(8).\n", c->summary, c->alias ? "  Also spelled '" : "",
		       c->alias ? c->alias : "", c->alias ? "'." : "");
		return VN_OK;
	}
	printf("usage: vn [--json] [--socket PATH] COMMAND [ARGS]\n\n"
	       "Administer xenvnet vnets: definitions live in xenstore (/vnet), runtime\n"
	       "state comes from xenvnetd over its control socket.\n\nCommands:\n");
	for (const struct vn_command *c = vn_commands; c->name; c++) {
		char head[96];
		/* Long synopses are cut at their options; `vn help CMD` has it all. */
		int n = snprintf(head, sizeof(head), "%s %s", c->name, c->args);
		if (n > 32) {
			const char *opt = strchr(c->args, '[');
			snprintf(head, sizeof(head), "%s %.*s[...]", c->name,
				 opt ? (int)(opt - c->args) : 0, c->args);
		}
		printf("  %-32s %s\n", head, c->summary);
	}
	printf("\nOptions, anywhere on the line:\n"
	       "  -j, --json          print the output as JSON (keys: see vn(8))\n"
	       "  --socket PATH       control socket (default $VN_SOCKET, else /run/xenvnetd/xenvnetd.sock)\n"
	       "  -h, --help          this help\n"
	       "\nExit status: 0 ok, 1 runtime failure, 2 bad usage or input.  See vn(8).\n");
	return VN_OK;
}
