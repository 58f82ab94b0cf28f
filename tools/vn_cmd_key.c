/* vn key-rotate: every host to the next ESP key epoch (docs/esp-keys.md,
 * "Rotation on demand"). */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "../xenvnetd/ctl_proto.h"

#include <stdio.h>

int vn_cmd_key_rotate(const struct vn_opts *o, int argc, char **argv)
{
	struct vn_reply rep;
	int rc = vn_no_options(argc, argv, 0);

	if (rc != VN_OK)
		return rc;
	rc = vn_ctl_call(o, CTL_VERB_KEY_ROTATE, NULL, &rep);
	if (rc == VN_OK) {
		const struct vn_record *r = rep.rows.n ? &rep.rows.v[0] : NULL;
		const char *epoch = r ? vn_record_get(r, "epoch") : NULL;
		const char *offset = r ? vn_record_get(r, "offset") : NULL;

		if (o->json) {
			fputs("{\"epoch\":", stdout);
			vn_json_number(stdout, epoch);
			fputs(",\"offset\":", stdout);
			vn_json_number(stdout, offset);
			fputs("}\n", stdout);
		} else {
			fputs("key epoch ", stdout);
			vn_put_text(stdout, epoch);
			fputs(" (offset ", stdout);
			vn_put_text(stdout, offset);
			fputs("); the other hosts follow on this host's HELLO\n", stdout);
		}
	}
	vn_reply_free(&rep);
	return rc;
}
