# xenvnet — top-level build.  `make` builds into build/, `make SAN=1` builds
# an ASan+UBSan variant into build-san/ (what `make test` runs).
# `make WERROR=1` turns warnings into errors (make test and CI ask for it).
PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/xenvnet
SYSCONFDIR ?= /etc
# systemd's own directory for PREFIX=/usr, else under the prefix.
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system),$(PREFIX)/lib/systemd/system)
XEN_SCRIPTS ?= /etc/xen/scripts

CC      ?= cc
SAN     ?= 0
O       := $(if $(filter 1,$(SAN)),build-san,build)
CFLAGS  ?= -O2 -g
WERROR  ?= 0
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -Wshadow -Wformat=2 -Wmissing-prototypes
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SANFLAGS := $(if $(filter 1,$(SAN)),$(SANITIZE))
NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
NL_LIBS   := $(shell pkg-config --libs libnl-route-3.0 libnl-xfrm-3.0 2>/dev/null || echo -lnl-xfrm-3 -lnl-route-3 -lnl-3)
SD_CFLAGS := $(shell pkg-config --cflags libsystemd 2>/dev/null)
SD_LIBS   := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
ALL_CFLAGS = $(WARN) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -Ixenstore-schema $(NL_CFLAGS) $(SD_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

SCHEMA_SRC := $(wildcard xenstore-schema/*.c)
DAEMON_SRC := $(wildcard xenvnetd/*.c)
VN_SRC     := $(wildcard tools/*.c)

SCHEMA_OBJ := $(SCHEMA_SRC:%.c=$(O)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(O)/%.o)
VN_OBJ     := $(VN_SRC:%.c=$(O)/%.o)

DAEMON := $(O)/xenvnetd/xenvnetd
VN     := $(O)/tools/vn
VNETLINK := $(O)/kmod/vnetlink
SHIM   := $(O)/tests/xs-shim/xs_shim.so
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(O)/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(O)/%)

.PHONY: all progs check-deps deps test test-vm unit lab bench demo install uninstall deb clean fuzz
all: progs $(SHIM) $(VNETLINK)
	@ln -sf ../$(DAEMON) xenvnetd/xenvnetd 2>/dev/null || true
	@ln -sf ../$(VN) tools/vn 2>/dev/null || true

progs: $(DAEMON) $(VN)

# A fresh machine: say what is missing and what to run, not a compiler error.
check-deps:
	@CC='$(CC)' scripts/check-deps.sh

$(O)/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(DAEMON): $(DAEMON_OBJ) $(SCHEMA_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lxenstore $(NL_LIBS) -lcrypto -lcares -lnftables $(SD_LIBS)

$(VN): $(VN_OBJ) $(SCHEMA_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lxenstore -ljson-c

# vnet.ko's test tool: the daemon's vnet link code behind a small CLI.
$(VNETLINK): kmod/tests/vnetlink.c $(O)/xenvnetd/dp_vnet_link.o $(SCHEMA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.o,$^) -lxenstore $(NL_LIBS)

# vnet.ko for kernel KVER (default: the newest one with headers installed),
# built from a copy under $(O)/kmod/KVER so that the tree stays clean.
KVER ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | cut -d/ -f4 | sort -V | tail -n 1)
KMOD_SRC := $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) kmod/Kbuild
.PHONY: kmod
kmod: $(O)/kmod/$(KVER)/vnet.ko
$(O)/kmod/$(KVER)/vnet.ko: $(KMOD_SRC)
	@test -n "$(KVER)" || { echo "make kmod: no kernel headers: apt-get install linux-headers-amd64" >&2; exit 1; }
	@mkdir -p $(dir $@)
	cp $(KMOD_SRC) $(dir $@)
	@# our O= (build dir) must not reach kbuild, where O= is its output tree
	env -u MAKEFLAGS -u MAKEOVERRIDES $(MAKE) -C /lib/modules/$(KVER)/build M=$(CURDIR)/$(dir $@) modules

# Kernel style of kmod/ (checkpatch.pl --strict, from linux-source-*).
.PHONY: kmod-check
kmod-check:
	scripts/checkpatch.sh

# The shim is preloaded into xenstored, never built with sanitizers.
$(SHIM): tests/xs-shim/xs_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -O2 -shared -fPIC -o $@ $< -ldl

# Everything but the two mains, for unit tests and benchmarks.
LIB_OBJ := $(SCHEMA_OBJ) $(filter-out $(O)/xenvnetd/main.o,$(DAEMON_OBJ)) $(filter-out $(O)/tools/vn.o,$(VN_OBJ))
LIB_LIBS = -lxenstore $(NL_LIBS) -lcrypto -lcares -lnftables $(SD_LIBS) -ljson-c

$(O)/tests/unit/test_%: tests/unit/test_%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ixenvnetd -Itools $(ALL_LDFLAGS) -o $@ $(filter %.c %.o,$^) -lcmocka $(LIB_LIBS)

# Driven as the fuzzer drives the cluster (tests/fuzz/fuzz_env.h).
$(O)/tests/unit/test_cluster_rx: tests/fuzz/fuzz_env.c

$(O)/tests/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ixenvnetd -Itools $(ALL_LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LIB_LIBS) -lm

deps:
	scripts/install-deps.sh

# libFuzzer targets: FUZZ_RUNS executions each (bounded by FUZZ_SECONDS).
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?= 600
fuzz: deps
	tests/fuzz/run.sh $(FUZZ_RUNS) $(FUZZ_SECONDS)

# Tests run the sanitizer build (and valgrind the plain one), warnings as errors.
test: deps
	$(MAKE) WERROR=1 all
	$(MAKE) WERROR=1 SAN=1 all unit-bins
	scripts/run-tests.sh build-san

# Lab tests of issue 10 send signed messages with the generator.
unit-bins: $(UNIT_BIN) $(O)/tests/bench/bench_cluster_gen

unit: deps
	$(MAKE) SAN=1 unit-bins
	scripts/run-tests.sh build-san unit/

lab: deps
	$(MAKE) SAN=1 all
	scripts/run-tests.sh build-san lab/

# The emulated hosts alone (tests/vm: Debian's kernel under qemu).
test-vm: deps
	$(MAKE) WERROR=1 SAN=1 all unit-bins
	scripts/run-tests.sh build-san vm/

bench: deps
	$(MAKE) all bench-bins
	scripts/run-bench.sh build

bench-bins: $(BENCH_BIN)

demo: deps
	$(MAKE) all
	tests/lab/demo.sh build

# Two emulated Xen 4.17 hosts (qemu): issue 12's Xen mode, every step
# (test-xen), or the short form that shows the demo on them (demo-xen).
.PHONY: test-xen demo-xen
test-xen: deps
	$(MAKE) all
	tests/vm/xen/scenario.sh build

demo-xen: deps
	$(MAKE) all
	XH_REDUCED=1 tests/vm/xen/scenario.sh build

MANPAGES := $(wildcard docs/*.[0-9])
DOCS     := README.md $(wildcard docs/*.md) xenstore-schema/SCHEMA.md

install: progs
	install -D -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/xenvnetd
	install -D -m 0755 $(VN) $(DESTDIR)$(SBINDIR)/vn
	install -D -m 0644 xenvnetd/xenvnetd.service $(DESTDIR)$(UNITDIR)/xenvnetd.service
	sed -i 's|@SBINDIR@|$(SBINDIR)|g' $(DESTDIR)$(UNITDIR)/xenvnetd.service
	test -e $(DESTDIR)$(SYSCONFDIR)/xenvnet/xenvnetd.conf || \
		install -D -m 0644 xenvnetd/xenvnetd.conf $(DESTDIR)$(SYSCONFDIR)/xenvnet/xenvnetd.conf
	install -D -m 0755 hotplug/vif-vnet $(DESTDIR)$(XEN_SCRIPTS)/vif-vnet
	install -D -m 0755 hotplug/vif-post.d/xenvnet.hook $(DESTDIR)$(XEN_SCRIPTS)/vif-post.d/xenvnet.hook
	for m in $(MANPAGES); do s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in $(DOCS); do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$${f##*/}; done

# Everything install put there but the config file once it was edited (and
# the key, which install never writes); the same variables as install.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xenvnetd $(DESTDIR)$(SBINDIR)/vn \
		$(DESTDIR)$(UNITDIR)/xenvnetd.service \
		$(DESTDIR)$(XEN_SCRIPTS)/vif-vnet $(DESTDIR)$(XEN_SCRIPTS)/vif-post.d/xenvnet.hook
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	for f in $(DOCS); do rm -f $(DESTDIR)$(DOCDIR)/$${f##*/}; done
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(XEN_SCRIPTS)/vif-post.d 2>/dev/null
	if cmp -s xenvnetd/xenvnetd.conf $(DESTDIR)$(SYSCONFDIR)/xenvnet/xenvnetd.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/xenvnet/xenvnetd.conf; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/xenvnet 2>/dev/null || true; \
	fi

# The Debian package, built from a copy of the tree (dpkg-buildpackage
# cleans the tree it builds in) into $(DEB_OUT).
DEB_OUT ?= build/deb
deb:
	scripts/build-deb.sh $(DEB_OUT)

clean:
	rm -rf build build-san xenvnetd/xenvnetd tools/vn

-include $(shell find build build-san -name '*.d' 2>/dev/null)
