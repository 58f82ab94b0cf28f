/* A cluster key change (docs/control-wire.md, "Key change"): which key
 * is current and which previous as new key files are reloaded, the key
 * ids, which key signs, and when the previous key may go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cluster_keychange.h"
#include "cluster_keyring.h"

static struct auth_key mk(uint8_t fill)
{
	struct auth_key k = { 0 };
	uint8_t b[32];

	memset(b, fill, sizeof(b));
	assert_int_equal(auth_key_set(&k, b, sizeof(b), NULL, 0), 0);
	return k;
}

static bool holds(const struct auth_key *k, uint8_t fill)
{
	return k->len == 32 && k->secret[0] == fill && k->secret[31] == fill;
}

static void key_ids(void **state)
{
	struct auth_key a = mk(1), a2 = mk(1), b = mk(2), none = { 0 };

	(void)state;
	assert_int_equal(auth_key_id(&a), auth_key_id(&a2)); /* same key, same id */
	assert_int_not_equal(auth_key_id(&a), auth_key_id(&b));
	assert_int_not_equal(auth_key_id(&a), 0);
	assert_int_equal(auth_key_id(&none), 0);
	auth_key_free(&a);
	auth_key_free(&a2);
	auth_key_free(&b);
}

static void take_rules(void **state)
{
	struct keyring r = { 0 };
	struct auth_key k;

	(void)state;
	k = mk(1); /* the first key: no change */
	assert_int_equal(keyring_take(&r, &k), 1);
	assert_true(holds(&r.cur, 1));
	assert_false(keyring_changing(&r));
	assert_int_equal(k.len, 0); /* taken over */
	k = mk(1); /* the same again: nothing */
	assert_int_equal(keyring_take(&r, &k), 0);
	assert_false(keyring_changing(&r));
	k = mk(2); /* a new one: the old is kept */
	assert_int_equal(keyring_take(&r, &k), 1);
	assert_true(holds(&r.cur, 2) && holds(&r.prev, 1));
	assert_true(keyring_changing(&r));
	assert_int_equal(r.cur_id, auth_key_id(&r.cur));
	assert_int_equal(r.prev_id, auth_key_id(&r.prev));
	k = mk(3); /* another during the change: the agreed one stays */
	assert_int_equal(keyring_take(&r, &k), 1);
	assert_true(holds(&r.cur, 3) && holds(&r.prev, 1));
	k = mk(1); /* back to the agreed one: swapped */
	assert_int_equal(keyring_take(&r, &k), 1);
	assert_true(holds(&r.cur, 1) && holds(&r.prev, 3));
	keyring_drop_prev(&r);
	assert_false(keyring_changing(&r));
	assert_true(holds(&r.cur, 1));
	assert_int_equal(r.prev_id, 0);
	keyring_free(&r);
	assert_int_equal(r.cur.len, 0);
}

/* Hosts announcing ids; host i announces ids[i] (0: none). */
static void hosts_with(struct hosts *t, const uint32_t *ids, size_t n)
{
	hosts_init(t, 16, 16);
	for (size_t i = 0; i < n; i++) {
		struct proto_addr a = { { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2,
					  [15] = (uint8_t)(i + 2) } };
		struct host *h = hosts_add(t, &a);

		assert_non_null(h);
		h->has_key_id = ids[i] != 0;
		h->key_id = ids[i];
	}
}

static void signer_and_end(void **state)
{
	struct keyring r = { 0 };
	struct auth_key k = mk(1);
	struct ckc s = { 0 };
	struct hosts t;

	(void)state;
	keyring_take(&r, &k);
	k = mk(2);
	keyring_take(&r, &k);
	/* one host still on the previous key, one announcing none: sign
	 * with the previous key, keep it */
	hosts_with(&t, (uint32_t[]){ r.prev_id, 0 }, 2);
	ckc_update(&s, &r, &t, 1000);
	assert_ptr_equal(ckc_signer(&s, &r), &r.prev);
	assert_false(ckc_done(&s, &r, 100000, 3000));
	t.v[0].key_id = r.cur_id;
	ckc_update(&s, &r, &t, 2000);
	assert_ptr_equal(ckc_signer(&s, &r), &r.prev);
	/* every host has the new key: sign with it; the old goes after grace */
	t.v[1].has_key_id = true;
	t.v[1].key_id = r.cur_id;
	ckc_update(&s, &r, &t, 3000);
	assert_ptr_equal(ckc_signer(&s, &r), &r.cur);
	assert_false(ckc_done(&s, &r, 5999, 3000));
	ckc_update(&s, &r, &t, 5000); /* still all: the time counts from 3000 */
	assert_true(ckc_done(&s, &r, 6000, 3000));
	/* a host going back to the old key restarts the grace */
	t.v[0].key_id = r.prev_id;
	ckc_update(&s, &r, &t, 6000);
	assert_ptr_equal(ckc_signer(&s, &r), &r.prev);
	t.v[0].key_id = r.cur_id;
	ckc_update(&s, &r, &t, 7000);
	assert_false(ckc_done(&s, &r, 9999, 3000));
	assert_true(ckc_done(&s, &r, 10000, 3000));
	keyring_drop_prev(&r);
	/* no change: the current key signs, nothing to end */
	assert_ptr_equal(ckc_signer(&s, &r), &r.cur);
	assert_false(ckc_done(&s, &r, 100000, 3000));
	hosts_free(&t);
	keyring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_ids),
		cmocka_unit_test(take_rules),
		cmocka_unit_test(signer_and_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
