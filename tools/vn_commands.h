/* The command table: names (old and new spellings), usage, help. */
#ifndef XENVNET_VN_COMMANDS_H
#define XENVNET_VN_COMMANDS_H

#include "vn.h"

struct vn_command {
	const char *name;
	const char *alias;     /* an older spelling, or NULL */
	int (*run)(const struct vn_opts *o, int argc, char **argv);
	const char *args;      /* synopsis after the name */
	const char *summary;
};

extern const struct vn_command vn_commands[];

/* By name or alias; NULL when unknown. */
const struct vn_command *vn_command_find(const char *name);

/* "vn: <cmd>: <message>" and the command's usage line; returns VN_EUSAGE. */
int vn_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A command without options or operands beyond maxargs; optind is then
 * the first operand.  Returns VN_OK or VN_EUSAGE (said why). */
int vn_no_options(int argc, char **argv, int maxargs);

/* vn help [COMMAND] */
int vn_cmd_help(const struct vn_opts *o, int argc, char **argv);

/* Parse argv for the options in optstring (with the long names in longopts)
 * the GNU way, options and operands mixed.  Returns the option character,
 * -1 at the end, or '?' after reporting a usage error. */
struct option;
int vn_getopt(const char *cmd, int argc, char **argv, const char *optstring,
	      const struct option *longopts);

#endif
