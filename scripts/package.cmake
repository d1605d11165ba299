#  Install rules beyond the executables (node/CMakeLists.txt installs those)
#  and the Debian package. Included from the top-level CMakeLists.txt after
#  GNUInstallDirs.
#
#    cmake --install build [--prefix /usr]     # DESTDIR=... works as usual
#    cd build && cpack -G DEB -B /tmp/out       # incidentmesh_<version>-1_<arch>.deb
#
#  What goes where (prefix /usr, as in the package):
#    /usr/bin/meshnode, /usr/bin/meshctl
#    /lib/systemd/system/meshnode.service      (PREFIX/lib/systemd/system for
#                                               any other prefix; see below)
#    /usr/share/doc/incidentmesh/              README.md, docs/*.md, copyright,
#                                               changelog.Debian.gz,
#                                               examples/cluster.cfg
#  and, in the package only, the maintainer scripts of scripts/deb/.

set(MESH_DEB_DIR ${PROJECT_SOURCE_DIR}/scripts/deb)

#  Every directory an install creates is 0755 whatever the umask, so that the
#  package's directories are too (lintian: non-standard-dir-perm).
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

#  --- docs, the example cluster file, copyright, changelog -------------------

file(GLOB MESH_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${MESH_DOCS} ${MESH_DEB_DIR}/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/docs/examples/cluster.cfg
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

#  Debian wants its changelog compressed with gzip -9n (no name or time
#  stamp in the header, so the package is reproducible); built once here.
find_program(MESH_GZIP gzip REQUIRED)
set(MESH_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz)
add_custom_command(
    OUTPUT ${MESH_CHANGELOG_GZ}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/deb
    COMMAND ${CMAKE_COMMAND} -E copy ${MESH_DEB_DIR}/changelog ${PROJECT_BINARY_DIR}/deb/changelog.Debian
    COMMAND ${MESH_GZIP} -9nf ${PROJECT_BINARY_DIR}/deb/changelog.Debian
    DEPENDS ${MESH_DEB_DIR}/changelog
    COMMENT "Compressing the Debian changelog"
    VERBATIM)
add_custom_target(mesh_deb_changelog ALL DEPENDS ${MESH_CHANGELOG_GZ})
install(FILES ${MESH_CHANGELOG_GZ} DESTINATION ${CMAKE_INSTALL_DOCDIR})

#  --- the systemd unit -------------------------------------------------------
#
#  Debian 12 keeps packaged units in /lib/systemd/system (its systemd.pc says
#  systemdsystemunitdir=/lib/systemd/system, debhelper installs them there;
#  lintian 2.116 accepts /lib and /usr/lib alike). So for the /usr prefix the
#  unit goes to /lib/systemd/system, the way GNUInstallDirs puts sysconfdir
#  in /etc for that prefix; for any other prefix under PREFIX/lib/systemd/system.
#  The choice is made at install time, because the prefix can change then:
#  cmake --install --prefix, and cpack, which installs with prefix /usr into
#  a staging DESTDIR whatever this build was configured with.
#  MESH_SYSTEMD_UNITDIR overrides it (absolute, or relative to the prefix).
set(MESH_SYSTEMD_UNITDIR "" CACHE STRING
    "Where meshnode.service is installed; empty: /lib/systemd/system for the /usr prefix, else PREFIX/lib/systemd/system")
set(MESH_UNIT_SOURCE ${PROJECT_SOURCE_DIR}/node/meshnode.service)
string(CONFIGURE [[
    set(_mesh_unitdir "@MESH_SYSTEMD_UNITDIR@")
    if(_mesh_unitdir STREQUAL "")
        if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/usr/")
            set(_mesh_unitdir "/lib/systemd/system")
        else()
            set(_mesh_unitdir "lib/systemd/system")
        endif()
    endif()
    if(NOT IS_ABSOLUTE "${_mesh_unitdir}")
        set(_mesh_unitdir "${CMAKE_INSTALL_PREFIX}/${_mesh_unitdir}")
    endif()
    #  file(INSTALL) prepends $ENV{DESTDIR} and records the file in the manifest.
    file(INSTALL DESTINATION "${_mesh_unitdir}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "@MESH_UNIT_SOURCE@")
]] MESH_UNIT_INSTALL_CODE @ONLY)
install(CODE "${MESH_UNIT_INSTALL_CODE}")

#  --- the Debian package -----------------------------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME incidentmesh)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
#  Debian revision: 0.1.0-1. Must match the top entry of scripts/deb/changelog
#  (tests/package/test_deb.py checks).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            #  name_version-release_arch.deb
set(MESH_DEB_MAINTAINER "incidentmesh maintainers <maintainers@incidentmesh.invalid>"
    CACHE STRING "Maintainer field of the Debian package (a placeholder until the project names one)")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MESH_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "cluster node that elects one stable leader for dispatch")
#  The long description; CPack puts the summary above it and formats it for
#  the control file (one leading space per line, " ." for the blank line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION [[
meshnode is one member of an incidentmesh cluster: Raft leader election with
PreVote, CheckQuorum, leader stickiness, weighted votes, a fencing token,
leadership transfer, an election-storm alarm and a leader lease, over signed
ZeroMQ messages. meshctl is the operator's tool: keys, cluster files, a live
view of the cluster, the leader, leadership transfer.

The package installs a hardened systemd unit, meshnode.service, that runs as
the system user incidentmesh; it is neither enabled nor started.]])
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
#  Runtime libraries from dpkg-shlibdeps (libc6, libczmq4, libsodium23,
#  libzmq5, ...: what the executables link, never -dev packages), plus
#  adduser, which postinst runs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${MESH_DEB_DIR}/postinst ${MESH_DEB_DIR}/prerm ${MESH_DEB_DIR}/postrm)
#  Maintainer scripts 0755, other control files 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
#  Debian ships stripped executables (lintian: unstripped-binary-or-object).
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "${MESH_DEB_MAINTAINER}")
include(CPack)
