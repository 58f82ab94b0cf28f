#!/bin/bash
# tests/vm/xen/test_xen.sh BUILD_DIR: the Xen scenario's short form
# (XH_REDUCED: steps 1, 2, 3 with ping, 5 without the late vnet), as
# scripts/run-tests.sh runs it in `make test`: two emulated Xen hosts cost
# minutes under software emulation, the full scenario (`make test-xen`)
# and its migrations (`make bench`) too many for the suite's budget.
# Topology: see scenario.sh.
set -e
XH_REDUCED=1 exec "$(dirname "$0")/scenario.sh" "$1"
