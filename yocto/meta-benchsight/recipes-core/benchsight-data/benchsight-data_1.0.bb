SUMMARY = "BenchSight data partition: made on the first boot, mounted at /data"
DESCRIPTION = "The appliance's root file system is read-only. Its writable state lives on an \
ext4 data partition that systemd-repart creates on the first boot from the boot disk's free \
space (behind the A/B root file systems) and that data.mount mounts at /data; volatile-binds \
(see volatile-binds.bbappend) lays /var/lib and /etc/benchsight over folders on it."
HOMEPAGE = "https://example.invalid/benchsight/edge-cloud"
SECTION = "base"
LICENSE = "CLOSED"

SRC_URI = " \
    file://50-benchsight-data.conf \
    file://data.mount \
"

# Releases before styhead unpack file:// entries into WORKDIR and have no UNPACKDIR.
UNPACKDIR ??= "${WORKDIR}"
S = "${UNPACKDIR}"

inherit allarch systemd

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${nonarch_libdir}/repart.d
    install -m 0644 ${S}/50-benchsight-data.conf ${D}${nonarch_libdir}/repart.d/50-benchsight-data.conf

    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/data.mount ${D}${systemd_system_unitdir}/data.mount

    # The mount point: the read-only root file system cannot create it at boot.
    install -d ${D}/data
}

SYSTEMD_SERVICE:${PN} = "data.mount"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

FILES:${PN} += "\
    ${nonarch_libdir}/repart.d \
    ${systemd_system_unitdir}/data.mount \
    /data \
"

# systemd-repart is part of systemd with PACKAGECONFIG repart (conf/distro/benchsight.conf);
# it formats the new partition with mkfs.ext4, and the mount is checked with e2fsck first.
RDEPENDS:${PN} = " \
    e2fsprogs-e2fsck \
    e2fsprogs-mke2fs \
    systemd \
    volatile-binds \
"
