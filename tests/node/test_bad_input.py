"""Bad cluster files, key files and flags: a clear message, exit 2, and
nothing started (the node's ports stay free)."""
import os
import shutil
import subprocess
from harness import run, check, ports_free


def test_bad_input(c):
    d = c.dir
    cfg = c.cluster_file
    good = open(cfg).read()

    def node(args, expect, label):
        out = subprocess.run([c.meshnode] + args, capture_output=True, text=True, timeout=20)
        check(out.returncode == 2, "%s: exit %d, expected 2 (%s)" % (label, out.returncode, out.stderr))
        check(expect in out.stderr, "%s: message %r lacks %r" % (label, out.stderr.strip(), expect))
        check(ports_free(c.base_port, 3 * c.nodes), "%s: a port was left bound" % label)
        print("ok  meshnode %-28s -> %s" % (label, out.stderr.strip().splitlines()[-1]))

    def variant(name, text):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    base = ["--cluster", cfg, "--id", "n1", "--key", os.path.join(d, "n1.secret"),
            "--data", os.path.join(d, "n1")]
    node([], "--cluster is required", "no flags")
    node(base[:4] + base[6:], "--key is required", "missing --key")
    node(base + ["--bogus"], "unknown option --bogus", "unknown flag")
    node(base + ["extra"], "unexpected argument", "stray argument")
    node(base[:-1], "needs a value", "flag without value")
    node(["--cluster", "/nonexistent.cfg"] + base[2:], "No such file", "missing cluster file")
    node(["--cluster", variant("unknown.cfg", good.replace("    lease_ms", "    lease_msec"))] + base[2:],
         "cluster/lease_msec: unknown key", "unknown key")
    node(["--cluster", variant("lease.cfg", good.replace('lease_ms = "0"', 'lease_ms = "400"'))] + base[2:],
         "lease", "lease beyond drift bound")
    node(["--cluster", variant("dup.cfg", good.replace("127.0.0.1:%d\"" % (c.base_port + 2),
                                                        "127.0.0.1:%d\"" % c.base_port))] + base[2:],
         "endpoint", "duplicate endpoint")
    node(["--cluster", variant("zero.cfg", good.replace('weight = "1"', 'weight = "0"'))] + base[2:],
         "total weight is 0", "zero total weight")
    node(["--cluster", variant("syntax.cfg", good.replace("members\n", "members\n  broken\n"))] + base[2:],
         "not valid ZPL", "ZPL syntax")
    node(base[:2] + ["--id", "n9"] + base[4:], "--id n9: not a member", "unknown member id")
    node(base[:4] + ["--key", os.path.join(d, "n2.secret")] + base[6:], "is not members/n1/public_key",
         "another member's key")
    subprocess.run([c.meshctl, "keygen", os.path.join(d, "stranger")], check=True,
                   stdout=subprocess.DEVNULL)
    node(base[:2] + ["--key", os.path.join(d, "stranger.secret")] + base[6:],
         "is no member's public_key", "without --id, a key that is no member's")
    loose = os.path.join(d, "loose.secret")
    shutil.copy(os.path.join(d, "n1.secret"), loose)
    os.chmod(loose, 0o644)
    node(base[:4] + ["--key", loose] + base[6:], "loose.secret", "key readable by others")
    node(base[:4] + ["--key", variant("junk.secret", "not a key\n")] + base[6:], "--key", "malformed key")
    os.chmod(os.path.join(d, "junk.secret"), 0o600)
    node(base[:4] + ["--key", os.path.join(d, "junk.secret")] + base[6:], "--key", "malformed key 0600")
    state = os.path.join(d, "bad-data")
    os.makedirs(state, mode=0o700)
    with open(os.path.join(state, "state"), "wb") as f:
        f.write(b"IMSHSTAT" + b"\0" * 20)
    node(base[:6] + ["--data", state], "truncated", "truncated state file")
    node(base + ["--metrics", "nonsense"], "host:port", "bad metrics address")
    node(base + ["--compact-every", "5"], "--compact-every", "compact-every too small")
    node(base + ["--compact-every", "many"], "--compact-every", "compact-every not a number")
    node(base + ["--compact-every", "-20"], "--compact-every", "compact-every negative")

    def ctl(args, expect, label):
        out = subprocess.run([c.meshctl] + args, capture_output=True, text=True, timeout=20)
        check(out.returncode == 2, "meshctl %s: exit %d, expected 2" % (label, out.returncode))
        check(expect in out.stderr, "meshctl %s: %r lacks %r" % (label, out.stderr.strip(), expect))
        print("ok  meshctl  %-28s -> %s" % (label, out.stderr.strip()))

    ctl([], "a command is needed", "no command")
    ctl(["frobnicate"], "unknown command", "unknown command")
    ctl(["status"], "needs --cluster", "status without cluster")
    ctl(["status", "--cluster", cfg, "--timeout-ms", "-5"], "--timeout-ms", "negative timeout")
    ctl(["leader", "--cluster", cfg, "--json"], "no --json", "leader --json")
    ctl(["cluster-init", os.path.join(d, "x"), "--nodes", "0"], "--nodes", "zero nodes")
    ctl(["cluster-init", os.path.join(d, "x"), "--nodes", "3", "--weights", "1,2"], "--weights",
        "weights count")
    ctl(["cluster-init", os.path.join(d, "x"), "--nodes", "2", "--weights", "0,0"], "total weight",
        "zero weights")
    ctl(["cluster-init", d, "--nodes", "2"], "exists", "overwrite a cluster")
    ctl(["cluster-init", os.path.join(d, "h"), "--hosts", "h1,,h3"], "--hosts", "hosts empty entry")
    ctl(["cluster-init", os.path.join(d, "h"), "--hosts", "h1,h1"], "twice", "hosts repeated")
    ctl(["cluster-init", os.path.join(d, "h"), "--hosts", "h1,bad_host!"], "not a host name",
        "hosts bad name")
    ctl(["cluster-init", os.path.join(d, "h"), "--hosts", "h1,h2", "--nodes", "3"], "disagrees",
        "hosts and nodes disagree")
    ctl(["state", "--cluster", cfg], "--data", "state without data")
    ctl(["state", "--cluster", cfg, "--data", state], "truncated", "state of a damaged record")
    ctl(["put", "--cluster", cfg, "--as", "ops", "--key", os.path.join(d, "ops.secret"),
         "bad key!", "1"], "key", "put with a bad key")
    ctl(["keygen"], "PREFIX", "keygen without prefix")
    ctl(["keygen", os.path.join(d, "n1")], "n1.secret", "keygen over an existing key")


run(test_bad_input, 3, 21500, name="badinput")
