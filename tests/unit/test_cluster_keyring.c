/* A cluster key change (docs/control-wire.md, "Key change"): which key
 * is current and which previous as new key files are reloaded, the key
 * ids, which key signs, and when the previous key may go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	ckc_start(&s, 0, 1000);
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
	/* a restart: the hosts known are not all until the settle time */
	struct hosts none;
	hosts_with(&none, NULL, 0);
	ckc_start(&s, 20000, 3000);
	ckc_update(&s, &r, &none, 20000);
	assert_ptr_equal(ckc_signer(&s, &r), &r.prev);
	ckc_update(&s, &r, &t, 22999);
	assert_ptr_equal(ckc_signer(&s, &r), &r.prev);
	ckc_update(&s, &r, &t, 23000);
	assert_ptr_equal(ckc_signer(&s, &r), &r.cur);
	hosts_free(&none);
	keyring_drop_prev(&r);
	/* no change: the current key signs, nothing to end */
	assert_ptr_equal(ckc_signer(&s, &r), &r.cur);
	assert_false(ckc_done(&s, &r, 100000, 3000));
	hosts_free(&t);
	keyring_free(&r);
}

/* The previous key on disk during a change: a restart goes on with it. */
static void kept_on_disk(void **state)
{
	char dir[] = "/tmp/test_keyring.XXXXXX", path[64];
	struct keyring r = { 0 }, r2 = { 0 };
	struct auth_key k = mk(1);
	struct stat st;
	FILE *f;
	char hex[80] = "";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/prev", dir);
	keyring_take(&r, &k);
	assert_false(keyring_keep_in(&r, path)); /* nothing saved, nothing written */
	assert_int_equal(access(path, F_OK), -1);
	k = mk(2);
	keyring_take(&r, &k); /* a change: key 1 saved, for root alone */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(hex, sizeof(hex), f));
	fclose(f);
	assert_string_equal(hex, "0101010101010101010101010101010101010101010101010101010101010101\n");
	/* a restart with the new key file goes on with the change */
	k = mk(2);
	keyring_take(&r2, &k);
	assert_true(keyring_keep_in(&r2, path));
	assert_true(keyring_changing(&r2) && holds(&r2.prev, 1) && holds(&r2.cur, 2));
	assert_int_equal(r2.prev_id, r.prev_id);
	keyring_free(&r2); /* an exit keeps the file */
	assert_int_equal(access(path, F_OK), 0);
	keyring_drop_prev(&r); /* the change is over: the file goes */
	assert_int_equal(access(path, F_OK), -1);
	/* a saved key equal to the current one: no change, the file goes */
	k = mk(1);
	keyring_take(&r, &k); /* 2 -> 1: a change, 2 saved */
	k = mk(2);
	memset(&r2, 0, sizeof(r2));
	keyring_take(&r2, &k);
	assert_false(keyring_keep_in(&r2, path));
	assert_false(keyring_changing(&r2));
	assert_int_equal(access(path, F_OK), -1);
	keyring_free(&r2);
	keyring_free(&r);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_ids),
		cmocka_unit_test(take_rules),
		cmocka_unit_test(signer_and_end),
		cmocka_unit_test(kept_on_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
