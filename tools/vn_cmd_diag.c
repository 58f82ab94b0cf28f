/* vn diag DOMID|MAC: the daemon walks the path (xenvnetd/ctl_diag.c);
 * vn prints one line per check and exits 1 when one failed. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "../xenvnetd/ctl_proto.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int vn_cmd_diag(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ NULL, "name", VN_COL_STR },
		{ NULL, "result", VN_COL_STR },
		{ NULL, "detail", VN_COL_STR },
	};
	struct vn_reply rep;
	bool failed = false;
	int rc = vn_no_options(argc, argv, 1);

	if (rc != VN_OK)
		return rc;
	if (argc - optind != 1)
		return vn_usage_error(argv[0], "needs a DOMID or a MAC");
	const char *what = argv[optind];
	bool domid = *what && strspn(what, "0123456789") == strlen(what);
	if (!domid && !strchr(what, ':'))
		return vn_usage_error(argv[0], "'%.64s' is neither a domain id nor a MAC", what);
	const char *kv[] = { domid ? "domid" : "mac", what, NULL };
	rc = vn_ctl_call(o, CTL_VERB_DIAG, kv, &rep);
	if (rc != VN_OK) {
		vn_reply_free(&rep);
		return rc;
	}
	for (size_t i = 0; i < rep.rows.n; i++) {
		const struct vn_record *c = &rep.rows.v[i];
		const char *res = vn_record_get(c, "result");
		bool fail = res && strcmp(res, "fail") == 0;
		failed |= fail;
		if (o->json || strcmp(c->type, "check") != 0)
			continue;
		const char *name = vn_record_get(c, "name");
		/* Names are [a-z-] (ctl_diag.c); anything else is not shown raw. */
		if (!name || strspn(name, "abcdefghijklmnopqrstuvwxyz-") != strlen(name))
			name = "?";
		printf("%-5s %-10s ", fail ? "FAIL" : res && strcmp(res, "ok") == 0 ? "ok" : "skip", name);
		vn_put_text(stdout, vn_record_get(c, "detail"));
		putchar('\n');
	}
	if (o->json)
		vn_print_rows(stdout, &rep.rows, cols, sizeof(cols) / sizeof(cols[0]), true);
	vn_reply_free(&rep);
	return failed ? VN_EFAIL : VN_OK;
}
