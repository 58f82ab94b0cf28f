/* xenvnetd: turns /vnet definitions in xenstore into bridges and tunnels. */
#include <errno.h>
#include <net/if.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "dataplane.h"
#include "dp_group.h"
#include "dp_lock.h"
#include "kern.h"
#include "log.h"
#include "loop.h"
#include "persist.h"
#include "reconcile.h"
#include "vifs.h"
#include "auth.h"
#include "cluster.h"
#include "cluster_evpn.h"
#include "cluster_esp.h"
#include "cluster_keyring.h"
#include "hostannounce.h"
#include "ctl.h"
#include "peers.h"
#include "runtime.h"
#include "ctl_metrics.h"
#include "ctl_monitor.h"
#include "svc.h"
#include "xenvnet_version.h"
#include "xs.h"

#define VERSION XENVNET_VERSION

struct daemon {
	struct loop *loop;
	struct config cfg;
	const char *config_path;
	bool config_given;
	const char *ov_key[16];    /* options from the command line, which */
	const char *ov_val[16];    /* win over the config file */
	int nov;
	struct kern kern;
	struct reconciler *rec;
	struct xsconn *xs;
	struct vifs *vifs;
	struct peers peers;
	struct keyring keys;      /* the cluster key, and the previous one during a change */
	struct cluster *cluster;
	struct dp_lock *lock;
	struct cesp *esp;         /* secured vnets' SAs (cluster_esp.h) */
	struct ctl *ctl;
	struct runtime rt;
	struct svc svc;
	int sigfd;
};

enum { OPT_STATE_DIR = 1, OPT_UNDERLAY, OPT_PORT, OPT_GROUP, OPT_CTL, OPT_KEY_FILE, OPT_HELP, OPT_VERSION };

static const struct option long_opts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "config", required_argument, NULL, 'c' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "underlay", required_argument, NULL, OPT_UNDERLAY },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "ctl-socket", required_argument, NULL, OPT_CTL },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

/* Command-line option name for each OPT_*, as config_set knows it. */
static const char *const opt_key[] = {
	[OPT_STATE_DIR] = "state_dir", [OPT_UNDERLAY] = "underlay", [OPT_PORT] = "port",
	[OPT_GROUP] = "group", [OPT_CTL] = "ctl_socket", [OPT_KEY_FILE] = "key_file",
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xenvnetd [-f] [-v] [-c CONFIG] [--state-dir DIR] [--underlay DEV]\n"
		   "                [--port N] [--group ADDR] [--ctl-socket PATH] [--key-file FILE]\n"
		   "Watches /vnet in xenstore (XENSTORED_PATH is honoured) and keeps a bridge and\n"
		   "a VXLAN tunnel per vnet in the kernel.  See xenvnetd(8).\n");
}

/* The config file, then the command line on top.  Used at start and on HUP. */
static int load_config(struct daemon *d, struct config *out, char *err, size_t errlen)
{
	config_defaults(out);
	if (config_load(out, d->config_path, d->config_given, err, errlen) < 0)
		return -1;
	for (int i = 0; i < d->nov; i++)
		if (config_set(out, d->ov_key[i], d->ov_val[i], err, errlen) < 0)
			return -1;
	return 0;
}

static void start_cluster(struct daemon *d, const char *key_err);

static void on_signal(void *arg, uint32_t events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	char err[512];

	(void)events;
	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct config c;
			struct auth_key key = { 0 };
			if (load_config(d, &c, err, sizeof(err)) < 0) {
				log_err("reload: %s; keeping the old configuration", err);
				continue;
			}
			/* Both checked before the running protocol is touched. */
			bool key_ok = auth_load_key(c.key_file, &key, err, sizeof(err)) == 0;
			if (!key_ok && cluster_running(d->cluster)) {
				log_err("reload: %s; keeping the old configuration and key", err);
				continue;
			}
			if (strcmp(c.state_dir, d->cfg.state_dir) || strcmp(c.ctl_socket, d->cfg.ctl_socket))
				log_warn("reload: state_dir and ctl_socket changes need a restart");
			snprintf(c.state_dir, sizeof(c.state_dir), "%s", d->cfg.state_dir);
			snprintf(c.ctl_socket, sizeof(c.ctl_socket), "%s", d->cfg.ctl_socket);
			if (c.control != d->cfg.control) /* devices and entries differ */
				log_warn("reload: a control change needs a restart; keeping the old one");
			c.control = d->cfg.control;
			d->cfg = c;
			log_info("configuration reloaded");
			if (d->esp)
				cesp_set_rekey(d->esp, c.esp_rekey_s);
			reconciler_config_changed(d->rec);
			vifs_set_lock_default(d->vifs, d->cfg.lock_vifs);
			cluster_stop(d->cluster);
			/* A new key: the old one is kept until every host
			 * has the new one (cluster_keyring.h). */
			if (key_ok && keyring_take(&d->keys, &key) && keyring_changing(&d->keys))
				log_info("reload: a new cluster key (id %08x; previous %08x kept until every host "
					 "has it)", d->keys.cur_id, d->keys.prev_id);
			start_cluster(d, key_ok ? NULL : err);
		} else {
			/* Kernel state stays: traffic keeps flowing while we are down. */
			log_info("signal %u: stopping, devices left in place", si.ssi_signo);
			loop_stop(d->loop);
		}
	}
}

/* xenstore events go to the module that placed the watch. */
static void xs_connected(void *arg, struct xs_handle *h)
{
	struct daemon *d = arg;

	reconciler_xs_connected(d->rec, h);
	if (xsconn_handle(d->xs) && vifs_connected(d->vifs, h) < 0)
		xsconn_failed(d->xs, errno);
	else if (xsconn_handle(d->xs))
		dp_lock_sync(d->lock); /* every vif read: the lock table can be whole */
}

static void xs_watch_event(void *arg, const char *path, const char *token)
{
	struct daemon *d = arg;
	struct xs_handle *h = xsconn_handle(d->xs);

	if (strcmp(token, "vif") == 0) {
		if (h && vifs_watch(d->vifs, h, path) < 0)
			xsconn_failed(d->xs, errno);
	} else {
		reconciler_xs_watch(d->rec, path);
	}
}

static void xs_lost(void *arg)
{
	struct daemon *d = arg;

	reconciler_xs_lost(d->rec);
}

static const struct xsconn_ops xs_ops = {
	.connected = xs_connected,
	.watch = xs_watch_event,
	.lost = xs_lost,
};

/* Membership follows the vnets: a vif joins when its bridge's vnet is up. */
static bool vnet_of_bridge(void *arg, const char *bridge, struct vnet_id *id)
{
	struct daemon *d = arg;
	const struct vnet_def *def = reconciler_find_bridge(d->rec, bridge);

	if (def)
		*id = def->id;
	return def != NULL;
}

/* What the announcer hands back once the bridge here points at the vif. */
struct member_tag {
	struct vnet_id vnet;
	uint8_t mac[6];
};

static void member_ready(void *arg, const void *tag)
{
	struct daemon *d = arg;
	const struct member_tag *m = tag;

	cluster_member(d->cluster, &m->vnet, m->mac, true);
}

/* Pin the member's MAC to its device here, then tell the other hosts
 * (member_ready): the bridge may still hold the MAC on the tunnel port
 * from when the domain lived elsewhere. */
static void announce_here(struct daemon *d, const struct vif *v)
{
	const struct vnet_def *def = reconciler_find_bridge(d->rec, v->bridge);
	struct member_tag tag = { .vnet = v->vnet };

	memcpy(tag.mac, v->mac, 6);
	host_announce_schedule(v->bridge, v->port, def ? def->vnetif : "", v->mac, v->ip, &tag, sizeof(tag));
}

static void member_changed(void *arg, const struct vif *v, bool present)
{
	struct daemon *d = arg;

	if (present) {
		announce_here(d, v);
	} else {
		host_announce_cancel(v->port);
		cluster_member(d->cluster, &v->vnet, v->mac, false);
	}
	log_info("vif %s (domain %u): %s vnet member %02x:%02x:%02x:%02x:%02x:%02x", v->port, v->domid,
		 present ? "now a" : "no longer a", v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4],
		 v->mac[5]);
}

/* control = evpn: a migration target's vif is plugged while the guest is
 * paused (xl's order); pinning its MAC there now lets zebra advertise the
 * move during the pause, not after Connected (host_announce_pin).  Our
 * protocol moves the MAC at Connected, in a few ms: nothing to do early. */
static void member_plugged(void *arg, const struct vif *v)
{
	struct daemon *d = arg;

	if (d->cfg.control == CONTROL_EVPN)
		host_announce_pin(v->bridge, v->dev, v->mac);
}

static void member_expected(void *arg, const struct vif *v)
{
	struct daemon *d = arg;

	cluster_prime(d->cluster, &v->vnet, v->mac);
	member_plugged(d, v); /* its device may be a port already */
}

static void member_attach(void *arg, const struct vif *v)
{
	struct daemon *d = arg;
	int rc = kern_link_attach(&d->kern, v->dev, v->bridge);

	if (rc > 0)
		log_info("vif %s: plugged back into %s", v->dev, v->bridge);
	if (rc > 0 && v->announced)
		announce_here(d, v); /* a new bridge: pin the MAC again */
	else if (rc < 0)
		log_warn("vif %s: cannot plug it into %s: %s", v->dev, v->bridge, nl_geterror(rc));
}

static void member_pin(void *arg, const struct vif *v)
{
	announce_here(arg, v);
}

/* A locked vif: its netback device and, for an HVM guest, its -emu tap. */
static void member_lock(void *arg, const struct vif *v, bool on)
{
	struct daemon *d = arg;
	char emu[IFNAMSIZ];
	bool has_emu = (size_t)snprintf(emu, sizeof(emu), "%s-emu", v->dev) < sizeof(emu);

	if (on)
		dp_lock_set(d->lock, v->dev, v->mac, v->ip);
	else
		dp_lock_clear(d->lock, v->dev);
	if (has_emu && on && v->emu)
		dp_lock_set(d->lock, emu, v->mac, v->ip);
	else if (has_emu)
		dp_lock_clear(d->lock, emu);
}

/* control = evpn: a bridge here dropped a MAC (cluster_evpn_watch_start).
 * A connected member's: pin it again, the pin alone (no frames: a source
 * being torn down must not teach other bridges that its guest is here). */
struct fdb_gone_ctx {
	int bridge;
	const uint8_t *mac;
};

static void repin_member(void *arg, const struct vif *v)
{
	const struct fdb_gone_ctx *g = arg;

	if (!v->announced || memcmp(v->mac, g->mac, 6) != 0 || (int)if_nametoindex(v->bridge) != g->bridge)
		return;
	log_info("vif %s (domain %u): %s dropped its MAC while it is connected: pinning it again", v->port,
		 v->domid, v->bridge);
	host_announce_pin(v->bridge, v->port, v->mac);
}

static void fdb_gone(void *arg, int bridge, const uint8_t mac[6])
{
	struct daemon *d = arg;
	struct fdb_gone_ctx g = { .bridge = bridge, .mac = mac };

	vifs_foreach(d->vifs, repin_member, &g);
}

static const struct vifs_ops vif_ops = {
	.vnet_of_bridge = vnet_of_bridge,
	.member = member_changed,
	.prime = member_expected,
	.attach = member_attach,
	.pin = member_pin,
	.plugged = member_plugged,
	.lock = member_lock,
};

static void vnet_changed(void *arg, const struct vnet_def *def, int tunnel)
{
	struct daemon *d = arg;

	cluster_vnet_secured(d->cluster, &def->id, tunnel && def->security != VNET_SEC_NONE);
	cluster_vnet_changed(d->cluster, &def->id, tunnel);
	vifs_recheck(d->vifs);
}

static void on_batch_errors(void *arg, uint32_t events)
{
	struct daemon *d = arg;

	(void)events;
	kern_batch_read_errors(&d->kern);
}

static void on_ctl(void *arg, uint32_t events)
{
	struct daemon *d = arg;

	(void)events;
	ctl_on_readable(d->ctl);
}

/* The control protocol runs only with a usable cluster key (d->keys);
 * key_err says why there is none. */
static void start_cluster(struct daemon *d, const char *key_err)
{
	char err[512];
	struct cluster_params p = {
		.port = d->cfg.control_port, .group = d->cfg.group, .ttl = d->cfg.ttl,
		.hello_ms = d->cfg.hello_ms, .hold_s = d->cfg.hold_s, .refresh_s = d->cfg.refresh_s,
		.flap_moves = d->cfg.flap_moves, .flap_s = d->cfg.flap_s,
		.max_hosts = d->cfg.max_hosts, .max_vnets_per_host = d->cfg.max_vnets_per_host,
		.max_macs_per_host = d->cfg.max_macs_per_host, .max_vni_entries = d->cfg.max_vni_entries,
	};

	if (d->esp)
		cesp_set_keys(d->esp, key_err ? NULL : &d->keys);
	if (d->cfg.control == CONTROL_EVPN) {
		log_info("control = evpn: FRR (bgpd + zebra) distributes the MACs, our protocol stays off");
		reconciler_set_learning(d->rec, false); /* zebra installs remote MACs */
		return;
	}
	if (key_err) {
		log_warn("control protocol off: %s; vnets run on flood-and-learn alone", key_err);
	} else if (cluster_start(d->cluster, &d->keys, &p, err, sizeof(err)) < 0) {
		log_err("control protocol: %s", err);
	} else {
		log_info("control protocol on port %u", p.port);
	}
	/* Remote MACs from authenticated announcements only, while they run. */
	reconciler_set_learning(d->rec, !cluster_running(d->cluster));
}

static void kernel_event(void *arg, const struct kern_event *ev)
{
	struct daemon *d = arg;

	reconciler_kernel_event(d->rec, ev);
	if (ev->name)
		vifs_link(d->vifs, ev->name, ev->master, ev->deleted);
}

static void on_kernel(void *arg, uint32_t events)
{
	struct daemon *d = arg;

	(void)events;
	kern_read_events(&d->kern, kernel_event, d);
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -1;
	return loop_add_fd(d->loop, d->sigfd, on_signal, d);
}

/* libxenctrl is not needed: vif membership comes from xenstore alone. */
static void note_hypervisor(void)
{
	if (access("/proc/xen/capabilities", R_OK) != 0 && access("/dev/xen/privcmd", F_OK) != 0)
		log_info("no Xen hypervisor found: running on xenstore alone");
}

static int parse_args(struct daemon *d, int argc, char **argv, bool *foreground, bool *verbose)
{
	char err[256];
	int c;

	struct config scratch;

	d->config_path = XENVNETD_DEFAULT_CONFIG;
	config_defaults(&scratch);
	while ((c = getopt_long(argc, argv, "fc:v", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': *foreground = true; break;
		case 'v': *verbose = true; break;
		case 'c': d->config_path = optarg; d->config_given = true; break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: printf("xenvnetd %s (xenvnet)\n", VERSION); exit(0);
		case OPT_STATE_DIR: case OPT_UNDERLAY: case OPT_PORT: case OPT_GROUP: case OPT_CTL:
		case OPT_KEY_FILE:
			if (config_set(&scratch, opt_key[c], optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "xenvnetd: --%s\n", err);
				return -1;
			}
			if (d->nov < (int)(sizeof(d->ov_key) / sizeof(d->ov_key[0]))) {
				d->ov_key[d->nov] = opt_key[c];
				d->ov_val[d->nov++] = optarg;
			}
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .sigfd = -1 };
	bool foreground = false, verbose = false;
	char err[512];
	int rc = 1;

	if (parse_args(&d, argc, argv, &foreground, &verbose) < 0)
		return 2;
	if (load_config(&d, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "xenvnetd: %s\n", err);
		return 2;
	}
	log_init("xenvnetd", foreground, verbose);
	if (persist_init(d.cfg.state_dir, err, sizeof(err)) < 0 ||
	    kern_open(&d.kern, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return 1;
	}
	/* zebra knows VNIs on VXLAN devices only: evpn runs on VXLAN */
	const bool evpn = d.cfg.control == CONTROL_EVPN;
	const struct dataplane_ops *dp = evpn && strcmp(d.cfg.dataplane, "vnet") == 0 ? NULL
		: dataplane_select(evpn ? "vxlan" : d.cfg.dataplane, err, sizeof(err));
	if (evpn && !dp)
		snprintf(err, sizeof(err), "control = evpn needs dataplane vxlan (or auto): zebra speaks VXLAN");
	if (!dp) {
		log_err("%s", err);
		return 1;
	}
	note_hypervisor();
	d.loop = loop_new();
	if (!d.loop || setup_signals(&d) < 0) {
		log_err("event loop: %s", strerror(errno));
		goto out;
	}
	if (peers_load(&d.peers, d.cfg.state_dir, err, sizeof(err)) < 0)
		log_err("%s", err);
	d.rec = reconciler_new(d.loop, &d.kern, dp, &d.cfg);
	d.lock = dp_lock_new(d.loop);
	d.vifs = vifs_new(&vif_ops, &d);
	if (d.vifs)
		vifs_set_lock_default(d.vifs, d.cfg.lock_vifs);
	d.xs = xsconn_new(d.loop, &xs_ops, &d);
	d.cluster = d.rec ? cluster_new(d.loop, &d.kern, dp, d.rec, &d.peers) : NULL;
	if (!d.rec || !d.lock || !d.vifs || !d.xs || !d.cluster || vifs_set_xs(d.vifs, d.xs) < 0 ||
	    xsconn_watch(d.xs, VNET_XS_ROOT, "vnet") < 0 || xsconn_watch(d.xs, VIFS_XS_ROOT, "vif") < 0 ||
	    loop_add_fd(d.loop, kern_event_fd(&d.kern), on_kernel, &d) < 0 ||
	    loop_add_fd(d.loop, kern_batch_fd(&d.kern), on_batch_errors, &d) < 0) {
		log_err("start-up: %s", strerror(errno));
		goto out;
	}
	if ((d.esp = cesp_new(d.loop, d.cfg.esp_rekey_s, d.cfg.state_dir))) {
		reconciler_set_esp(d.rec, d.esp);
		cluster_set_esp(d.cluster, d.esp);
	}
	d.rt = (struct runtime){ .rec = d.rec, .k = &d.kern, .dp = dp, .vifs = d.vifs, .esp = d.esp,
				 .cluster = d.cluster, .peers = &d.peers, .cfg = &d.cfg, .xs = d.xs,
				 .version = VERSION, .started_ms = loop_now_ms() };
	d.ctl = ctl_open(d.cfg.ctl_socket, &runtime_ctl_ops, &d.rt, err, sizeof(err));
	if (!d.ctl || loop_add_fd(d.loop, ctl_fd(d.ctl), on_ctl, &d) < 0) {
		log_err("control socket: %s", d.ctl ? strerror(errno) : err);
		goto out;
	}
	ctl_monitor_init(d.loop);
	ctl_metrics_file_start(d.loop, &d.cfg, &runtime_ctl_ops, &d.rt);
	svc_ready(&d.svc, d.loop); /* Type=notify: `systemctl start` returns now */
	reconciler_set_xs(d.rec, d.xs);
	reconciler_on_change(d.rec, vnet_changed, &d);
	struct auth_key key = { 0 };
	bool key_ok = auth_load_key(d.cfg.key_file, &key, err, sizeof(err)) == 0;
	if (key_ok)
		keyring_take(&d.keys, &key);
	char prev_path[sizeof(d.cfg.state_dir) + 32];
	snprintf(prev_path, sizeof(prev_path), "%s/cluster.key.previous", d.cfg.state_dir);
	if (keyring_keep_in(&d.keys, prev_path))
		log_info("a cluster key change goes on: previous key %08x kept until every host has %08x",
			 d.keys.prev_id, d.keys.cur_id);
	start_cluster(&d, key_ok ? NULL : err);
	/* After the signals are blocked: the announcer thread takes none. */
	host_announce_set_sticky(d.cfg.control != CONTROL_EVPN);
	if (host_announce_start(d.loop, member_ready, &d, err, sizeof(err)) < 0)
		log_err("%s: no host-side announcements after migrations", err);
	if (d.cfg.control == CONTROL_EVPN && cluster_evpn_watch_start(d.loop, fdb_gone, &d, err, sizeof(err)) < 0)
		log_err("%s: after a failed migration the source takes its MAC back only from its frames", err);
	log_info("xenvnetd %s: data plane %s, port %u, state in %s", VERSION, dp->kind,
		 d.cfg.port, d.cfg.state_dir);
	xsconn_start(d.xs);
	rc = loop_run(d.loop) < 0 ? 1 : 0;
out:
	svc_stopping(&d.svc);
	ctl_metrics_file_stop();
	ctl_monitor_stop();
	ctl_close(d.ctl);
	host_announce_stop();
	cluster_evpn_watch_stop();
	cluster_free(d.cluster);
	cesp_free(d.esp); /* SAs and policies stay, like the devices */
	xsconn_free(d.xs);
	vifs_free(d.vifs);
	dp_lock_free(d.lock);
	reconciler_free(d.rec);
	keyring_free(&d.keys);
	peers_free(&d.peers);
	if (d.sigfd >= 0)
		close(d.sigfd);
	loop_free(d.loop);
	dp_group_leave();
	kern_close(&d.kern);
	return rc;
}
