/* What every vn command shares: exit codes, options, messages. */
#ifndef XENVNET_VN_H
#define XENVNET_VN_H

#include <stdbool.h>

/* Exit codes (vn(8), EXIT STATUS). */
enum {
	VN_OK = 0,
	VN_EFAIL = 1,    /* runtime failure: daemon down, xenstore unreachable */
	VN_EUSAGE = 2,   /* bad usage or bad input */
};

struct vn_opts {
	bool json;            /* --json */
	const char *socket;   /* --socket, else $VN_SOCKET, else the default */
};

/* "vn: <message>" on stderr. */
void vn_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "vn: warning: <message>" on stderr. */
void vn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The control socket to use. */
const char *vn_socket_path(const struct vn_opts *o);

/* Commands: argv[0] is the command's name; return an exit code. */
int vn_cmd_vnet_create(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_vnet_delete(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_vnets(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_vnifs(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_vifs(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_bridges(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_peers(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_hosts(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_peer_add(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_peer_delete(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_varp(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_varp_flush(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_status(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_vnet_show(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_diag(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_insmod(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_monitor(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_metrics(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_evpn(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_frr_config(const struct vn_opts *o, int argc, char **argv);
int vn_cmd_key_rotate(const struct vn_opts *o, int argc, char **argv);

#endif
