/* libFuzzer target: both decoders of the control protocol.  The same bytes
 * go to the daemon's request decoder (through the full dispatch, with a
 * daemon that supports nothing) and to vn's reply decoder. */
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "vn_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ctl_ops none;
	struct ctl_reply r;
	struct vn_reply rep;
	size_t len;
	char err[256];

	ctl_reply_init(&r);
	ctl_dispatch(&none, NULL, (const char *)data, size, &r);
	const char *out = ctl_reply_finish(&r, &len);
	/* Whatever the daemon answers, vn must be able to read it. */
	if (out && vn_reply_decode(out, len, &rep, err, sizeof(err)) != 0)
		__builtin_trap();
	vn_reply_free(&rep);
	ctl_reply_free(&r);

	vn_reply_decode((const char *)data, size, &rep, err, sizeof(err));
	vn_reply_free(&rep);
	return 0;
}
