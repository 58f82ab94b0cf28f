#!/bin/bash
# tests/bench/bench_burst.sh BUILD_DIR: loop latency under a burst (issue
# 9).  The setup of tests/lab/test_stress_burst.sh (tests/lab/lib_burst.sh):
# BENCH_BURST_N (2000) vifs on h1 reach Connected at once while d2 on h2
# pings d1; `vn status` on h1 is asked every 100 ms over the control
# socket from the burst until h2 has all their MACs (and 1 s more).
# Prints one line:
#   RESULT probes=N answered=N timeouts=N p50_ms= p99_ms= max_ms= other_min_hosts=N other_timeouts=N fdb_ms=N
# (a probe without a complete reply within 2 s is a timeout; fdb_ms: burst
# -> all MACs in h2's FDB).  Target (scripts/run-bench.sh): p99 < 100 ms.
#
#   d1 198.51.100.1 [vnet97 + vnetb0..b3, the burst's vifs] h1 -- sw -- h2 [vnet97, vnetb0..b3] d2 198.51.100.2
set -e
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib_burst.sh
. tests/lab/lib_burst.sh
lab_init "${1:-build}"
N=${BENCH_BURST_N:-2000}

lab_step "burst bench: 2 hosts, $N vifs on h1, xenvnetd $LAB_DAEMON"
lb_lab "$N"
lb_burst_devices 1
lb_probe_start 1 2
t0=$(lab_now_ms)
lb_burst_connect 1
lb_wait_macs 2 "$N" 192.0.2.1 180
fdb_ms=$(($(lab_now_ms) - t0))
lb_probe_more 10
lb_probe_stop
echo "RESULT $(lb_probe_stats) fdb_ms=$fdb_ms"
