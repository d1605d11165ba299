"""meshnode under valgrind memcheck, in a live 3-node cluster: it joins,
follows or leads, takes a leadership handover on SIGTERM of the leader, and
exits with no memory error and no definite leak."""
import os
import re
import shutil
import signal
import subprocess
import time
from harness import run, check, TestFailure


def test_valgrind(c):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        raise TestFailure("valgrind is not installed (scripts/deps.sh installs it)")
    log = os.path.join(c.dir, "valgrind.log")
    c.watch()
    c.start("n1")
    c.start("n2")
    proc = subprocess.Popen(
        [valgrind, "--quiet", "--error-exitcode=99", "--leak-check=full",
         "--errors-for-leak-kinds=definite,indirect", "--log-file=" + log,
         c.meshnode, "--cluster", c.cluster_file, "--id", "n3",
         "--key", os.path.join(c.dir, "n3.secret"), "--data", os.path.join(c.dir, "n3")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and "n3" not in c.watcher.latest(2000):
            time.sleep(0.2)
        check("n3" in c.watcher.latest(2000), "n3 under valgrind never published a heartbeat")
        time.sleep(5)
        found = c.leader(fresh_ms=2000)
        check(found, "no agreed leader with n3 under valgrind")
        if found[0] != "n3":
            # Make n3 go through a leader change too: stop the leader
            # gracefully so n3 sees the handover.
            check(c.kill(found[0], signal.SIGTERM) == 0, "leader did not exit 0")
            time.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    report = open(log).read() if os.path.exists(log) else ""
    print("valgrind exit %d; report: %s" % (code, report.strip() or "(empty: no errors)"))
    check(code == 0, "meshnode under valgrind exited %d:\n%s" % (code, report[-3000:]))
    check(not re.search(r"(Invalid|uninitialised|definitely lost)", report), "valgrind found errors")


run(test_valgrind, 3, 21700, name="valgrind")
