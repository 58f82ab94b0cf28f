#!/usr/bin/env python3
"""Record every datagram to UDP port 1799 (the control port) reaching this
namespace, to the discovery group 224.10.0.1 (joined on the device with
address IFADDR) or by unicast: one line "dst src hex" each, dst from
IP_PKTINFO.  Writes "ready" first.

    udp_recorder.py OUTFILE IFADDR
"""
import socket
import sys

IP_PKTINFO = 8

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 1799))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.10.0.1") + socket.inet_aton(sys.argv[2]))
s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
out = open(sys.argv[1], "w")
print("ready", file=out, flush=True)
while True:
    data, anc, _, src = s.recvmsg(2048, socket.CMSG_SPACE(12))
    dst = "?"
    for lvl, typ, d in anc:
        if lvl == socket.IPPROTO_IP and typ == IP_PKTINFO:
            dst = socket.inet_ntoa(d[8:12])
    print(dst, src[0], data.hex(), file=out, flush=True)
