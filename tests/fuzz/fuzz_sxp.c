/* libFuzzer target: the SXP reader and the (vnet ...) form, as vn
 * vnet-create FILE runs them. */
#include <stddef.h>
#include <stdint.h>

#include "vnet_sxp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_sxp v;
	struct sxp_error err;

	vnet_sxp_read((const char *)data, size, &v, &err);
	vnet_sxp_free(&v);
	return 0;
}
