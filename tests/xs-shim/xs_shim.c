/* LD_PRELOAD shim that lets the real C xenstored run without a hypervisor.
 *
 * xenstored only needs Xen for dom0's ring page and event channels and for
 * asking whether a domain exists.  We answer "every domain exists", hand out
 * event channels backed by a pipe that never fires, and serve the two
 * /proc/xen files it opens from memory.  Clients use the unix socket only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

struct xenevtchn_handle { int rfd, wfd; };

static int fake_iface;
static int fake_gnttab;

xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *d, unsigned f)
{
	(void)l; (void)d; (void)f;
	return (xc_interface *)&fake_iface;
}

int xc_interface_close(xc_interface *xch) { (void)xch; return 0; }

int xc_domain_getinfo(xc_interface *xch, uint32_t first, unsigned int max, xc_dominfo_t *info)
{
	(void)xch;
	if (max == 0)
		return 0;
	memset(info, 0, sizeof(*info));
	info->domid = first;
	info->running = 1;
	return 1;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *l, unsigned f)
{
	(void)l; (void)f;
	xenevtchn_handle *h = calloc(1, sizeof(*h));
	int p[2];
	if (!h || pipe2(p, O_CLOEXEC) < 0) {
		free(h);
		return NULL;
	}
	h->rfd = p[0];
	h->wfd = p[1];
	return h;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *l, int fd, unsigned f)
{
	(void)fd;
	return xenevtchn_open(l, f);
}

int xenevtchn_close(xenevtchn_handle *h)
{
	if (h) {
		close(h->rfd);
		close(h->wfd);
		free(h);
	}
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *h) { return h->rfd; }
int xenevtchn_notify(xenevtchn_handle *h, evtchn_port_t p) { (void)h; (void)p; return 0; }

static evtchn_port_t next_port = 16;

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *h, uint32_t d, evtchn_port_t p)
{
	(void)h; (void)d; (void)p;
	return next_port++;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *h, unsigned int v)
{
	(void)h; (void)v;
	return next_port++;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *h, uint32_t d)
{
	(void)h; (void)d;
	return next_port++;
}

int xenevtchn_unbind(xenevtchn_handle *h, evtchn_port_t p) { (void)h; (void)p; return 0; }
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *h) { (void)h; return -1; }
int xenevtchn_unmask(xenevtchn_handle *h, evtchn_port_t p) { (void)h; (void)p; return 0; }

xengnttab_handle *xengnttab_open(struct xentoollog_logger *l, unsigned f)
{
	(void)l; (void)f;
	return (xengnttab_handle *)&fake_gnttab;
}

int xengnttab_close(xengnttab_handle *g) { (void)g; return 0; }
int xengnttab_set_max_grants(xengnttab_handle *g, uint32_t n) { (void)g; (void)n; return 0; }

void *xengnttab_map_grant_ref(xengnttab_handle *g, uint32_t d, uint32_t r, int prot)
{
	(void)g; (void)d; (void)r; (void)prot;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int xengnttab_unmap(xengnttab_handle *g, void *start, uint32_t count)
{
	(void)g;
	return munmap(start, (size_t)count * 4096);
}

/* A memory-backed fd holding @len bytes of @data (rest zero). */
static int mem_file(const char *name, const void *data, size_t len, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || (len && pwrite(fd, data, len, 0) != (ssize_t)len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int open(const char *path, int flags, ...)
{
	static int (*real_open)(const char *, int, ...);
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, "/proc/xen/xsd_port") == 0)
		return mem_file("xsd_port", "1", 1, 1);
	if (strcmp(path, "/proc/xen/xsd_kva") == 0)
		return mem_file("xsd_kva", NULL, 0, 4096);
	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	return real_open(path, flags, mode);
}
