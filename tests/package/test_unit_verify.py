"""cmake --install into a scratch DESTDIR, then systemd-analyze on the
installed meshnode.service.

    test_unit_verify.py CMAKE BUILD_DIR SOURCE_DIR

- the install puts the executables, the unit, the docs and the example
  where the package expects them (prefix /usr: the unit in /lib/systemd/system),
  with modes 0755 / 0644;
- `systemd-analyze verify --root=SCRATCH` passes with no output at all: it
  resolves ExecStart=/usr/bin/meshnode inside the scratch root, and the
  default dependencies (sysinit.target, ...) from a copy of this host's own
  units, since a bare scratch root has none;
- negative controls: the same check fails on a copy with a misspelled
  directive (verify prints "Unknown key" but exits 0, so any output fails)
  and on a copy whose ExecStart names a missing executable, and on the real
  unit once /usr/bin/meshnode is taken out of the scratch root;
- `systemd-analyze security --offline` rates the unit at most MAX_EXPOSURE
  (it is 1.9 with every hardening line; dropping a few of them exceeds it);
- the installed example cluster file parses (`meshctl state` loads it).
Scratch files live under one temporary directory, removed at the end.
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

MAX_EXPOSURE = 2.5
UNIT = "lib/systemd/system/meshnode.service"
HOST_UNIT_DIRS = ["/lib/systemd/system", "/usr/lib/systemd/system"]

failures = []


def check(condition, what):
    print("%s: %s" % ("ok" if condition else "FAIL", what))
    if not condition:
        failures.append(what)
    return condition


def run(argv, **kwargs):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, **kwargs)
    return result.returncode, result.stdout


def verify(root, unit_path):
    """(passes, output): passes only with exit 0 and nothing printed."""
    code, output = run(["systemd-analyze", "verify", "--man=no", "--root=" + root, unit_path])
    return code == 0 and output.strip() == "", "exit %d: %s" % (code, output.strip() or "(no output)")


def copy_host_units(root):
    """sysinit.target, basic.target, network-online.target, ... into the scratch
    root's /usr/lib/systemd/system, so that verify can build the start job.
    The unit under test stays the only meshnode.service there."""
    target = os.path.join(root, "usr/lib/systemd/system")
    os.makedirs(target, exist_ok=True)
    seen = set()
    for source in HOST_UNIT_DIRS:
        real = os.path.realpath(source)
        if real in seen or not os.path.isdir(real):
            continue
        seen.add(real)
        for name in os.listdir(real):
            if name.startswith("meshnode"):
                continue
            src, dst = os.path.join(real, name), os.path.join(target, name)
            if os.path.lexists(dst):
                continue
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif os.path.isdir(src):
                shutil.copytree(src, dst, symlinks=True)
            else:
                shutil.copy2(src, dst)
    return check(os.path.exists(os.path.join(target, "sysinit.target")),
                 "host units copied into the scratch root (sysinit.target found)")


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def main():
    cmake, build, source = sys.argv[1:4]
    build, source = os.path.abspath(build), os.path.abspath(source)
    scratch = tempfile.mkdtemp(prefix="meshpkg-unit-")
    try:
        root = os.path.join(scratch, "root")
        env = dict(os.environ, DESTDIR=root)
        code, output = run([cmake, "--install", build, "--prefix", "/usr"], env=env)
        print(output, end="")
        if not check(code == 0, "cmake --install --prefix /usr into DESTDIR=%s" % root):
            return
        unit = os.path.join(root, UNIT)
        expected = {
            "usr/bin/meshnode": 0o755, "usr/bin/meshctl": 0o755, UNIT: 0o644,
            "usr/share/doc/incidentmesh/README.md": 0o644,
            "usr/share/doc/incidentmesh/copyright": 0o644,
            "usr/share/doc/incidentmesh/changelog.Debian.gz": 0o644,
            "usr/share/doc/incidentmesh/examples/cluster.cfg": 0o644,
        }
        for name in sorted(os.listdir(os.path.join(source, "docs"))):
            if name.endswith(".md"):
                expected["usr/share/doc/incidentmesh/" + name] = 0o644
        for path, want in sorted(expected.items()):
            full = os.path.join(root, path)
            check(os.path.isfile(full) and mode(full) == want,
                  "installed %s, mode %04o" % (path, want))
        odd = [os.path.relpath(d, root) for d, _, _ in os.walk(root) if mode(d) != 0o755]
        check(not odd, "every installed directory is 0755%s" % (": not " + ", ".join(odd) if odd else ""))
        if not os.path.isfile(unit):
            return

        if not copy_host_units(root):
            return
        passes, output = verify(root, unit)
        print("systemd-analyze verify %s: %s" % (UNIT, output))
        check(passes, "systemd-analyze verify passes on the installed unit, with no complaint")

        #  Negative controls: the check must be able to fail.
        units = os.path.dirname(unit)
        with open(unit) as f:
            text = f.read()
        check("\nProtectSystem=strict\n" in text and "\nExecStart=/usr/bin/meshnode " in text,
              "the unit has the lines the controls break")
        broken = {
            "meshnode-misspelled.service": text.replace("\nProtectSystem=", "\nProtectSytem="),
            "meshnode-missing-binary.service": text.replace("ExecStart=/usr/bin/meshnode ",
                                                            "ExecStart=/usr/bin/meshnode-missing "),
        }
        for name, content in sorted(broken.items()):
            path = os.path.join(units, name)
            with open(path, "w") as f:
                f.write(content)
            passes, output = verify(root, path)
            print("systemd-analyze verify %s: %s" % (name, output))
            check(not passes, "verify rejects %s" % name)
            os.unlink(path)
        meshnode = os.path.join(root, "usr/bin/meshnode")
        os.rename(meshnode, meshnode + ".away")
        passes, output = verify(root, unit)
        os.rename(meshnode + ".away", meshnode)
        print("systemd-analyze verify without /usr/bin/meshnode in the root: %s" % output)
        check(not passes, "verify fails once /usr/bin/meshnode is missing from the scratch root "
              "(ExecStart= is looked up there, not on this host)")

        code, output = run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                            "--root=" + root, unit])
        overall = re.search(r"Overall exposure level for meshnode\.service: ([0-9.]+)", output)
        if check(overall is not None, "systemd-analyze security --offline rates the unit"):
            print(overall.group(0))
            check(float(overall.group(1)) <= MAX_EXPOSURE,
                  "exposure %s is at most %.1f" % (overall.group(1), MAX_EXPOSURE))
        else:
            print(output)

        #  The example must parse: meshctl state loads the cluster file, then
        #  reports a data directory that does not exist as a node never started.
        example = os.path.join(root, "usr/share/doc/incidentmesh/examples/cluster.cfg")
        code, output = run([os.path.join(root, "usr/bin/meshctl"), "state", "--cluster", example,
                            "--data", os.path.join(scratch, "no-such-data")])
        print("meshctl state --cluster examples/cluster.cfg: exit %d: %s" % (code, output.strip()))
        check(code == 0 and '"exists":false' in output, "the installed example cluster file parses")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


main()
if failures:
    print("%d check(s) failed:" % len(failures))
    for what in failures:
        print("  " + what)
    sys.exit(1)
print("all checks passed")
