/* Daemon configuration: the config file, overridden by the command line. */
#ifndef XENVNETD_CONFIG_H
#define XENVNETD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XENVNETD_DEFAULT_CONFIG    "/etc/xenvnet/xenvnetd.conf"
#define XENVNETD_DEFAULT_STATE_DIR "/var/lib/xenvnetd"
#define XENVNETD_DEFAULT_CTL       "/run/xenvnetd/xenvnetd.sock"
#define XENVNETD_DEFAULT_PORT      1798
#define XENVNETD_DEFAULT_GROUP     "224.10.0.1"
#define XENVNETD_DEFAULT_GROUP6    "ff05::a:1798"
#define XENVNETD_DEFAULT_KEY_FILE  "/etc/xenvnet/cluster.key"
#define XENVNETD_DEFAULT_CTL_PORT  1799
#define XENVNETD_DEFAULT_MAX_HOSTS 1024
#define XENVNETD_DEFAULT_MAX_VNETS_PER_HOST 4096
#define XENVNETD_DEFAULT_MAX_MACS_PER_HOST 131072
#define XENVNETD_DEFAULT_MAX_VNI_ENTRIES 262144

/* Who tells the hosts where MACs live: our control protocol, or FRR's
 * BGP EVPN (bgpd + zebra on every host; cluster_evpn.h). */
enum config_control { CONTROL_OWN, CONTROL_EVPN };
#define XENVNETD_DEFAULT_EVPN_ASN 65000

struct config {
	char underlay[16];    /* empty: pick the first device with an address */
	uint16_t port;        /* the tunnels' UDP port */
	char dataplane[8];    /* auto, vxlan or vnet (dataplane.h) */
	char group[64];       /* multicast group for flooding; empty: family default */
	char state_dir[256];
	char ctl_socket[108];
	/* the host-to-host control protocol */
	char key_file[256];   /* cluster key; the protocol stays off without it */
	uint16_t control_port;
	unsigned ttl;         /* multicast TTL of discovery and flooding */
	unsigned hello_ms;
	unsigned hold_s;
	unsigned refresh_s;
	unsigned flap_moves;  /* RFC 7432 15.1: 5 moves ... */
	unsigned flap_s;      /* ... in 180 s */
	char metrics_file[256];       /* empty: no textfile for node_exporter */
	unsigned metrics_interval_s;  /* how often it is written */
	/* what other hosts can make us keep (issue 10) */
	unsigned max_hosts;
	unsigned max_vnets_per_host;
	unsigned max_macs_per_host;
	unsigned max_vni_entries;     /* (host, vnet, VNI, MTU) from HELLOs, all hosts */
	enum config_control control;  /* a change needs a restart */
	/* control = evpn: only vn frr-config reads these (the status reply) */
	unsigned evpn_asn;            /* BGP AS of every host (iBGP) */
	char evpn_neighbors[256];     /* route reflectors (or peers), space-separated */
	bool lock_vifs;       /* vif locking where the backend does not say (dp_lock.h) */
};

void config_defaults(struct config *c);

/* Read "key = value" lines from path into c.  A missing file is fine when
 * !must_exist.  Returns 0, or -1 with a reason (file:line) in err. */
int config_load(struct config *c, const char *path, bool must_exist, char *err, size_t errlen);

/* Set one option by name, as the file or the command line gives it. */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);

#endif
