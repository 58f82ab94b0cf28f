/* The peer hosts added with `vn peer-add`: kept in memory and in
 * <state-dir>/peers, one "ADDRESS PORT" per line, rewritten atomically
 * (temp file, fsync, rename) on every change. */
#ifndef XENVNETD_PEERS_H
#define XENVNETD_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEERS_FILE     "peers"
#define PEER_ADDR_MAX  253      /* a DNS name's limit; IP literals are shorter */
#define PEERS_MAX      4096

struct peer {
	char addr[PEER_ADDR_MAX + 1];   /* canonical: inet_ntop form, or lower-case name */
	uint16_t port;
};

struct peers {
	struct peer *v;
	size_t n;
	char *path;                     /* <state-dir>/peers */
};

/* An IPv4 or IPv6 literal, or a syntactically valid host name (RFC 1123).
 * Whether a name resolves is not checked here: the daemon resolves
 * it in the background (cluster_dns.h). */
bool peer_addr_valid(const char *addr);

/* Load <state_dir>/peers; a missing file is an empty list.  Returns 0, or
 * -1 with err naming the file and line at fault (p is then empty but usable). */
int peers_load(struct peers *p, const char *state_dir, char *err, size_t errlen);

/* Add addr (or change its port) and save.  Returns 0 when added, 1 when it
 * was there already, -1 with err (invalid address, full, or the save
 * failed; memory is then left as before). */
int peers_add(struct peers *p, const char *addr, uint16_t port, char *err, size_t errlen);

/* Remove addr and save.  Returns 0 when removed, 1 when it was not there,
 * -1 with err when the save failed (memory is then left as before). */
int peers_del(struct peers *p, const char *addr, char *err, size_t errlen);

void peers_free(struct peers *p);

#endif
