/* dp_esp's builders: the netlink messages the kernel would get for the
 * guard and pair policies and for each level's SA (docs/esp-keys.md,
 * "Selectors"), read back from the raw XFRM structures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/sp.h>
#include <string.h>

#include "dp_esp.h"

static const struct dp_esp_addr l4 = { AF_INET, { 192, 0, 2, 1 } }, r4 = { AF_INET, { 192, 0, 2, 2 } };

static struct nl_msg *policy_msg(enum dp_esp_policy kind, enum ckeys_level lvl, const struct dp_esp_addr *peer,
				 struct xfrm_userpolicy_info **pi)
{
	struct xfrmnl_sp *sp = dp_esp_build_policy(kind, lvl, &l4, peer, 1801);
	struct nl_msg *m = NULL;

	assert_non_null(sp);
	assert_int_equal(xfrmnl_sp_build_add_request(sp, 0, &m), 0);
	xfrmnl_sp_put(sp);
	*pi = nlmsg_data(nlmsg_hdr(m));
	return m;
}

static struct xfrm_user_tmpl *tmpl_of(struct nl_msg *m)
{
	struct nlattr *a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(struct xfrm_userpolicy_info), XFRMA_TMPL);

	return a ? nla_data(a) : NULL;
}

static void guard_out_blocks_every_destination(void **state)
{
	struct xfrm_userpolicy_info *pi;
	struct nl_msg *m = policy_msg(DP_ESP_GUARD_OUT, CKEYS_CONF, NULL, &pi);

	(void)state;
	assert_int_equal(pi->dir, XFRM_POLICY_OUT);
	assert_int_equal(pi->action, XFRM_POLICY_BLOCK);
	assert_int_equal(pi->priority, DP_ESP_PRIO_GUARD);
	assert_int_equal(pi->sel.proto, IPPROTO_UDP);
	assert_int_equal(ntohs(pi->sel.dport), 1801);
	assert_int_equal(pi->sel.dport_mask, 0xffff);
	assert_int_equal(pi->sel.prefixlen_s, 32);
	assert_memory_equal(&pi->sel.saddr, l4.b, 4);
	assert_int_equal(pi->sel.prefixlen_d, 0); /* any: the group too */
	assert_null(tmpl_of(m));
	nlmsg_free(m);
}

static void guard_in_requires_esp(void **state)
{
	struct xfrm_userpolicy_info *pi;
	struct nl_msg *m = policy_msg(DP_ESP_GUARD_IN, CKEYS_AUTH, NULL, &pi);
	struct xfrm_user_tmpl *t = tmpl_of(m);

	(void)state;
	assert_int_equal(pi->dir, XFRM_POLICY_IN);
	assert_int_equal(pi->action, XFRM_POLICY_ALLOW);
	assert_int_equal(pi->sel.prefixlen_s, 0);
	assert_int_equal(pi->sel.prefixlen_d, 32);
	assert_memory_equal(&pi->sel.daddr, l4.b, 4);
	assert_int_equal(ntohs(pi->sel.dport), 1801);
	assert_non_null(t);
	assert_int_equal(t->id.proto, IPPROTO_ESP);
	assert_int_equal(t->mode, XFRM_MODE_TRANSPORT);
	assert_int_equal(t->optional, 0); /* a clear packet matches no template */
	assert_int_equal(t->reqid, 0);
	/* all algorithms allowed: with 0 masks the kernel matches no SA */
	assert_int_equal(t->aalgos, ~0u);
	assert_int_equal(t->ealgos, ~0u);
	assert_int_equal(t->calgos, ~0u);
	nlmsg_free(m);
}

static void pair_out_uses_the_level_reqid(void **state)
{
	struct xfrm_userpolicy_info *pi;
	struct nl_msg *m = policy_msg(DP_ESP_PAIR_OUT, CKEYS_CONF, &r4, &pi);
	struct xfrm_user_tmpl *t = tmpl_of(m);

	(void)state;
	assert_int_equal(pi->dir, XFRM_POLICY_OUT);
	assert_true(pi->priority < DP_ESP_PRIO_GUARD); /* lower wins */
	assert_int_equal(pi->sel.prefixlen_d, 32);
	assert_memory_equal(&pi->sel.daddr, r4.b, 4);
	assert_non_null(t);
	assert_int_equal(t->reqid, DP_ESP_REQID_BASE + CKEYS_CONF);
	assert_int_equal(t->optional, 0);
	nlmsg_free(m);
	assert_null(dp_esp_build_policy(DP_ESP_PAIR_OUT, CKEYS_CONF, &l4, NULL, 1801));
}

static struct xfrm_usersa_info *sa_msg(enum ckeys_level lvl, const struct ckeys_sa *k, struct nl_msg **m)
{
	struct xfrmnl_sa *sa = dp_esp_build_sa(lvl, &l4, &r4, k, 300);

	assert_non_null(sa);
	assert_int_equal(xfrmnl_sa_build_add_request(sa, 0, m), 0);
	xfrmnl_sa_put(sa);
	return nlmsg_data(nlmsg_hdr(*m));
}

static void conf_sa_is_aes_gcm_128(void **state)
{
	struct ckeys_sa k = { .spi = 0xa8637b23, .keylen = 20 };
	struct nl_msg *m;
	struct xfrm_usersa_info *si;
	struct nlattr *a;
	struct xfrm_algo_aead *alg;
	struct xfrm_replay_state_esn *esn;

	(void)state;
	for (int i = 0; i < 20; i++)
		k.key[i] = (uint8_t)(0xa0 + i);
	si = sa_msg(CKEYS_CONF, &k, &m);
	assert_int_equal(ntohl(si->id.spi), 0xa8637b23);
	assert_int_equal(si->id.proto, IPPROTO_ESP);
	assert_memory_equal(&si->id.daddr, r4.b, 4);
	assert_memory_equal(&si->saddr, l4.b, 4);
	assert_int_equal(si->mode, XFRM_MODE_TRANSPORT);
	assert_int_equal(si->reqid, DP_ESP_REQID_BASE + CKEYS_CONF);
	/* the window in a replay state (bitmap mode), the legacy field 0 (the
	 * kernel refuses both), no ESN */
	assert_int_equal(si->replay_window, 0);
	assert_false(si->flags & XFRM_STATE_ESN);
	a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(*si), XFRMA_REPLAY_ESN_VAL);
	assert_non_null(a);
	esn = nla_data(a);
	assert_int_equal(esn->replay_window, DP_ESP_REPLAY);
	assert_true(esn->bmp_len * 32 >= DP_ESP_REPLAY);
	assert_int_equal(nla_len(a), (int)(sizeof(*esn) + esn->bmp_len * sizeof(esn->bmp[0])));
	assert_int_equal(esn->seq, 0);
	assert_int_equal(esn->oseq, 0);
	assert_int_equal(si->lft.hard_add_expires_seconds, 300);
	/* the SA pins the sender: src/32 dst/32 udp */
	assert_int_equal(si->sel.prefixlen_s, 32);
	assert_int_equal(si->sel.prefixlen_d, 32);
	assert_int_equal(si->sel.proto, IPPROTO_UDP);
	a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(*si), XFRMA_ALG_AEAD);
	assert_non_null(a);
	alg = nla_data(a);
	assert_string_equal(alg->alg_name, "rfc4106(gcm(aes))");
	assert_int_equal(alg->alg_key_len, 160);
	assert_int_equal(alg->alg_icv_len, 128);
	assert_memory_equal(alg->alg_key, k.key, 20);
	assert_null(nlmsg_find_attr(nlmsg_hdr(m), sizeof(*si), XFRMA_ALG_AUTH_TRUNC));
	nlmsg_free(m);
}

static void auth_sa_is_hmac_sha256_without_cipher(void **state)
{
	struct ckeys_sa k = { .spi = 0xca850d53, .keylen = 32 };
	struct nl_msg *m;
	struct xfrm_usersa_info *si;
	struct nlattr *a;
	struct xfrm_algo_auth *au;
	struct xfrm_algo *enc;

	(void)state;
	memset(k.key, 0x5a, 32);
	si = sa_msg(CKEYS_AUTH, &k, &m);
	assert_int_equal(si->reqid, DP_ESP_REQID_BASE + CKEYS_AUTH);
	a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(*si), XFRMA_ALG_AUTH_TRUNC);
	assert_non_null(a);
	au = nla_data(a);
	assert_string_equal(au->alg_name, "hmac(sha256)");
	assert_int_equal(au->alg_key_len, 256);
	assert_int_equal(au->alg_trunc_len, 128);
	assert_memory_equal(au->alg_key, k.key, 32);
	a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(*si), XFRMA_ALG_CRYPT);
	assert_non_null(a);
	enc = nla_data(a);
	assert_string_equal(enc->alg_name, "ecb(cipher_null)");
	assert_int_equal(enc->alg_key_len, 0);
	assert_null(nlmsg_find_attr(nlmsg_hdr(m), sizeof(*si), XFRMA_ALG_AEAD));
	nlmsg_free(m);
	/* a key of the other level's length is refused */
	k.keylen = 20;
	assert_null(dp_esp_build_sa(CKEYS_AUTH, &l4, &r4, &k, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guard_out_blocks_every_destination),
		cmocka_unit_test(guard_in_requires_esp),
		cmocka_unit_test(pair_out_uses_the_level_reqid),
		cmocka_unit_test(conf_sa_is_aes_gcm_128),
		cmocka_unit_test(auth_sa_is_hmac_sha256_without_cipher),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
