/* Host names of peers, resolved without ever blocking the event loop:
 * c-ares on the daemon's loop (its sockets behind one epoll fd of their
 * own, its timeouts on a loop timer), answers cached.
 *
 * An IP literal never goes through DNS.  A name is queried when first
 * looked up, again when its answer's TTL runs out (kept within
 * CDNS_TTL_MIN_S..CDNS_TTL_MAX_S), after a failure with a backoff
 * (CDNS_RETRY_MIN_S doubling to CDNS_TTL_MAX_S), on cdns_retry_failed()
 * and on cdns_reload().  A name that resolved once keeps its address when a
 * refresh fails (a DNS outage must not cut a working peer off).  One
 * warning is logged per run of failures, not per retry. */
#ifndef XENVNETD_CLUSTER_DNS_H
#define XENVNETD_CLUSTER_DNS_H

#include <stddef.h>
#include "loop.h"
#include "proto.h"

#define CDNS_TTL_MIN_S    30
#define CDNS_TTL_MAX_S    300
#define CDNS_RETRY_MIN_S  5
#define CDNS_TIMEOUT_MS   2000    /* per server, doubled at each try ... */
#define CDNS_TRIES        2       /* ... so a server that never answers costs 6 s */

enum cdns_state {
	CDNS_RESOLVING,       /* first query under way: no address yet */
	CDNS_RESOLVED,        /* an address (maybe with a failed refresh: err set) */
	CDNS_UNRESOLVABLE,    /* the last query failed and no address is known */
};

const char *cdns_state_name(enum cdns_state s);

struct cdns;

/* changed(arg) runs from the loop, never from inside a cdns call, when a
 * name got an address, lost its last chance of one, or changed address. */
struct cdns *cdns_new(struct loop *l, void (*changed)(void *arg), void *arg);
/* Cancels lookups under way (none is waited for). */
void cdns_free(struct cdns *d);

/* Where name (of address family family; 0 for any) stands; *out is set
 * when resolved, *err (may be NULL) to the last failure's text or NULL.
 * A name not asked for yet is queried: the state is then "resolving"
 * until changed() fires.  Marks the name as in use (see cdns_sweep). */
enum cdns_state cdns_lookup(struct cdns *d, const char *name, int family, struct proto_addr *out,
			    const char **err);
/* The same without starting a query: a name never looked up is reported
 * as resolving. */
enum cdns_state cdns_peek(const struct cdns *d, const char *name, int family, struct proto_addr *out,
			  const char **err);

/* cdns_sweep_begin(), then cdns_lookup() of every name still wanted, then
 * cdns_sweep_end() forgets the others. */
void cdns_sweep_begin(struct cdns *d);
void cdns_sweep_end(struct cdns *d);

/* Query again, now, every name whose last query failed (the peer list
 * changed: the admin may have fixed DNS). */
void cdns_retry_failed(struct cdns *d);
/* Re-read resolv.conf and the hosts file and query every name again
 * (SIGHUP).  Addresses known so far stay in use until the answers come. */
void cdns_reload(struct cdns *d);
/* Ask these servers ("IP:PORT,...") instead of resolv.conf's, also after
 * a reload (tests).  Returns 0, or -1 when c-ares refuses them. */
int cdns_use_servers(struct cdns *d, const char *csv);

#endif
