#!/usr/bin/env python3
"""Check `vn metrics` text against the Prometheus text exposition format
(version 0.0.4) and, optionally, against vn's JSON.

usage: prom_check.py METRICS [STATUS_BEFORE.json STATUS_AFTER.json VNETS.json]
Format: every sample's family has one # HELP and one # TYPE line before its
samples, families are not split, names and label names have the allowed
syntax, label values are quoted with only \\\\, \\" and \\n escapes, values
are numbers, no sample repeats.  With the JSON files: each vn status
counter and number lies between its value before and after; each vnet's
xenvnet_vnet_up is 1 exactly when vn vnets says it is up.
Exit 0 when all holds; else says why.
"""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL}={VALUE})(?:,{LABEL}={VALUE})*)?\}})? (\S+)$")
PAIR = re.compile(rf"({LABEL})=({VALUE})")


def fail(msg):
    sys.exit(f"prom_check: {msg}")


def parse(text):
    """{(name, ((label, value), ...)): float} after checking the syntax."""
    helps, types, done, samples = {}, {}, set(), {}
    current = None
    if not text.endswith("\n"):
        fail("text does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = re.match(rf"^# (HELP|TYPE) ({NAME}) (.+)$", line)
        if m:
            kind, name, rest = m.groups()
            table = helps if kind == "HELP" else types
            if name in table:
                fail(f"line {n}: second {kind} for {name}")
            if kind == "TYPE" and rest not in ("counter", "gauge", "untyped", "summary", "histogram"):
                fail(f"line {n}: bad type {rest!r}")
            if name in done:
                fail(f"line {n}: family {name} split")
            if current and current != name:
                done.add(current)
            table[name] = rest
            current = name
            continue
        if line.startswith("#") or not line:
            fail(f"line {n}: stray line {line!r}")
        m = SAMPLE.match(line)
        if not m:
            fail(f"line {n}: not a sample: {line!r}")
        name, labels, value = m.groups()
        if name != current or name not in helps or name not in types:
            fail(f"line {n}: {name} without its HELP and TYPE just before")
        if types[name] == "counter" and not name.endswith("_total"):
            fail(f"line {n}: counter {name} does not end in _total")
        try:
            v = float(value)
        except ValueError:
            fail(f"line {n}: value {value!r} is not a number")
        pairs = tuple(PAIR.findall(labels or ""))
        if len({k for k, _ in pairs}) != len(pairs):
            fail(f"line {n}: a label twice")
        key = (name, tuple((k, json.loads(val)) for k, val in pairs))
        if key in samples:
            fail(f"line {n}: sample repeated")
        samples[key] = v
    for name in set(helps) | set(types):
        if name not in helps or name not in types:
            fail(f"{name}: HELP or TYPE missing")
        if not name.startswith("xenvnet_"):
            fail(f"{name}: no xenvnet_ prefix")
    return samples


def between(samples, metric, before, after, what):
    got = samples.get((metric, ()))
    if got is None:
        fail(f"{metric} missing ({what})")
    if not before <= got <= after:
        fail(f"{metric} = {got}, vn status says {before} .. {after} ({what})")


def main():
    samples = parse(open(sys.argv[1], encoding="utf-8").read())
    if len(sys.argv) == 2:
        return
    s1, s2, vnets = (json.load(open(p, encoding="utf-8")) for p in sys.argv[2:5])
    for key in ("vnets", "vnets-up", "vnets-error", "peers", "uptime"):
        metric = "xenvnet_" + key.replace("-", "_") + ("_seconds" if key == "uptime" else "")
        between(samples, metric, s1[key], s2[key], key)
    for name, v1 in s1["counters"].items():
        base = "xenvnet_" + name.replace("-", "_")
        metric = base if (base, ()) in samples else base + "_total"
        between(samples, metric, v1, s2["counters"][name], "counter " + name)
    xs = samples.get(("xenvnet_xenstore_connected", ()))
    if xs != (1.0 if s1["xenstore"] == "connected" else 0.0):
        fail(f"xenvnet_xenstore_connected {xs}, vn status says {s1['xenstore']}")
    for v in vnets:
        key = ("xenvnet_vnet_up", (("id", v["id"]), ("bridge", v["bridge"])))
        if samples.get(key) != (1.0 if v["state"] == "up" else 0.0):
            fail(f"vnet {v['id']}: xenvnet_vnet_up {samples.get(key)}, vn vnets says {v['state']}")
    ups = [k for k in samples if k[0] == "xenvnet_vnet_up"]
    if len(ups) != len(vnets):
        fail(f"{len(ups)} xenvnet_vnet_up samples, vn vnets lists {len(vnets)}")


main()
