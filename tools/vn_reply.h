/* vn's half of the control protocol (docs/control-protocol.md): encode a
 * request, decode a reply.  The decoder is strict and survives any bytes;
 * it is a fuzz target. */
#ifndef XENVNET_VN_REPLY_H
#define XENVNET_VN_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include "vn_record.h"

struct vn_reply {
	bool ok;
	char code[32];        /* the daemon's error code when !ok */
	char message[600];    /* and its text */
	struct vn_rows rows;  /* the records when ok */
};

/* "XVNCTL/1 <verb>[ key=value]*\n" into buf.  kv is NULL or a NULL-ended
 * list of key, value pairs; a NULL value skips its pair.  Returns the
 * length, or -1 with err when a value has bytes the protocol forbids or
 * the line is too long. */
int vn_request_encode(char *buf, size_t cap, const char *verb, const char *const *kv,
		      char *err, size_t errlen);

/* Decode a whole reply.  Returns 0 (see rep->ok), or -1 with err when the
 * bytes are not a well-formed reply.  Free rep either way. */
int vn_reply_decode(const char *buf, size_t len, struct vn_reply *rep, char *err, size_t errlen);
void vn_reply_free(struct vn_reply *rep);

#endif
