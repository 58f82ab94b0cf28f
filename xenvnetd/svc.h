/* The service manager (systemd): readiness and the watchdog.  Without
 * systemd (no NOTIFY_SOCKET) every call does nothing. */
#ifndef XENVNETD_SVC_H
#define XENVNETD_SVC_H

#include "loop.h"

struct svc {
	struct loop *loop;
	struct timer watchdog;
	unsigned watchdog_ms;   /* 0: no watchdog asked for */
};

/* Tell the manager we are ready (the control socket listens), and start
 * feeding its watchdog from the loop at half the interval it asked for. */
void svc_ready(struct svc *s, struct loop *l);
/* Tell it we are stopping, and stop the watchdog timer. */
void svc_stopping(struct svc *s);

#endif
