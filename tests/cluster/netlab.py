"""netlab: a private network of namespaces on one host, with partitions.

One "hub" network namespace holds a Linux bridge; every node gets its own
namespace with one veth into the hub and its own address (10.77.0.11 for
the first node, .12 for the second, ...). The hub itself has 10.77.0.1: the
watcher, the metrics scraper and the bad actor run there (the runner moves
itself into the hub with setns), so they are never partitioned.

Everything lives inside namespaces named after this process (imn<pid>-...):
nothing is configured in the host's own namespace, two runs cannot collide,
and deleting the namespaces removes every interface. Namespaces left behind
by a run that was killed are removed by the next run (their PID is gone).

Partitions are blackhole routes inside the sender's namespace: "a cannot
send to b" drops every packet a addresses to b, including TCP ACKs, so a
one-way cut is asymmetric at the message level (b's messages still arrive
at a until b's TCP gives up) just as on a real network. There is no netem
in this kernel, so loss and delay stay in the simulator.

Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2; `available()`
says why not when it cannot run, and the caller must fail, not skip.
"""

import ctypes
import os
import re
import shutil
import subprocess

CLONE_NEWNET = 0x40000000
SUBNET = "10.77.0"


class NetLabError(Exception):
    pass


def _ip(*args, input_text=None):
    out = subprocess.run(["ip"] + list(args), input=input_text, capture_output=True, text=True)
    if out.returncode != 0:
        raise NetLabError("ip %s: %s" % (" ".join(args), out.stderr.strip() or out.stdout.strip()))
    return out.stdout


def available():
    """None if namespaces can be used here, else the reason they cannot."""
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed (scripts/deps.sh installs iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)"
    probe = "imn%d-probe" % os.getpid()
    try:
        _ip("netns", "add", probe)
        _ip("-n", probe, "link", "add", "br0", "type", "bridge")
        _ip("-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    except NetLabError as e:
        return "cannot create a network namespace with a bridge and veth: %s" % e
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def remove_stale():
    """Delete namespaces (and their /etc/netns entries) of earlier runs
    whose process is gone."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    if os.path.isdir("/etc/netns"):
        names += os.listdir("/etc/netns")
    for name in set(names):
        m = re.match(r"imn(\d+)-\S+$", name)
        if m and not os.path.exists("/proc/%s" % m.group(1)):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            shutil.rmtree("/etc/netns/" + name, ignore_errors=True)


class NetLab:
    def __init__(self, nodes):
        self.nodes = list(nodes)
        self.prefix = "imn%d" % os.getpid()
        self.hub = self.prefix + "-hub"
        self.hub_address = SUBNET + ".1"
        self.blocked = set()            # (a, b): a cannot send to b
        self.created = []

    def ns(self, node):
        return "%s-%s" % (self.prefix, node)

    def address(self, node):
        return "%s.%d" % (SUBNET, 11 + self.nodes.index(node))

    def setup(self):
        remove_stale()
        _ip("netns", "add", self.hub)
        self.created.append(self.hub)
        _ip("-n", self.hub, "link", "set", "lo", "up")
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "addr", "add", self.hub_address + "/24", "dev", "br0")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for k, node in enumerate(self.nodes):
            ns = self.ns(node)
            _ip("netns", "add", ns)
            self.created.append(ns)
            port = "p%d" % k
            _ip("-n", self.hub, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            _ip("-n", self.hub, "link", "set", port, "master", "br0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "addr", "add", self.address(node) + "/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")

    def enter_hub(self):
        """Move this process's network (the calling thread and every thread
        and child it starts afterwards) into the hub namespace."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/run/netns/" + self.hub, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise NetLabError("setns into %s: %s" % (self.hub, os.strerror(ctypes.get_errno())))
        finally:
            os.close(fd)

    def command(self, node, argv):
        """argv run inside node's namespace; exec, so the PID is the program's."""
        return ["ip", "netns", "exec", self.ns(node)] + list(argv)

    def block(self, pairs):
        """Add (a, b) cuts: a's packets to b are dropped."""
        by_sender = {}
        for a, b in pairs:
            if (a, b) not in self.blocked:
                by_sender.setdefault(a, []).append(b)
        for a, targets in by_sender.items():
            script = "".join("route add blackhole %s/32\n" % self.address(b) for b in targets)
            _ip("-n", self.ns(a), "-batch", "-", input_text=script)
            self.blocked.update((a, b) for b in targets)

    def heal(self):
        by_sender = {}
        for a, b in self.blocked:
            by_sender.setdefault(a, []).append(b)
        for a, targets in by_sender.items():
            script = "".join("route del blackhole %s/32\n" % self.address(b) for b in targets)
            _ip("-n", self.ns(a), "-batch", "-", input_text=script)
        self.blocked.clear()

    def name_hosts(self):
        """Make every node's name resolve to its address inside every
        namespace: `ip netns exec` bind-mounts /etc/netns/NS/hosts over
        /etc/hosts. (A process that entered the hub with enter_hub() keeps
        the host's /etc/hosts.)"""
        text = "127.0.0.1\tlocalhost\n" + "".join(
            "%s\t%s\n" % (self.address(n), n) for n in self.nodes)
        for ns in self.created:
            os.makedirs("/etc/netns/" + ns, exist_ok=True)
            with open("/etc/netns/%s/hosts" % ns, "w") as f:
                f.write(text)

    def teardown(self):
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            shutil.rmtree("/etc/netns/" + ns, ignore_errors=True)
        self.created = []
