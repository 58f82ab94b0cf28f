#include "fuzz_env.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "persist.h"
#include "xs.h"

static struct fenv env;
static int tx[256];   /* a sending socket per 192.0.2.n, made when first used */

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "fuzz_env: %s failed: %s\n", #x, strerror(errno)); abort(); } } while (0)

struct proto_addr fenv_addr(uint8_t n)
{
	struct in_addr in = { htonl(0xc0000200u | n) };
	struct proto_addr a;

	proto_addr_from_in(&a, &in);
	return a;
}

uint64_t fenv_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the recording data plane ---- */

static struct fenv_fdb *fdb_find(int tunnel, const uint8_t mac[6])
{
	for (size_t i = 0; i < env.nfdb; i++)
		if (env.fdb[i].tunnel == tunnel && !memcmp(env.fdb[i].mac, mac, 6))
			return &env.fdb[i];
	return NULL;
}

static int rec_fdb_set(struct kern *k, int tunnel, const uint8_t mac[6], const struct dp_host *host)
{
	struct fenv_fdb *f = fdb_find(tunnel, mac);

	(void)k;
	if (!f) {
		if (env.nfdb == env.fdbcap) {
			env.fdbcap = env.fdbcap ? 2 * env.fdbcap : 64;
			CHECK((env.fdb = realloc(env.fdb, env.fdbcap * sizeof(*env.fdb))));
		}
		f = &env.fdb[env.nfdb++];
		f->tunnel = tunnel;
		memcpy(f->mac, mac, 6);
	}
	f->host = *host;
	return 0;
}

static int rec_fdb_del(struct kern *k, int tunnel, const uint8_t mac[6])
{
	struct fenv_fdb *f = fdb_find(tunnel, mac);

	(void)k;
	if (f)
		*f = env.fdb[--env.nfdb];
	return 0;
}

void fenv_device_gone(struct fenv *e, int tunnel)
{
	for (size_t i = 0; i < e->nfdb;) {
		if (e->fdb[i].tunnel == tunnel)
			e->fdb[i] = e->fdb[--e->nfdb];
		else
			i++;
	}
}

static int rec_flood(struct kern *k, int tunnel, const struct dp_host *host)
{
	(void)k, (void)tunnel, (void)host;
	return 0;
}

static int rec_flush(struct kern *k)
{
	(void)k;
	return 0;
}

/* No vnet reaches the reconciler (there is no xenstore): never called. */
static int rec_apply(struct kern *k, const char *key, const struct vnet_def *def,
		     const struct kern_underlay *u, const struct dp_params *p, char *err, size_t errlen)
{
	(void)k, (void)key, (void)def, (void)u, (void)p, (void)err, (void)errlen;
	abort();
}

static int rec_remove(struct kern *k, const char *key, const char *name)
{
	(void)k, (void)key, (void)name;
	abort();
}

static const struct dataplane_ops recording = {
	.kind = "recording", .apply = rec_apply, .remove = rec_remove, .fdb_set = rec_fdb_set,
	.fdb_del = rec_fdb_del, .flood_add = rec_flood, .flood_del = rec_flood, .flush = rec_flush,
};

/* ---- set-up ---- */

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "fuzz_env: '%s' failed\n", cmd);
		abort();
	}
}

static const struct vifs_ops no_vifs;     /* no xenstore, so no vif ever */
static const struct xsconn_ops no_xs;

static void setup(void)
{
	char err[512], dir[] = "/tmp/xenvnet-fuzz.XXXXXX";
	uint8_t k[32];

	/* Our own network namespace: nothing we do is seen outside.  On the
	 * loopback, 192.0.2.1/24 makes the whole /24 local (any source). */
	CHECK(unshare(CLONE_NEWNET) == 0);
	sh("ip link set lo up && ip link set lo multicast on && ip addr add 192.0.2.1/24 dev lo && "
	   "ip route add 224.0.0.0/4 dev lo");
	/* The daemon's log lines, millions of them, go nowhere unless asked
	 * for (libFuzzer and the sanitizers keep the real stderr). */
	if (!getenv("FUZZ_LOG"))
		CHECK((stderr = fopen("/dev/null", "w")));
	log_init("xenvnetd-fuzz", true, false);
	CHECK(mkdtemp(dir));
	config_defaults(&env.cfg);
	snprintf(env.cfg.underlay, sizeof(env.cfg.underlay), "lo");
	snprintf(env.cfg.state_dir, sizeof(env.cfg.state_dir), "%s", dir);
	env.cfg.max_hosts = FENV_MAX_HOSTS;
	env.cfg.max_vnets_per_host = FENV_MAX_VNETS;
	env.cfg.max_macs_per_host = FENV_MAX_MACS;
	CHECK(persist_init(dir, err, sizeof(err)) == 0);
	CHECK(kern_open(&env.kern, err, sizeof(err)) == 0);
	CHECK((env.loop = loop_new()));
	CHECK(peers_load(&env.peers, dir, err, sizeof(err)) == 0);
	CHECK((env.rec = reconciler_new(env.loop, &env.kern, &recording, &env.cfg)));
	CHECK(reconciler_underlay(env.rec));
	CHECK((env.vifs = vifs_new(&no_vifs, NULL)));
	CHECK((env.cluster = cluster_new(env.loop, &env.kern, &recording, env.rec, &env.peers)));
	struct xsconn *xs = xsconn_new(env.loop, &no_xs, NULL);
	CHECK(xs);
	env.rt = (struct runtime){ .rec = env.rec, .k = &env.kern, .dp = &recording, .vifs = env.vifs,
				   .cluster = env.cluster, .peers = &env.peers, .cfg = &env.cfg, .xs = xs,
				   .version = "fuzz", .started_ms = loop_now_ms() };
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i; /* the key of docs/control-wire.md's worked example */
	struct auth_key key = { 0 };
	CHECK(auth_key_set(&key, k, sizeof(k), NULL, 0) == 0);
	keyring_take(&env.keys, &key);
	struct cluster_params p = {
		.port = env.cfg.control_port, .group = env.cfg.group, .ttl = env.cfg.ttl,
		.hello_ms = env.cfg.hello_ms, .hold_s = env.cfg.hold_s, .refresh_s = env.cfg.refresh_s,
		.flap_moves = env.cfg.flap_moves, .flap_s = env.cfg.flap_s,
		.max_hosts = env.cfg.max_hosts, .max_vnets_per_host = env.cfg.max_vnets_per_host,
		.max_macs_per_host = env.cfg.max_macs_per_host, .max_vni_entries = env.cfg.max_vni_entries,
	};
	CHECK(cluster_start(env.cluster, &env.keys, &p, err, sizeof(err)) == 0);
	env.self = fenv_addr(1);
	for (int i = 0; i < 256; i++)
		tx[i] = -1;
	fenv_settle(&env);
}

struct fenv *fenv_get(void)
{
	if (!env.loop)
		setup();
	return &env;
}

static uint64_t total(const struct proto_stats *s)
{
	return s->ok + s->bad_mac + s->replayed + s->dup + s->stale + s->malformed + s->version + s->own;
}

void fenv_settle(struct fenv *e)
{
	/* Loopback delivers before sendto returns; a few turns drain what
	 * our own answers (their multicast comes back as "own") queue. */
	for (int i = 0; i < 64; i++) {
		uint64_t before = total(cluster_stats(e->cluster));
		CHECK(loop_run_once(e->loop) == 0);
		if (total(cluster_stats(e->cluster)) == before)
			return;
	}
}

static int sock_for(uint8_t src)
{
	if (tx[src] >= 0)
		return tx[src];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0xc0000200u | src) };
	struct in_addr lo = { htonl(0xc0000201u) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;

	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo)) == 0);
	return tx[src] = fd;
}

void fenv_resend(struct fenv *e, const uint8_t *buf, size_t len, uint8_t src, bool multicast)
{
	const char *group = *e->cfg.group ? e->cfg.group : XENVNETD_DEFAULT_GROUP;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(e->cfg.control_port) };
	uint64_t before = total(cluster_stats(e->cluster));

	if (multicast)
		CHECK(inet_pton(AF_INET, group, &to.sin_addr) == 1);
	else
		to.sin_addr.s_addr = htonl(0xc0000201u);
	CHECK(sendto(sock_for(src), buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len);
	/* Read until the daemon has counted it (accepted or dropped). */
	for (int i = 0; total(cluster_stats(e->cluster)) == before; i++) {
		CHECK(i < 100000);
		CHECK(loop_run_once(e->loop) == 0);
		if (i > 100)
			sched_yield();
	}
	fenv_settle(e);
}

ssize_t fenv_send(struct fenv *e, struct proto_msg *m, uint8_t src, bool multicast)
{
	uint8_t buf[PROTO_MAX_LEN];
	ssize_t len = proto_encode(m, &e->keys.cur, buf, sizeof(buf));

	if (len > 0)
		fenv_resend(e, buf, (size_t)len, src, multicast);
	return len;
}
