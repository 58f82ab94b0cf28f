/* SAs per host pair and level, moved from epoch to epoch at boundaries. */
#include "cluster_esp.h"
#include "cluster_esp_gen.h"
#include "cluster_esp_rot.h"
#include "cluster_keyring.h"
#include "cluster_keys.h"
#include "dp_esp.h"
#include "log.h"
#include "vnet_err.h"
#include "vnet_grow.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/errno.h>

static const enum ckeys_level levels[] = { CKEYS_AUTH, CKEYS_CONF };
#define NLEVELS 2
/* A host the cluster forgot (silent for hold_s: often a loaded host or a
 * restarting daemon, whose kernel still sends) keeps its SAs this long. */
#define GONE_KEEP_MS (10u * 60u * 1000u)
/* Epochs skipped at once (a stalled loop) whose SAs are looked for. */
#define SKIP_MAX 8u

struct peer {
	struct dp_esp_addr a;
	bool installed;      /* SAs of epoch `epoch` are in (or adopted) */
	bool gone;           /* forgotten by the cluster: SAs kept a while */
	uint64_t gone_ms;
	uint32_t epoch;
	uint64_t gen;         /* its SA generation (HELLO): our inbound SAs from it */
	bool has_off;         /* its HELLO announced a key epoch offset: */
	uint32_t off;
	uint32_t refused_off; /* the last offset refused from it (logged once) */
	bool has_kid;         /* its HELLO announced its cluster key's id: */
	uint32_t kid;
};

/* A cluster key as the derivation's input keying material. */
struct ikey {
	uint8_t b[AUTH_KEY_MAX];
	size_t len;           /* 0: none */
	uint32_t id;          /* auth_key_id() */
};
#define CUR 0
#define PREV 1

struct cesp {
	struct loop *loop;
	struct timer tick;
	struct dp_esp *dp;
	char dp_err[160];
	uint64_t gen;        /* ours: every SA we send with */
	/* the current cluster key and, during a key change, the previous
	 * one (cluster_keyring.h): inbound SAs of both, outbound of the one
	 * each peer holds */
	struct ikey key[2];
	unsigned rekey_s;
	uint32_t offset;     /* cluster-wide, added to the wall-clock epoch */
	char *state_dir;     /* where the generation and the offset are kept */
	/* the underlay the guards and SAs are for */
	struct dp_esp_addr local;
	uint16_t base;
	bool have_local, probed, probe_ok;
	char probe_err[200];
	bool guarded[NLEVELS];
	bool active;
	uint32_t epoch;
	uint64_t errors;
	struct peer *v;
	size_t n, cap;
};

static bool running(const struct cesp *e);

static uint32_t epoch_now(const struct cesp *e, uint64_t *ms_to_next)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return cesp_rot_epoch((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, e->rekey_s,
			      e->offset, ms_to_next);
}

uint16_t cesp_port(uint16_t base, enum vnet_security level)
{
	return level == VNET_SEC_AUTH ? (uint16_t)(base + 2) : level == VNET_SEC_CONF ? (uint16_t)(base + 3) : base;
}

static void refused(struct cesp *e, const char *what, const struct peer *p, int rc)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (p)
		inet_ntop(p->a.family, p->a.b, a, sizeof(a));
	e->errors++;
	log_err("esp: %s%s%s refused: %s", what, p ? " with " : "", a, nl_geterror(rc));
}

/* @gen is the sender's: ours for outbound SAs, the peer's for inbound. */
static int derive(const struct ikey *k, enum ckeys_level lvl, uint32_t epoch, uint64_t gen,
		  const struct dp_esp_addr *src, const struct dp_esp_addr *dst, struct ckeys_sa *sa)
{
	return ckeys_derive(k->b, k->len, lvl, epoch, src->family, src->b, dst->b, gen, sa);
}

/* The key our SAs to @p derive from: the previous one while a key change
 * is under way and @p has not announced the current one (its inbound SAs
 * are of the previous key then); else the current one. */
static const struct ikey *out_key(const struct cesp *e, const struct peer *p)
{
	if (e->key[PREV].len && !(p->has_kid && p->kid == e->key[CUR].id))
		return &e->key[PREV];
	return &e->key[CUR];
}

/* Seconds from now to the end of the wall-clock period after @epoch's:
 * the kernel removes an SA then even when no daemon runs (no SA outlives
 * its use, whatever a crash left behind; a daemon down that long cannot
 * follow the rotation anyway, so the pair drops traffic, never sends
 * clear). */
static uint64_t hard_lifetime(const struct cesp *e, uint32_t epoch)
{
	return cesp_rot_hard_s(epoch, e->offset, e->rekey_s, (uint64_t)time(NULL));
}

/* Add (or adopt) the SA sent by src to dst in epoch.  -1 when refused. */
static int sa_add(struct cesp *e, struct peer *p, const struct ikey *k, enum ckeys_level lvl, uint32_t epoch,
		  uint64_t gen, const struct dp_esp_addr *src, const struct dp_esp_addr *dst)
{
	uint64_t hard_s = hard_lifetime(e, epoch);
	struct ckeys_sa sa;
	int rc = derive(k, lvl, epoch, gen, src, dst, &sa) < 0 ? -NLE_FAILURE
		 : dp_esp_sa_add(e->dp, lvl, src, dst, &sa, hard_s);

	ckeys_wipe(&sa);
	if (rc < 0)
		refused(e, "SA", p, rc);
	return rc < 0 ? -1 : 0;
}

static void sa_del(struct cesp *e, const struct ikey *k, enum ckeys_level lvl, uint32_t epoch, uint64_t gen,
		   const struct dp_esp_addr *src, const struct dp_esp_addr *dst)
{
	struct ckeys_sa sa;

	if (k->len && derive(k, lvl, epoch, gen, src, dst, &sa) == 0)
		dp_esp_sa_del(e->dp, src, dst, sa.spi);
	ckeys_wipe(&sa);
}

/* Remove the level's SAs of epochs from..to-1 (at most SKIP_MAX). */
static void sa_del_range(struct cesp *e, const struct ikey *k, enum ckeys_level l, uint32_t from, uint32_t to,
			 uint64_t gen, const struct dp_esp_addr *src, const struct dp_esp_addr *dst)
{
	for (uint32_t x = from, n = 0; x != to && n < SKIP_MAX; x++, n++)
		sa_del(e, k, l, x, gen, src, dst);
}

/* Every SA with @p derived from @k: inbound of epochs ep-2..ep+1, ours of
 * ep-1..ep (a key no longer held). */
static void key_del(struct cesp *e, const struct peer *p, const struct ikey *k)
{
	for (size_t i = 0; i < NLEVELS; i++) {
		sa_del_range(e, k, levels[i], p->epoch - 2, p->epoch + 2, p->gen, &p->a, &e->local);
		sa_del_range(e, k, levels[i], p->epoch - 1, p->epoch + 1, e->gen, &e->local, &p->a);
	}
}

/* Bring the peer to epoch ep, make-before-break: inbound SAs of ep-1..ep+1
 * first (the peer may already send with ep+1), of each key held, then our
 * outbound SA of ep (the kernel sends with the newest SA the policy's
 * reqid finds), then the policy that sends through it; only then the SAs
 * of older epochs go, also those of epochs skipped when the loop was held
 * up past a boundary, and our SA of ep under the other key (a switch of
 * key: the peer announced the current one). */
static void peer_install(struct cesp *e, struct peer *p, uint32_t ep)
{
	/* the epoch installed before; ep itself when none, or when the
	 * clock went back (never remove what is being added) */
	uint32_t old = p->installed && (int32_t)(ep - p->epoch) > 0 ? p->epoch : ep;
	const struct ikey *out = out_key(e, p);
	bool ok = true;

	for (size_t i = 0; i < NLEVELS; i++) {
		enum ckeys_level l = levels[i];
		uint16_t port = cesp_port(e->base, (enum vnet_security)l);
		int rc;

		for (size_t k = 0; k < 2; k++)
			for (uint32_t d = 0; d < 3 && e->key[k].len; d++)
				ok &= sa_add(e, p, &e->key[k], l, ep - 1 + d, p->gen, &p->a, &e->local) == 0;
		ok &= sa_add(e, p, out, l, ep, e->gen, &e->local, &p->a) == 0;
		if ((rc = dp_esp_policy(e->dp, true, DP_ESP_PAIR_OUT, l, &e->local, &p->a, port)) < 0) {
			refused(e, "policy", p, rc);
			ok = false;
		}
		for (size_t k = 0; k < 2; k++) {
			const struct ikey *kk = &e->key[k];

			sa_del_range(e, kk, l, old - 1, kk == out ? ep : ep + 1, e->gen, &e->local, &p->a);
			sa_del_range(e, kk, l, old - 2, ep - 1, p->gen, &p->a, &e->local);
		}
	}
	p->installed = ok;
	p->epoch = ep;
}

/* The pair policy goes first: the guard then blocks what was sent to the
 * peer, and no frame leaves without an SA.  Our outbound SAs stay until
 * their hard lifetime: the host may come back within the epoch, and an
 * outbound SA added again would start its sequence numbers over under the
 * same key (a nonce repeat for conf); found in place, it is adopted. */
static void peer_uninstall(struct cesp *e, struct peer *p)
{
	for (size_t i = 0; i < NLEVELS; i++) {
		enum ckeys_level l = levels[i];

		dp_esp_policy(e->dp, false, DP_ESP_PAIR_OUT, l, &e->local, &p->a, cesp_port(e->base, (enum vnet_security)l));
		for (size_t k = 0; k < 2; k++)
			sa_del_range(e, &e->key[k], l, p->epoch - 2, p->epoch + 2, p->gen, &p->a, &e->local);
	}
	p->installed = false;
}

/* The peer's generation changed (it rebooted): inbound SAs derived from the
 * new one first, then the old ones go (its kernel no longer has them). */
static void peer_regen(struct cesp *e, struct peer *p, uint64_t gen)
{
	uint64_t old = p->gen;
	bool ok = true;

	p->gen = gen;
	if (!running(e) || !p->installed)
		return;
	for (size_t i = 0; i < NLEVELS; i++) {
		enum ckeys_level l = levels[i];

		for (size_t k = 0; k < 2; k++)
			for (uint32_t d = 0; d < 3 && e->key[k].len; d++)
				ok &= sa_add(e, p, &e->key[k], l, p->epoch - 1 + d, gen, &p->a, &e->local) == 0;
		for (size_t k = 0; k < 2; k++)
			sa_del_range(e, &e->key[k], l, p->epoch - 2, p->epoch + 2, old, &p->a, &e->local);
	}
	p->installed = ok;
}

static bool running(const struct cesp *e)
{
	return e->dp && e->active && e->have_local && e->probe_ok && e->key[CUR].len;
}

static void on_tick(void *arg)
{
	struct cesp *e = arg;
	uint64_t next;
	uint32_t ep = epoch_now(e, &next);

	if (running(e) && ep != e->epoch) {
		log_info("esp: key epoch %u (was %u), %zu hosts", ep, e->epoch, e->n);
		for (size_t i = 0; i < e->n;) {
			if (!e->v[i].gone || loop_now_ms() - e->v[i].gone_ms < GONE_KEEP_MS) {
				i++;
				continue;
			}
			if (e->v[i].installed)
				peer_uninstall(e, &e->v[i]);
			e->v[i] = e->v[--e->n];
		}
		for (size_t i = 0; i < e->n; i++)
			if (e->v[i].a.family == e->local.family)
				peer_install(e, &e->v[i], ep);
	}
	e->epoch = ep;
	loop_timer_arm(e->loop, &e->tick, (unsigned)next + 1);
}

static void install_all(struct cesp *e)
{
	e->epoch = epoch_now(e, NULL);
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].a.family == e->local.family)
			peer_install(e, &e->v[i], e->epoch);
}

static void uninstall_all(struct cesp *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].installed || e->v[i].epoch)
			peer_uninstall(e, &e->v[i]);
}

struct cesp *cesp_new(struct loop *l, unsigned rekey_s, const char *state_dir)
{
	struct cesp *e = calloc(1, sizeof(*e));
	int out;

	if (!e)
		return NULL;
	e->loop = l;
	e->rekey_s = rekey_s ? rekey_s : 3600;
	if (!(e->state_dir = strdup(state_dir))) {
		free(e);
		return NULL;
	}
	e->offset = cesp_offset_load(state_dir);
	timer_init(&e->tick, on_tick, e);
	e->dp = dp_esp_new(e->dp_err, sizeof(e->dp_err));
	/* Before any SA is added: are the ones we sent with still there? */
	out = e->dp ? dp_esp_count_out(e->dp) : 0;
	if (out < 0)
		log_err("esp: listing the kernel's SAs: %s", nl_geterror(out));
	e->gen = cesp_gen_load(state_dir, out > 0);
	if (!e->gen && e->dp) {
		dp_esp_free(e->dp);
		e->dp = NULL;
		snprintf(e->dp_err, sizeof(e->dp_err), "no random SA generation");
	}
	return e;
}

uint64_t cesp_gen(const struct cesp *e)
{
	return e ? e->gen : 0;
}

void cesp_free(struct cesp *e)
{
	if (!e)
		return;
	loop_timer_cancel(e->loop, &e->tick);
	dp_esp_free(e->dp);
	OPENSSL_cleanse(e->key, sizeof(e->key));
	free(e->state_dir);
	free(e->v);
	free(e);
}

static void ikey_set(struct ikey *to, const struct auth_key *k, uint32_t id)
{
	OPENSSL_cleanse(to, sizeof(*to));
	if (k && k->len) {
		memcpy(to->b, k->secret, k->len);
		to->len = k->len;
		to->id = id;
	}
}

static bool ikey_same(const struct ikey *a, const struct ikey *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

void cesp_set_keys(struct cesp *e, const struct keyring *r)
{
	struct ikey was[2], now[2];
	bool was_running = running(e);

	ikey_set(&now[CUR], r ? &r->cur : NULL, r ? r->cur_id : 0);
	ikey_set(&now[PREV], r ? &r->prev : NULL, r ? r->prev_id : 0);
	if (ikey_same(&now[CUR], &e->key[CUR]) && ikey_same(&now[PREV], &e->key[PREV])) {
		OPENSSL_cleanse(now, sizeof(now));
		return;
	}
	if (was_running && !now[CUR].len)
		uninstall_all(e); /* the pair policies go: the guards drop */
	memcpy(was, e->key, sizeof(was));
	memcpy(e->key, now, sizeof(now));
	OPENSSL_cleanse(now, sizeof(now));
	if (running(e)) {
		/* make-before-break: the SAs of the keys held now (each peer's
		 * outbound moved to the key it holds), then those of a key
		 * no longer held go */
		if (!was_running)
			install_all(e);
		for (size_t i = 0; was_running && i < e->n; i++)
			if (e->v[i].installed && e->v[i].a.family == e->local.family)
				peer_install(e, &e->v[i], e->v[i].epoch);
		for (size_t k = 0; was_running && k < 2; k++) {
			if (!was[k].len || ikey_same(&was[k], &e->key[CUR]) || ikey_same(&was[k], &e->key[PREV]))
				continue;
			for (size_t i = 0; i < e->n; i++)
				if (e->v[i].a.family == e->local.family)
					key_del(e, &e->v[i], &was[k]);
		}
	}
	OPENSSL_cleanse(was, sizeof(was));
}

void cesp_set_rekey(struct cesp *e, unsigned rekey_s)
{
	if (!rekey_s || rekey_s == e->rekey_s)
		return;
	if (running(e))
		uninstall_all(e);
	e->rekey_s = rekey_s;
	if (running(e)) {
		install_all(e);
		on_tick(e);
	}
}

static bool same_addr(const struct dp_esp_addr *a, const struct dp_esp_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16) == 0;
}

static void to_esp_addr(int family, const void *addr, struct dp_esp_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->b, addr, family == AF_INET ? 4 : 16);
}

static void set_local(struct cesp *e, const struct kern_underlay *u, uint16_t base)
{
	struct dp_esp_addr l;

	to_esp_addr(u->family, &u->addr, &l);
	if (e->have_local && same_addr(&l, &e->local) && base == e->base)
		return;
	if (running(e))
		uninstall_all(e);
	e->local = l;
	e->base = base;
	e->have_local = true;
	e->probed = e->probe_ok = false;
	memset(e->guarded, 0, sizeof(e->guarded));
	for (size_t i = 0; i < e->n; i++)
		e->v[i].installed = false;
}

int cesp_ready(struct cesp *e, const struct kern_underlay *u, uint16_t base, enum vnet_security level,
	       char *why, size_t whylen)
{
	size_t li = level == VNET_SEC_AUTH ? 0 : 1;
	bool was_running;
	int rc;

	if (!e->dp)
		return vnet_err(why, whylen, "security %s needs ESP: %s", vnet_security_name(level), e->dp_err);
	was_running = running(e);
	set_local(e, u, base);
	if (!e->probed) {
		e->probed = true;
		e->probe_ok = dp_esp_probe(e->dp, &e->local, e->probe_err, sizeof(e->probe_err)) == 0;
		if (!e->probe_ok)
			log_err("esp: %s", e->probe_err);
	}
	if (!e->probe_ok)
		return vnet_err(why, whylen, "security %s needs ESP: %s; refusing to carry it in clear text",
				vnet_security_name(level), e->probe_err);
	if (!e->guarded[li]) {
		uint16_t port = cesp_port(base, level);

		if ((rc = dp_esp_policy(e->dp, true, DP_ESP_GUARD_OUT, (enum ckeys_level)level, &e->local, NULL, port)) < 0 ||
		    (rc = dp_esp_policy(e->dp, true, DP_ESP_GUARD_IN, (enum ckeys_level)level, &e->local, NULL, port)) < 0)
			return vnet_err(why, whylen, "security %s: guard policies on port %u refused: %s",
					vnet_security_name(level), port, nl_geterror(rc));
		e->guarded[li] = true;
	}
	if (!e->key[CUR].len)
		return vnet_err(why, whylen, "security %s needs the cluster key (the control protocol is off)",
				vnet_security_name(level));
	e->active = true;
	if (!was_running) {
		install_all(e);
		on_tick(e);
	}
	return 0;
}

static size_t find_peer(const struct cesp *e, const struct proto_addr *a, struct dp_esp_addr *pa)
{
	struct in_addr v4;
	size_t i;

	if (proto_addr_to_in(a, &v4))
		to_esp_addr(AF_INET, &v4, pa);
	else
		to_esp_addr(AF_INET6, a->b, pa);
	for (i = 0; i < e->n && !same_addr(&e->v[i].a, pa); i++)
		;
	return i;
}

/* Saved before used: a restarted daemon never goes back to an epoch. */
static int set_offset(struct cesp *e, uint32_t off)
{
	if (cesp_offset_save(e->state_dir, off) < 0)
		return -1;
	log_info("esp: key epoch offset %u (was %u)", off, e->offset);
	e->offset = off;
	on_tick(e); /* every pair to the new epoch, make-before-break */
	return 0;
}

/* A host announced offset @off: the highest wins (cluster_esp_rot.h). */
static bool peer_offset(struct cesp *e, struct peer *p, uint32_t off)
{
	char s[INET6_ADDRSTRLEN] = "";

	p->has_off = true;
	p->off = off;
	inet_ntop(p->a.family, p->a.b, s, sizeof(s));
	switch (cesp_rot_adopt(e->offset, off)) {
	case CESP_ROT_ADOPT:
		log_info("esp: host %s is at key epoch offset %u: adopted", s, off);
		return set_offset(e, off) == 0;
	case CESP_ROT_REFUSE:
		if (p->refused_off != off)
			log_err("esp: host %s announces key epoch offset %u, more than %u ahead of ours (%u): "
				"refused, secured traffic with it drops", s, off, CESP_ROT_STEP_MAX, e->offset);
		p->refused_off = off;
		return false;
	case CESP_ROT_KEEP:
		break;
	}
	return false;
}

/* A host announced its cluster key's id: our SAs to it move to the key
 * it holds, when that changes which. */
static void peer_kid(struct cesp *e, struct peer *p, const uint32_t *kid)
{
	const struct ikey *before = out_key(e, p);

	p->has_kid = kid != NULL;
	p->kid = kid ? *kid : 0;
	if (out_key(e, p) != before && running(e) && p->installed)
		peer_install(e, p, p->epoch);
}

bool cesp_host(struct cesp *e, const struct proto_addr *a, bool present, const struct cesp_hello *h)
{
	uint64_t gen = h ? h->gen : 0;
	const uint32_t *offset = h ? h->offset : NULL;

	struct dp_esp_addr pa;
	size_t i = find_peer(e, a, &pa);

	if (present && i < e->n) {
		e->v[i].gone = false;
		if (e->v[i].gen != gen) {
			char s[INET6_ADDRSTRLEN] = "";

			inet_ntop(pa.family, pa.b, s, sizeof(s));
			log_info("esp: host %s: SA generation %016llx (was %016llx): new inbound SAs", s,
				 (unsigned long long)gen, (unsigned long long)e->v[i].gen);
			peer_regen(e, &e->v[i], gen);
		}
	} else if (present) {
		struct peer *v = vnet_grow(e->v, &e->cap, e->n, sizeof(*v), 8);

		if (!v)
			return false;
		e->v = v;
		memset(&v[e->n], 0, sizeof(v[0]));
		v[e->n].a = pa;
		v[e->n].gen = gen;
		v[e->n].has_kid = h->key_id != NULL;
		v[e->n].kid = h->key_id ? *h->key_id : 0;
		e->n++;
		if (running(e) && pa.family == e->local.family)
			peer_install(e, &e->v[i], e->epoch);
	} else if (!present && i < e->n) {
		/* A host silent for hold_s may be loaded or restarting its
		 * daemon: its kernel still sends with these SAs.  They keep
		 * rotating, and go GONE_KEEP_MS later unless it comes back. */
		if (!e->v[i].gone)
			e->v[i].gone_ms = loop_now_ms();
		e->v[i].gone = true;
	}
	if (!present || i >= e->n)
		return false;
	peer_kid(e, &e->v[i], h->key_id);
	if (!offset) {
		e->v[i].has_off = false;
		return false;
	}
	return peer_offset(e, &e->v[i], *offset);
}

uint32_t cesp_offset(const struct cesp *e)
{
	return e ? e->offset : 0;
}

int cesp_rotate(struct cesp *e, char *why, size_t whylen)
{
	char behind[256] = "";
	size_t len = 0, n = 0;

	for (size_t i = 0; i < e->n; i++) {
		const struct peer *p = &e->v[i];
		char s[INET6_ADDRSTRLEN] = "";

		if (p->gone || (p->has_off && p->off == e->offset))
			continue;
		inet_ntop(p->a.family, p->a.b, s, sizeof(s));
		if (n++ >= 4 || len >= sizeof(behind))
			continue;
		if (p->has_off)
			len += (size_t)snprintf(behind + len, sizeof(behind) - len, "%s%s (offset %u)",
						len ? ", " : "", s, p->off);
		else
			len += (size_t)snprintf(behind + len, sizeof(behind) - len, "%s%s (announces none)",
						len ? ", " : "", s);
	}
	if (n)
		return vnet_err(why, whylen, "the previous rotation has not reached every host: %s%s%s not at "
				"offset %u; try again once `vn hosts` shows it on each", behind,
				n > 4 ? " and others" : "", n > 1 ? " are" : " is", e->offset);
	if (set_offset(e, e->offset + 1) < 0)
		return vnet_err(why, whylen, "cannot save the key epoch offset in %s", e->state_dir);
	return 0;
}

bool cesp_peer(const struct cesp *e, const struct proto_addr *a, struct cesp_peer_info *out)
{
	struct dp_esp_addr pa;
	size_t i = find_peer(e, a, &pa);

	memset(out, 0, sizeof(*out));
	if (i >= e->n)
		return false;
	out->installed = running(e) && e->v[i].installed;
	out->failed = running(e) && !e->v[i].installed && pa.family == e->local.family;
	out->epoch = e->v[i].epoch;
	out->has_off = e->v[i].has_off;
	out->off = e->v[i].off;
	return true;
}

static void read_xfrm_stat(struct cesp_status *st)
{
	FILE *f = fopen("/proc/net/xfrm_stat", "re");
	char name[64];
	unsigned long long v;

	if (!f)
		return;
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		if (strcmp(name, "XfrmInStateProtoError") == 0)
			st->in_integrity = v;
		else if (strcmp(name, "XfrmInStateSeqError") == 0)
			st->in_replay = v;
		else if (strcmp(name, "XfrmInTmplMismatch") == 0)
			st->in_clear = v;
		else if (strcmp(name, "XfrmOutPolBlock") == 0 || strcmp(name, "XfrmOutNoStates") == 0)
			st->out_blocked += v;
	}
	fclose(f);
}

void cesp_status(const struct cesp *e, struct cesp_status *st)
{
	memset(st, 0, sizeof(*st));
	read_xfrm_stat(st);
	st->active = running(e);
	st->epoch = e->epoch;
	st->offset = e->offset;
	st->hosts = e->n;
	for (size_t i = 0; i < e->n; i++)
		st->hosts_ok += e->v[i].installed;
	st->sa_errors = e->errors;
}
