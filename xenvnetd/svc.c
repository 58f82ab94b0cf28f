#include "svc.h"
#include "log.h"

#include <stdint.h>
#include <systemd/sd-daemon.h>

/* Fed from the event loop: a loop stuck in one callback starves it, and
 * systemd then restarts us (WatchdogSec= in the unit). */
static void feed(void *arg)
{
	struct svc *s = arg;

	sd_notify(0, "WATCHDOG=1");
	loop_timer_arm(s->loop, &s->watchdog, s->watchdog_ms);
}

void svc_ready(struct svc *s, struct loop *l)
{
	uint64_t usec = 0;

	s->loop = l;
	timer_init(&s->watchdog, feed, s);
	sd_notify(0, "READY=1");
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		s->watchdog_ms = (unsigned)(usec / 2000);
		log_debug("watchdog: every %u ms", s->watchdog_ms);
		feed(s);
	}
}

void svc_stopping(struct svc *s)
{
	if (s->loop)
		loop_timer_cancel(s->loop, &s->watchdog);
	sd_notify(0, "STOPPING=1");
}
