#!/usr/bin/env python3
"""Check vn's JSON output against the schema in vn(8) (JSON OUTPUT).

usage: json_schema.py VN.8 COMMAND FILE
Reads the 'Keys:' line of COMMAND from the man page (and, for status, the
'Counters:' line), parses FILE as JSON (or as one JSON object per line) and checks that every object has
exactly those keys, in that order.  Exit 0 when it conforms; else says why.
"""
import json
import shlex
import sys


def documented(man, command):
    """{'Keys': [...], 'Counters': [...]} for COMMAND from vn(8)."""
    lines = open(man, encoding="utf-8").read().split("\n")
    start = lines.index(".SH JSON OUTPUT")
    found, out = False, {}
    for line in lines[start + 1:]:
        if line.startswith(".SH"):
            break
        if line.startswith(".TP"):
            found = False
            continue
        if line.startswith((".B ", ".BR ")) and not out and not found:
            names = [a.replace("\\-", "-") for a in shlex.split(line.split(" ", 1)[1])]
            found = command in [n.strip(", ") for n in names]
            continue
        if found and line.startswith('.RB "') and ": " in line:
            args = shlex.split(line[4:])
            what = args[0].split(":")[0]
            out[what] = [a.replace("\\-", "-") for a in args[1::2]]
    if "Keys" not in out:
        sys.exit(f"vn(8) documents no Keys for {command}")
    return out


def check_obj(obj, keys, where):
    if not isinstance(obj, dict):
        sys.exit(f"{where}: not an object: {obj!r}")
    if list(obj) != keys:
        sys.exit(f"{where}: keys {list(obj)}, vn(8) says {keys}")


def main():
    man, command, path = sys.argv[1:4]
    doc = documented(man, command)
    text = open(path, encoding="utf-8").read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # A stream (vn -j monitor): one object per line.
        data = [json.loads(line) for line in text.splitlines()]
    if isinstance(data, list):
        for i, row in enumerate(data):
            check_obj(row, doc["Keys"], f"{command}[{i}]")
    else:
        check_obj(data, doc["Keys"], command)
        if "Counters" in doc:
            got = sorted(data["counters"])
            if got != sorted(doc["Counters"]):
                sys.exit(f"{command}: counters {got}, vn(8) says {sorted(doc['Counters'])}")


main()
