#!/usr/bin/python3
"""The fleet read as most users script it, with python3-libvirt: every
domain, then its hostname and its interface addresses (libvirt's lease
source, as libvirt-dbus and virsh domifaddr ask by default), one call at a
time. Prints one line of counts for bench-fleet:
    vms N hostname N ip N ips N errors N seconds S
(seconds: from the open to the end, the interpreter's start left out).

    fleet-python.py URI [agent]
"""
import sys
import time

import libvirt

t0 = time.monotonic()
uri = sys.argv[1]
source = (libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT if sys.argv[2:] == ["agent"]
          else libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE)
libvirt.registerErrorHandler(lambda *args: None, None)
conn = libvirt.open(uri)
vms = hostnames = with_ip = ips = errors = 0
for dom in conn.listAllDomains(0):
    vms += 1
    try:
        if dom.hostname():
            hostnames += 1
    except libvirt.libvirtError:
        errors += 1
    try:
        n = sum(len(iface.get("addrs") or []) for iface in dom.interfaceAddresses(source).values())
        with_ip += n > 0
        ips += n
    except libvirt.libvirtError:
        errors += 1
conn.close()
print(f"vms {vms} hostname {hostnames} ip {with_ip} ips {ips} errors {errors} "
      f"seconds {time.monotonic() - t0:.6f}")
