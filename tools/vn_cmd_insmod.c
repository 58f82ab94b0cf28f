/* insmod: load the kernel modules the data plane needs.  The original vnet
 * had its own module (vnet_module); xenvnet's is vnet.ko (kmod/), and
 * without it the kernel's bridge and VXLAN drivers carry the vnets. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "../xenvnetd/ctl_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NATIVE_MODULE "vnet"

extern char **environ;

/* Run modprobe with args; its exit status, or -1 when it could not run. */
static int modprobe(const char *const *args, bool quiet)
{
	char *argv[8] = { "modprobe" };
	posix_spawn_file_actions_t fa;
	int i, status;
	pid_t pid;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	int e = posix_spawnp(&pid, "modprobe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		errno = e;
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool module_loaded(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

static int load(const char *name)
{
	if (module_loaded(name))
		return 0;
	const char *args[] = { name, NULL };
	int rc = modprobe(args, false);
	if (rc != 0) {
		vn_err("modprobe %s failed%s%s", name, rc < 0 ? ": " : "", rc < 0 ? strerror(errno) : "");
		return -1;
	}
	return 0;
}

/* What was loaded, as text or (-j) as {"native":bool,"modules":[...],"daemon":bool}. */
static void report(const struct vn_opts *o, bool native, bool daemon)
{
	if (o->json) {
		printf("{\"native\":%s,\"modules\":%s,\"daemon\":%s}\n", native ? "true" : "false",
		       native ? "[\"" NATIVE_MODULE "\"]" : "[\"bridge\",\"vxlan\"]", daemon ? "true" : "false");
		return;
	}
	if (native) {
		printf("loaded the native %s module; xenvnetd uses it with dataplane = auto or vnet\n"
		       "(a running daemon picks it up when restarted)\n", NATIVE_MODULE);
		return;
	}
	printf("no native %s kernel module is installed; the data plane is the in-kernel\n"
	       "VXLAN one (Linux bridge + vxlan)\n", NATIVE_MODULE);
	printf("modules bridge and vxlan are loaded\n");
	if (daemon)
		printf("xenvnetd is running; 'vn status' shows its data plane\n");
}

int vn_cmd_insmod(const struct vn_opts *o, int argc, char **argv)
{
	const char *probe[] = { "-n", "-q", NATIVE_MODULE, NULL };

	if (argc != 1)
		return vn_usage_error(argv[0], "takes no operands");
	if (modprobe(probe, true) == 0) {
		if (load(NATIVE_MODULE) < 0)
			return VN_EFAIL;
		report(o, true, false);
		return VN_OK;
	}
	if (load("bridge") < 0 || load("vxlan") < 0)
		return VN_EFAIL;
	report(o, false, vn_ctl_alive(o));
	return VN_OK;
}
