/* XFRM policies and SAs over netlink (libnl-xfrm-3), never `ip xfrm`:
 * iproute2 cannot express everything a selector can, and the daemon
 * already owns its netlink sockets. */
#include "dp_esp.h"
#include "vnet_err.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xfrm.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>

struct dp_esp {
	struct nl_sock *sk;
};

static size_t alen(const struct dp_esp_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static struct nl_addr *mkaddr(const struct dp_esp_addr *a, bool any)
{
	static const uint8_t zero[16];
	struct nl_addr *n = nl_addr_build(a->family, any ? zero : a->b, alen(a));

	if (n)
		nl_addr_set_prefixlen(n, any ? 0 : (int)alen(a) * 8);
	return n;
}

/* UDP to @port from @src (NULL: any) to @dst (NULL: any). */
static struct xfrmnl_sel *mksel(int family, const struct dp_esp_addr *src, const struct dp_esp_addr *dst,
				uint16_t port)
{
	struct dp_esp_addr any = { .family = family };
	struct xfrmnl_sel *s = xfrmnl_sel_alloc();
	struct nl_addr *sa = mkaddr(src ? src : &any, !src), *da = mkaddr(dst ? dst : &any, !dst);

	if (!s || !sa || !da) {
		if (s)
			xfrmnl_sel_put(s);
		s = NULL;
		goto out;
	}
	xfrmnl_sel_set_family(s, (unsigned)family);
	xfrmnl_sel_set_saddr(s, sa);
	xfrmnl_sel_set_daddr(s, da);
	xfrmnl_sel_set_prefixlen_s(s, (unsigned)nl_addr_get_prefixlen(sa));
	xfrmnl_sel_set_prefixlen_d(s, (unsigned)nl_addr_get_prefixlen(da));
	xfrmnl_sel_set_proto(s, IPPROTO_UDP);
	if (port) {
		xfrmnl_sel_set_dport(s, port);
		xfrmnl_sel_set_dportmask(s, 0xffff);
	}
out:
	nl_addr_put(sa);
	nl_addr_put(da);
	return s;
}

static int add_template(struct xfrmnl_sp *sp, int family, unsigned reqid)
{
	struct dp_esp_addr any = { .family = family };
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	struct nl_addr *a = mkaddr(&any, true), *b = mkaddr(&any, true);

	if (!t || !a || !b) {
		if (t)
			xfrmnl_user_tmpl_free(t);
		nl_addr_put(a);
		nl_addr_put(b);
		return -1;
	}
	xfrmnl_user_tmpl_set_family(t, (unsigned)family);
	xfrmnl_user_tmpl_set_daddr(t, a); /* transport mode: addresses unused */
	xfrmnl_user_tmpl_set_saddr(t, b);
	xfrmnl_user_tmpl_set_proto(t, IPPROTO_ESP);
	xfrmnl_user_tmpl_set_mode(t, XFRM_MODE_TRANSPORT);
	xfrmnl_user_tmpl_set_reqid(t, reqid);
	xfrmnl_user_tmpl_set_optional(t, 0); /* required: no ESP, no entry */
	/* Any algorithm: with the masks left 0 the kernel matches no SA at
	 * all, and every inbound packet fails the policy check. */
	xfrmnl_user_tmpl_set_aalgos(t, ~0u);
	xfrmnl_user_tmpl_set_ealgos(t, ~0u);
	xfrmnl_user_tmpl_set_calgos(t, ~0u);
	xfrmnl_sp_add_usertemplate(sp, t);
	nl_addr_put(a);
	nl_addr_put(b);
	return 0;
}

static void no_lifetime(struct xfrmnl_ltime_cfg *lt)
{
	xfrmnl_ltime_cfg_set_soft_bytelimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_bytelimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_soft_packetlimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_packetlimit(lt, XFRM_INF);
}

struct xfrmnl_sp *dp_esp_build_policy(enum dp_esp_policy kind, enum ckeys_level level,
				      const struct dp_esp_addr *local, const struct dp_esp_addr *peer,
				      uint16_t port)
{
	struct xfrmnl_sp *sp;
	struct xfrmnl_sel *sel;
	struct xfrmnl_ltime_cfg *lt;
	int fam = local->family;

	if ((kind == DP_ESP_PAIR_OUT && (!peer || peer->family != fam)) || (fam != AF_INET && fam != AF_INET6))
		return NULL;
	sel = kind == DP_ESP_GUARD_IN ? mksel(fam, NULL, local, port)
	      : mksel(fam, local, kind == DP_ESP_PAIR_OUT ? peer : NULL, port);
	sp = xfrmnl_sp_alloc();
	lt = xfrmnl_ltime_cfg_alloc();
	if (!sel || !sp || !lt)
		goto fail;
	no_lifetime(lt);
	xfrmnl_sp_set_lifetime_cfg(sp, lt);
	xfrmnl_sp_set_sel(sp, sel);
	xfrmnl_sp_set_dir(sp, kind == DP_ESP_GUARD_IN ? XFRM_POLICY_IN : XFRM_POLICY_OUT);
	xfrmnl_sp_set_priority(sp, kind == DP_ESP_PAIR_OUT ? DP_ESP_PRIO_PAIR : DP_ESP_PRIO_GUARD);
	xfrmnl_sp_set_share(sp, XFRM_SHARE_ANY);
	xfrmnl_sp_set_userpolicy_type(sp, XFRM_POLICY_TYPE_MAIN);
	if (kind == DP_ESP_GUARD_OUT) {
		xfrmnl_sp_set_action(sp, XFRM_POLICY_BLOCK);
	} else {
		xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
		/* inbound: any of our SAs of the level will do (reqid 0), the
		 * SA's own selector pins the sender */
		if (add_template(sp, fam, kind == DP_ESP_PAIR_OUT ? DP_ESP_REQID_BASE + level : 0) < 0)
			goto fail;
	}
	xfrmnl_sel_put(sel);
	xfrmnl_ltime_cfg_put(lt);
	return sp;
fail:
	if (sel)
		xfrmnl_sel_put(sel);
	if (sp)
		xfrmnl_sp_put(sp);
	if (lt)
		xfrmnl_ltime_cfg_put(lt);
	return NULL;
}

/* An empty replay bitmap: what a new SA starts with (copied by libnl). */
static unsigned int replay_bmp[DP_ESP_REPLAY / 32];

struct xfrmnl_sa *dp_esp_build_sa(enum ckeys_level level, const struct dp_esp_addr *src,
				  const struct dp_esp_addr *dst, const struct ckeys_sa *k, uint64_t hard_s)
{
	struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	struct xfrmnl_sel *sel = mksel(src->family, src, dst, 0);
	struct xfrmnl_ltime_cfg *lt = xfrmnl_ltime_cfg_alloc();
	struct nl_addr *s = mkaddr(src, false), *d = mkaddr(dst, false);
	int rc = -1;

	if (!sa || !sel || !lt || !s || !d || src->family != dst->family ||
	    k->keylen != (level == CKEYS_AUTH ? 32u : 20u))
		goto out;
	xfrmnl_sa_set_family(sa, (unsigned)src->family);
	xfrmnl_sa_set_saddr(sa, s);
	xfrmnl_sa_set_daddr(sa, d);
	xfrmnl_sa_set_proto(sa, IPPROTO_ESP);
	xfrmnl_sa_set_spi(sa, k->spi);
	xfrmnl_sa_set_mode(sa, XFRM_MODE_TRANSPORT);
	xfrmnl_sa_set_reqid(sa, DP_ESP_REQID_BASE + level);
	/* the window in the ESN replay state (the legacy field stays 0: the
	 * kernel refuses both); no ESN flag, sequence numbers stay 32-bit */
	if (xfrmnl_sa_set_replay_state_esn(sa, 0, 0, 0, 0, DP_ESP_REPLAY, DP_ESP_REPLAY / 32, replay_bmp) < 0)
		goto out;
	xfrmnl_sa_set_sel(sa, sel);
	no_lifetime(lt);
	xfrmnl_ltime_cfg_set_hard_addexpires(lt, hard_s);
	xfrmnl_sa_set_lifetime_cfg(sa, lt);
	if (level == CKEYS_CONF) {
		rc = xfrmnl_sa_set_aead_params(sa, "rfc4106(gcm(aes))", 160, 128, (const char *)k->key);
	} else {
		static const char none[1];
		rc = xfrmnl_sa_set_auth_params(sa, "hmac(sha256)", 256, 128, (const char *)k->key);
		if (rc == 0)
			rc = xfrmnl_sa_set_crypto_params(sa, "ecb(cipher_null)", 0, none);
	}
out:
	nl_addr_put(s);
	nl_addr_put(d);
	if (sel)
		xfrmnl_sel_put(sel);
	if (lt)
		xfrmnl_ltime_cfg_put(lt);
	if (rc < 0 && sa) {
		xfrmnl_sa_put(sa);
		sa = NULL;
	}
	return sa;
}

struct dp_esp *dp_esp_new(char *err, size_t errlen)
{
	struct dp_esp *e = calloc(1, sizeof(*e));
	int rc;

	if (!e || !(e->sk = nl_socket_alloc())) {
		free(e);
		vnet_err(err, errlen, "out of memory");
		return NULL;
	}
	if ((rc = nl_connect(e->sk, NETLINK_XFRM)) < 0) {
		vnet_err(err, errlen, "no XFRM netlink (xfrm_user): %s", nl_geterror(rc));
		dp_esp_free(e);
		return NULL;
	}
	return e;
}

void dp_esp_free(struct dp_esp *e)
{
	if (!e)
		return;
	nl_socket_free(e->sk);
	free(e);
}

int dp_esp_policy(struct dp_esp *e, bool add, enum dp_esp_policy kind, enum ckeys_level level,
		  const struct dp_esp_addr *local, const struct dp_esp_addr *peer, uint16_t port)
{
	struct xfrmnl_sp *sp = dp_esp_build_policy(kind, level, local, peer, port);
	int rc;

	if (!sp)
		return -NLE_NOMEM;
	rc = add ? xfrmnl_sp_update(e->sk, sp, 0) : xfrmnl_sp_delete(e->sk, sp, 0);
	xfrmnl_sp_put(sp);
	return !add && rc == -NLE_OBJ_NOTFOUND ? 0 : rc;
}

int dp_esp_sa_add(struct dp_esp *e, enum ckeys_level level, const struct dp_esp_addr *src,
		  const struct dp_esp_addr *dst, const struct ckeys_sa *k, uint64_t hard_s)
{
	struct xfrmnl_sa *sa = dp_esp_build_sa(level, src, dst, k, hard_s);
	int rc;

	if (!sa)
		return -NLE_NOMEM;
	rc = xfrmnl_sa_add(e->sk, sa, NLM_F_EXCL);
	xfrmnl_sa_put(sa);
	return rc == -NLE_EXIST ? 1 : rc;
}

int dp_esp_sa_del(struct dp_esp *e, const struct dp_esp_addr *src, const struct dp_esp_addr *dst, uint32_t spi)
{
	struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	struct nl_addr *s = mkaddr(src, false), *d = mkaddr(dst, false);
	int rc = -NLE_NOMEM;

	if (sa && s && d) {
		xfrmnl_sa_set_family(sa, (unsigned)src->family);
		xfrmnl_sa_set_saddr(sa, s);
		xfrmnl_sa_set_daddr(sa, d);
		xfrmnl_sa_set_proto(sa, IPPROTO_ESP);
		xfrmnl_sa_set_spi(sa, spi);
		rc = xfrmnl_sa_delete(e->sk, sa, 0);
		if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR)
			rc = 0;
	}
	nl_addr_put(s);
	nl_addr_put(d);
	if (sa)
		xfrmnl_sa_put(sa);
	return rc;
}

int dp_esp_probe(struct dp_esp *e, const struct dp_esp_addr *local, char *err, size_t errlen)
{
	/* A documentation address as the far end: nothing is ever sent to
	 * it, and SPI 0xff (reserved) is never a derived one. */
	struct dp_esp_addr far = { .family = local->family };
	struct ckeys_sa k = { .spi = 0xff };
	static const enum ckeys_level levels[] = { CKEYS_AUTH, CKEYS_CONF };

	if (far.family == AF_INET)
		memcpy(far.b, (uint8_t[]){ 203, 0, 113, 255 }, 4);
	else
		memcpy(far.b, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff }, 16);
	for (size_t i = 0; i < 2; i++) {
		int rc;

		k.keylen = levels[i] == CKEYS_AUTH ? 32 : 20;
		dp_esp_sa_del(e, local, &far, k.spi);
		rc = dp_esp_sa_add(e, levels[i], local, &far, &k, 0);
		dp_esp_sa_del(e, local, &far, k.spi);
		if (rc < 0)
			return vnet_err(err, errlen, "this kernel cannot carry ESP (%s SA refused: %s)",
					levels[i] == CKEYS_AUTH ? "hmac(sha256)" : "rfc4106(gcm(aes))",
					nl_geterror(rc));
	}
	return 0;
}

/* Is a an address of one of this namespace's interfaces? */
static bool is_local(struct ifaddrs *ifs, struct nl_addr *a)
{
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		const void *b = NULL;
		size_t n = 0;

		if (!i->ifa_addr || i->ifa_addr->sa_family != nl_addr_get_family(a))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			b = &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
			n = 4;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			b = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
			n = 16;
		}
		if (b && nl_addr_get_len(a) == n && memcmp(nl_addr_get_binary_addr(a), b, n) == 0)
			return true;
	}
	return false;
}

int dp_esp_count_out(struct dp_esp *e)
{
	struct nl_cache *cache = NULL;
	struct ifaddrs *ifs = NULL;
	int n = 0, rc;

	if ((rc = xfrmnl_sa_alloc_cache(e->sk, &cache)) < 0)
		return rc;
	if (getifaddrs(&ifs) < 0) {
		nl_cache_free(cache);
		return -NLE_FAILURE;
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct xfrmnl_sa *sa = (struct xfrmnl_sa *)o;
		unsigned reqid = (unsigned)xfrmnl_sa_get_reqid(sa);

		/* ours (the probe's SPI 0xff aside) and sent from here */
		if ((reqid == DP_ESP_REQID_BASE + CKEYS_AUTH || reqid == DP_ESP_REQID_BASE + CKEYS_CONF) &&
		    (uint32_t)xfrmnl_sa_get_spi(sa) > 0xffu && is_local(ifs, xfrmnl_sa_get_saddr(sa)))
			n++;
	}
	freeifaddrs(ifs);
	nl_cache_free(cache);
	return n;
}
