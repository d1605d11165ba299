"""systemd readiness: under a NOTIFY_SOCKET (as in a Type=notify unit) a
node reports READY=1 once its state is read and its sockets are up, a
STATUS line on every role change, and STOPPING=1 on SIGTERM. Also: a node
started without --id takes the member whose public key its key has."""
import os
import signal
import socket
import subprocess
import time
from harness import run, check, mono_ms


def read_notifications(sock, until_ms, want):
    got = []
    while mono_ms() < until_ms:
        sock.settimeout(max(0.01, (until_ms - mono_ms()) / 1000.0))
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            break
        if any(want in m for m in got):
            break
    return got


def test_notify(c):
    path = os.path.join(c.dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    c.watch()
    # n1 as the unit starts it: no --id, NOTIFY_SOCKET set
    log = open(os.path.join(c.dir, "n1.log"), "a")
    env = dict(os.environ, NOTIFY_SOCKET=path)
    started = mono_ms()
    proc = subprocess.Popen([c.meshnode, "--cluster", c.cluster_file,
                             "--key", os.path.join(c.dir, "n1.secret"),
                             "--data", os.path.join(c.dir, "n1")],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        got = read_notifications(sock, started + 5000, "READY=1")
        check(any("READY=1" in m for m in got), "no READY=1 within 5 s: %s" % got)
        print("READY=1 %.0f ms after start; messages: %s" % (mono_ms() - started, got))
        # The node knows who it is without --id: its heartbeats say n1
        c.start("n2")
        c.start("n3")
        found, took = c.wait_leader(5000, expect_nodes=3)
        check(found, "no agreed leader among n1 (no --id), n2, n3")
        check("n1" in c.watcher.latest(), "n1 publishes no heartbeats under its own id")
        # Role changes reach systemd as STATUS lines
        leader_line = "leader %s" % found[0]
        got = []
        until = mono_ms() + 3000
        while mono_ms() < until and not any(m.endswith(leader_line) for m in got):
            got += read_notifications(sock, until, leader_line)
        status = [m for m in got if m.startswith("STATUS=") and m.endswith(leader_line)]
        check(status, "no STATUS naming leader %s: %s" % (found[0], got))
        print("status: %s" % status[-1])
        proc.send_signal(signal.SIGTERM)
        got = read_notifications(sock, mono_ms() + 5000, "STOPPING=1")
        check(any("STOPPING=1" in m for m in got), "no STOPPING=1 after SIGTERM: %s" % got)
        check(proc.wait(timeout=10) == 0, "n1 did not exit 0 after SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        sock.close()


run(test_notify, 3, 21900, name="notify")
