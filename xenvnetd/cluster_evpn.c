#include "cluster_evpn.h"

#include <arpa/inet.h>
#include <stdio.h>

int cluster_evpn_emit(struct ctl_reply *r, const struct config *cfg, const struct kern_underlay *u)
{
	char rid[INET6_ADDRSTRLEN] = "", asn[16];

	if (u && !inet_ntop(u->family, &u->addr, rid, sizeof(rid)))
		rid[0] = '\0';
	snprintf(asn, sizeof(asn), "%u", cfg->evpn_asn);
	const char *const kv[] = {
		"control", cfg->control == CONTROL_EVPN ? "evpn" : "own",
		"router-id", rid, "asn", asn, "neighbors", cfg->evpn_neighbors, NULL,
	};
	return ctl_emit_record(r, "evpn", kv);
}
