/* Which ESP SAs and policies this host wants, and when (docs/esp-keys.md):
 * the guard policies of each level before any secured tunnel exists, a
 * pair of SAs per level with every host heard on the control protocol,
 * and the move to the next key epoch at each boundary, make-before-break.
 * dp_esp.c does the kernel programming; cluster_keys.c the derivation. */
#ifndef XENVNETD_CLUSTER_ESP_H
#define XENVNETD_CLUSTER_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "auth.h"
#include "kern.h"
#include "loop.h"
#include "proto.h"
#include "vnet_schema.h"

struct cesp;

/* @state_dir keeps our SA generation across daemon restarts
 * (cluster_esp_gen.h). */
struct cesp *cesp_new(struct loop *l, unsigned rekey_s, const char *state_dir);
/* Our SA generation, announced in every HELLO (0 for NULL). */
uint64_t cesp_gen(const struct cesp *e);
/* Leaves the kernel's SAs and policies in place: a restarted daemon
 * derives and adopts the same ones, traffic flows meanwhile. */
void cesp_free(struct cesp *e);

/* The cluster keys changed (NULL: the control protocol is off).  Inbound
 * SAs are kept for both keys of @r during a key change; ours to each host
 * derive from the key it announces (cluster_keyring.h), make-before-break;
 * SAs of a key no longer held go. */
struct keyring;
void cesp_set_keys(struct cesp *e, const struct keyring *r);
void cesp_set_rekey(struct cesp *e, unsigned rekey_s);

/* The UDP port the tunnels of a level use: one port per level is what
 * lets inbound policies tell the levels apart (docs/design.md). */
uint16_t cesp_port(uint16_t base, enum vnet_security level);

/* Can a vnet of @level be carried now, from the underlay @u?  Installs the
 * level's guard policies first, so that no clear frame ever leaves or
 * enters on its port.  0, or -1 with the reason (no ESP in the kernel, no
 * cluster key...). */
int cesp_ready(struct cesp *e, const struct kern_underlay *u, uint16_t base, enum vnet_security level,
	       char *why, size_t whylen);

/* What a host's HELLO said about ESP. */
struct cesp_hello {
	uint64_t gen;            /* its SA generation: a change means it lost
				  * its SAs, so ours from it are derived anew */
	const uint32_t *offset;  /* its key epoch offset; NULL: none announced */
	const uint32_t *key_id;  /* its cluster key's id; NULL: none announced */
};

/* A host of the cluster was heard (HELLO accepted) or went (@present
 * false, @h ignored: may be NULL).  True when we adopted its offset (ours
 * changed: announce it). */
bool cesp_host(struct cesp *e, const struct proto_addr *a, bool present, const struct cesp_hello *h);

/* The key epoch offset this host announces in its HELLOs (0 for NULL). */
uint32_t cesp_offset(const struct cesp *e);
/* `vn key-rotate`: the offset + 1, saved, and every pair to the next
 * epoch.  Refused (-1, why) while a host heard has not shown the current
 * offset yet: its receivers may lack the next epoch's SAs. */
int cesp_rotate(struct cesp *e, char *why, size_t whylen);

/* What this host has with one host of the cluster (false: unknown). */
struct cesp_peer_info {
	bool installed;      /* SAs of `epoch` in place */
	bool failed;         /* ESP runs, the kernel refused some of them */
	uint32_t epoch;      /* the epoch of our SAs with it */
	bool has_off;        /* the offset its HELLOs announce: */
	uint32_t off;
};
bool cesp_peer(const struct cesp *e, const struct proto_addr *a, struct cesp_peer_info *out);

struct cesp_status {
	bool active;         /* some secured vnet asked for ESP */
	uint32_t epoch;
	uint32_t offset;     /* the key epoch offset (vn key-rotate) */
	size_t hosts, hosts_ok;  /* with SAs installed / without error */
	uint64_t sa_errors;  /* SAs or policies the kernel refused */
	/* the kernel's (/proc/net/xfrm_stat, this namespace) */
	uint64_t in_integrity;   /* XfrmInStateProtoError: ICV failures */
	uint64_t in_replay;      /* XfrmInStateSeqError */
	uint64_t in_clear;       /* XfrmInTmplMismatch: clear (or foreign) packets to a secured port */
	uint64_t out_blocked;    /* XfrmOutPolBlock + XfrmOutNoStates */
};
void cesp_status(const struct cesp *e, struct cesp_status *st);

#endif
