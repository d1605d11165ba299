"""The Debian package: cpack builds it into a scratch directory, then

    test_deb.py CPACK BUILD_DIR SOURCE_DIR PROJECT_VERSION

- `dpkg-deb -c`: the executables, the unit in /lib/systemd/system, the
  docs, the example, copyright and changelog.Debian.gz, all root:root, files
  0644 (executables 0755), directories 0755;
- `dpkg-deb -f Depends`: libc6, libczmq4, libsodium23 and libzmq5 are there
  (dpkg-shlibdeps ran), nothing is a -dev package, and every entry but
  adduser (which postinst runs) is a package that ships a shared library;
- Version is PROJECT_VERSION-1 and the top entry of changelog.Debian.gz,
  which is compressed the Debian way (gzip -9n: no name, no time stamp);
- `dpkg-deb -e`: postinst, prerm and postrm are in the control archive,
  0755, and parse (sh -n); md5sums lists every file of the data archive
  with its right checksum;
- lintian: its full output is printed; any E: line fails the test.
The scratch directory is removed at the end.
"""
import glob
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

PACKAGE = "incidentmesh"
DOC = "./usr/share/doc/%s/" % PACKAGE
REQUIRED_LIBRARIES = ["libc6", "libczmq4", "libsodium23", "libzmq5"]
NOT_LIBRARIES = {"adduser": "postinst creates the system user with it"}
MAINTAINER_SCRIPTS = ["postinst", "prerm", "postrm"]

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


def check_contents(deb, source):
    code, listing = run(["dpkg-deb", "-c", deb])
    if not check(code == 0, "dpkg-deb -c reads the package"):
        print(listing)
        return
    print(listing, end="")
    entries = {}
    for line in listing.splitlines():
        #  drwxr-xr-x root/root         0 2026-01-01 00:00 ./usr/bin/
        fields = line.split(None, 5)
        if len(fields) == 6:
            entries[fields[5].split(" -> ")[0]] = (fields[0], fields[1])
    expected = {
        "./usr/bin/meshnode": "-rwxr-xr-x",
        "./usr/bin/meshctl": "-rwxr-xr-x",
        "./lib/systemd/system/meshnode.service": "-rw-r--r--",
        DOC + "examples/cluster.cfg": "-rw-r--r--",
        DOC + "README.md": "-rw-r--r--",
        DOC + "copyright": "-rw-r--r--",
        DOC + "changelog.Debian.gz": "-rw-r--r--",
    }
    for name in sorted(os.listdir(os.path.join(source, "docs"))):
        if name.endswith(".md"):
            expected[DOC + name] = "-rw-r--r--"
    for path, perms in sorted(expected.items()):
        check(entries.get(path, ("", ""))[0] == perms, "%s %s in the package" % (perms, path))
    odd = ["%s %s %s" % (path, perms, owner) for path, (perms, owner) in sorted(entries.items())
           if owner != "root/root"
           or (perms[0] == "d" and perms != "drwxr-xr-x")
           or (perms[0] == "-" and perms not in ("-rw-r--r--", "-rwxr-xr-x"))]
    check(not odd, "every entry root/root, directories 0755, files 0644 or 0755%s"
          % (": not " + "; ".join(odd) if odd else ""))


def check_depends(deb):
    code, depends = run(["dpkg-deb", "-f", deb, "Depends"])
    depends = depends.strip()
    print("Depends: %s" % depends)
    if not check(code == 0 and depends, "the package has a Depends field"):
        return
    names = []
    for entry in depends.split(","):
        for alternative in entry.split("|"):
            names.append(re.sub(r"[\s(:].*", "", alternative.strip()))
    for library in REQUIRED_LIBRARIES:
        check(library in names, "Depends names %s (from dpkg-shlibdeps)" % library)
    for name in names:
        if name.endswith("-dev") or "-dev-" in name:
            check(False, "Depends: %s is a development package" % name)
        elif name in NOT_LIBRARIES:
            check(True, "Depends: %s (%s)" % (name, NOT_LIBRARIES[name]))
        else:
            code, files = run(["dpkg-query", "-L", name])
            shared = [f for f in files.splitlines() if re.search(r"/lib/.*\.so\.[0-9]", f)]
            check(code == 0 and shared, "Depends: %s is a runtime library package (%s)"
                  % (name, shared[0] if shared else "ships no shared library"))


def check_version_and_changelog(deb, scratch, version):
    code, field = run(["dpkg-deb", "-f", deb, "Version"])
    field = field.strip()
    check(code == 0 and field == version + "-1", "Version %s is %s-1" % (field, version))
    data = os.path.join(scratch, "data")
    code, output = run(["dpkg-deb", "-x", deb, data])
    if not check(code == 0, "dpkg-deb -x unpacks the data archive"):
        print(output)
        return data
    path = os.path.join(data, DOC, "changelog.Debian.gz")
    with open(path, "rb") as f:
        raw = f.read()
    #  gzip header: ID1 ID2 CM FLG MTIME(4) XFL OS. -n: no FNAME flag, MTIME 0; -9: XFL 2.
    check(raw[:2] == b"\x1f\x8b" and not raw[3] & 0x08 and raw[4:8] == b"\0\0\0\0" and raw[8] == 2,
          "changelog.Debian.gz is gzip -9n (no name, no time stamp, best compression)")
    top = gzip.decompress(raw).decode().splitlines()[0]
    match = re.match(r"%s \(([^)]+)\)" % PACKAGE, top)
    check(match is not None and match.group(1) == field,
          "changelog.Debian.gz's top entry is the package's version (%s)" % top)
    return data


def check_control(deb, scratch, data):
    control = os.path.join(scratch, "control")
    code, output = run(["dpkg-deb", "-e", deb, control])
    if not check(code == 0, "dpkg-deb -e extracts the control archive"):
        print(output)
        return
    print("control archive: %s" % " ".join(sorted(os.listdir(control))))
    for script in MAINTAINER_SCRIPTS:
        path = os.path.join(control, script)
        present = os.path.isfile(path)
        check(present and os.stat(path).st_mode & 0o777 == 0o755,
              "%s is in the control archive, mode 0755" % script)
        if present:
            code, output = run(["sh", "-n", path])
            check(code == 0, "%s parses (sh -n)%s" % (script, ": " + output if output else ""))
    md5sums = os.path.join(control, "md5sums")
    if not check(os.path.isfile(md5sums), "md5sums is in the control archive"):
        return
    listed = {}
    with open(md5sums) as f:
        for line in f:
            digest, name = line.rstrip("\n").split(None, 1)
            listed[name] = digest
    actual = {}
    for directory, _, files in os.walk(data):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                with open(path, "rb") as f:
                    actual[os.path.relpath(path, data)] = hashlib.md5(f.read()).hexdigest()
    check(listed == actual, "md5sums lists every file of the package with its checksum (%d files)"
          % len(actual))


def lintian_errors(deb):
    """lintian's exit code, full output and E: lines."""
    code, output = run(["lintian", "--display-info", deb])
    return code, output, [line for line in output.splitlines() if line.startswith("E:")]


def check_lintian(deb, scratch):
    code, output, errors = lintian_errors(deb)
    print("--- lintian %s (exit %d) ---" % (os.path.basename(deb), code))
    print(output, end="")
    print("--- end of lintian ---")
    check(code in (0, 1), "lintian ran (exit 0 or 1, not a failure of its own)")
    check(not errors, "lintian reports no error (E:)%s" % (": %d" % len(errors) if errors else ""))
    #  Negative control: the same package without its copyright file is an
    #  error lintian reports, so the check above can fail.
    tree = os.path.join(scratch, "no-copyright")
    broken = os.path.join(scratch, "no-copyright.deb")
    code, output = run(["dpkg-deb", "-R", deb, tree])
    if check(code == 0, "dpkg-deb -R unpacks the package for the negative control"):
        os.unlink(os.path.join(tree, DOC, "copyright"))
        code, output = run(["dpkg-deb", "--root-owner-group", "-b", tree, broken])
        if check(code == 0, "dpkg-deb -b rebuilds it without copyright"):
            _, _, errors = lintian_errors(broken)
            print("lintian on the package without copyright: %s" % ("; ".join(errors) or "no E: line"))
            check(any("no-copyright-file" in line for line in errors),
                  "lintian reports E: no-copyright-file when copyright is missing")


def main():
    cpack, build, source, version = sys.argv[1:5]
    build, source = os.path.abspath(build), os.path.abspath(source)
    scratch = tempfile.mkdtemp(prefix="meshpkg-deb-")
    try:
        out = os.path.join(scratch, "out")
        code, output = run([cpack, "-G", "DEB", "-B", out,
                            "--config", os.path.join(build, "CPackConfig.cmake")], cwd=build)
        print(output, end="")
        debs = glob.glob(os.path.join(out, "*.deb"))
        if not check(code == 0 and len(debs) == 1, "cpack -G DEB builds one package in %s" % out):
            return
        deb = debs[0]
        check(os.path.basename(deb).startswith("%s_%s-1_" % (PACKAGE, version)),
              "package file name %s" % os.path.basename(deb))
        check_contents(deb, source)
        check_depends(deb)
        data = check_version_and_changelog(deb, scratch, version)
        check_control(deb, scratch, data)
        check_lintian(deb, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


main()
if failures:
    print("%d check(s) failed:" % len(failures))
    for what in failures:
        print("  " + what)
    sys.exit(1)
print("all checks passed")
