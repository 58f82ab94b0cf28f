/* Which data plane runs, and the MTU its tunnel leaves (dataplane.h). */
#include "dataplane.h"
#include "vnet_err.h"

#include <string.h>
#include <sys/stat.h>

const struct dataplane_ops *dp_active = &dp_vxlan;

/* /sys/module/vnet: vnet.ko is loaded (built in, it has the directory too). */
static bool vnet_module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/vnet", &st) == 0;
}

const struct dataplane_ops *dataplane_select(const char *name, char *err, size_t errlen)
{
	const struct dataplane_ops *dp;

	/* config_set() let only the three names through */
	if (strcmp(name, "auto") == 0)
		dp = vnet_module_loaded() ? &dp_vnet : &dp_vxlan;
	else
		dp = strcmp(name, "vnet") == 0 ? &dp_vnet : &dp_vxlan;
	if (dp == &dp_vnet && !vnet_module_loaded()) {
		vnet_err(err, errlen, "dataplane vnet: the vnet module is not loaded (vn insmod)");
		return NULL;
	}
	dp_active = dp;
	return dp;
}

unsigned dp_vnet_mtu(const struct vnet_def *def, const struct kern_underlay *u)
{
	unsigned over = u->family == AF_INET6 ? dp_active->overhead6 : dp_active->overhead4;
	unsigned mtu = u->mtu > over ? u->mtu - over : 0;

	if (def->mtu && def->mtu < mtu)
		mtu = def->mtu;
	return mtu;
}
