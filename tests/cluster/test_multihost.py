#!/usr/bin/env python3
"""Three hosts from the package: the .deb built by cpack, unpacked into one
scratch root per host, each host a network namespace with its own address
and an /etc/hosts that names all three; the bundles of `meshctl
cluster-init --hosts host1,host2,host3` copied where the unit expects
them; meshnode started from the unpacked files the way the unit starts it
(no --id: the member is found from the key; endpoints are host names, so
each node binds the address its own name resolves to). Must show: one
leader, all three agree, `meshctl status` exits 0.

Usage: test_multihost.py BUILD_DIR   (needs root and iproute2, like the nemesis)
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

HOSTS = ["host1", "host2", "host3"]


def mono_ms():
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


def fail(message):
    print("FAIL test_multihost: %s" % message, flush=True)
    return 1


def build_package(build, scratch):
    out = subprocess.run(["cpack", "-G", "DEB", "-B", scratch, "--config",
                          os.path.join(build, "CPackConfig.cmake")],
                         capture_output=True, text=True, cwd=build)
    debs = glob.glob(os.path.join(scratch, "*.deb"))
    if out.returncode != 0 or len(debs) != 1:
        raise RuntimeError("cpack failed: %s%s" % (out.stdout[-2000:], out.stderr[-2000:]))
    return debs[0]


def agreed(events, hosts):
    """(leader, term) if each host's latest heartbeat names one leader that
    holds a lease, in one term; else None."""
    latest = {}
    for e in events:
        latest[e["node"]] = e
    if set(latest) != set(hosts):
        return None
    leaders = [v for v in latest.values() if v["role"] == "leader" and v.get("lease_ms")]
    if len(leaders) != 1:
        return None
    lead = leaders[0]
    if all(v["leader"] == lead["node"] and v["term"] == lead["term"] for v in latest.values()):
        return lead["node"], lead["term"]
    return None


def main():
    build = os.path.abspath(sys.argv[1])
    why = netlab.available()
    if why:
        return fail("network namespaces unavailable: %s" % why)
    scratch = tempfile.mkdtemp(prefix="meshtest-multihost-")
    lab = netlab.NetLab(HOSTS)
    procs = []
    try:
        deb = build_package(build, os.path.join(scratch, "pkg"))
        print("package: %s" % os.path.basename(deb))
        # The operator's side: the package's meshctl writes the bundles
        ops = os.path.join(scratch, "ops")
        subprocess.run(["dpkg-deb", "-x", deb, ops], check=True)
        meshctl = os.path.join(ops, "usr", "bin", "meshctl")
        bundles = os.path.join(scratch, "bundles")
        subprocess.run([meshctl, "cluster-init", bundles, "--hosts", ",".join(HOSTS),
                        "--id", "multihost"], check=True, stdout=subprocess.DEVNULL)
        for host in HOSTS:
            listing = sorted(os.listdir(os.path.join(bundles, host)))
            if listing != ["cluster.cfg", "node.secret"]:
                return fail("bundle %s holds %s, not exactly cluster.cfg and node.secret"
                            % (host, listing))
        if not os.path.exists(os.path.join(bundles, "DEPLOY.txt")):
            return fail("no DEPLOY.txt beside the bundles")
        # Each host: the package unpacked into its own root, its bundle in
        # /etc/incidentmesh, its data in /var/lib/incidentmesh
        lab.setup()
        lab.name_hosts()
        for host in HOSTS:
            root = os.path.join(scratch, host)
            subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
            etc = os.path.join(root, "etc", "incidentmesh")
            os.makedirs(etc, mode=0o750)
            shutil.copy(os.path.join(bundles, host, "cluster.cfg"), etc)
            shutil.copy(os.path.join(bundles, host, "node.secret"), etc)
            os.chmod(os.path.join(etc, "node.secret"), 0o600)
            data = os.path.join(root, "var", "lib", "incidentmesh")
            os.makedirs(data, mode=0o700)
            log = open(os.path.join(scratch, host + ".log"), "w")
            argv = [os.path.join(root, "usr", "bin", "meshnode"),
                    "--cluster", os.path.join(etc, "cluster.cfg"),
                    "--key", os.path.join(etc, "node.secret"), "--data", data]
            procs.append((host, subprocess.Popen(lab.command(host, argv), stdout=log,
                                                 stderr=subprocess.STDOUT), log))
        # The watcher in the hub, with the same /etc/hosts
        cluster_file = os.path.join(bundles, "cluster.cfg")
        watcher = subprocess.Popen(["ip", "netns", "exec", lab.hub, meshctl, "watch",
                                    "--cluster", cluster_file, "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(("watch", watcher, None))
        os.set_blocking(watcher.stdout.fileno(), False)
        events, found, start, pending = [], None, mono_ms(), ""
        while mono_ms() - start < 15000 and not found:
            time.sleep(0.05)
            chunk = watcher.stdout.read() or ""
            pending += chunk
            *lines, pending = pending.split("\n")
            events += [json.loads(line) for line in lines if line.strip()]
            found = agreed(events, HOSTS)
        if not found:
            seen = sorted({e["node"] for e in events})
            return fail("no leader agreed by all three hosts within 15 s (heard from %s)" % seen)
        print("leader %s in term %d, agreed by host1, host2, host3, %.0f ms after start"
              % (found[0], found[1], mono_ms() - start))
        status = subprocess.run(["ip", "netns", "exec", lab.hub, meshctl, "status", "--cluster",
                                 cluster_file, "--json"], capture_output=True, text=True)
        verdict = json.loads(status.stdout) if status.stdout.strip() else {}
        if status.returncode != 0 or verdict.get("leader") != found[0]:
            return fail("meshctl status: exit %d, %s" % (status.returncode, status.stdout.strip()))
        for host, proc, _ in procs[:3]:
            if proc.poll() is not None:
                return fail("%s exited with %d" % (host, proc.returncode))
        with open(os.path.join(scratch, HOSTS[0] + ".log")) as f:
            text = f.read()
        if "bound on 10.77.0.11" not in text or "loopback" in text:
            return fail("host1 did not bind its name's address:\n" + text)
        print("meshctl status: exit 0, leader %s; host1 bound host1 -> 10.77.0.11" % found[0])
        print("PASS test_multihost")
        return 0
    except (RuntimeError, subprocess.CalledProcessError, netlab.NetLabError) as e:
        return fail(str(e))
    finally:
        for _, proc, log in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
            if log:
                log.close()
        lab.teardown()
        if os.environ.get("KEEP_TEST_DIRS"):
            print("kept", scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
