SUMMARY = "BenchSight appliance image for NVIDIA Jetson (meta-tegra)"
DESCRIPTION = "A minimal, read-only image that runs the BenchSight appliance daemon at boot: \
systemd, the daemon with its model, configuration and unit, ONNX Runtime with the TensorRT \
provider, the GStreamer plugins its pipelines use, chrony for the clock, dropbear for service \
access over SSH (keys only) and the data partition that holds all writable state. Build it with \
DISTRO = benchsight (yocto/kas/benchsight-orin-nano.yml)."
HOMEPAGE = "https://example.invalid/benchsight/edge-cloud"
LICENSE = "MIT"

inherit core-image

IMAGE_LINGUAS = ""
# read-only-rootfs: / is mounted read-only; writable state lives on the data partition
# (benchsight-data, volatile-binds.bbappend). ssh-server-dropbear: key-only root login, host keys
# kept in /var/lib/dropbear on the data partition.
IMAGE_FEATURES += "read-only-rootfs ssh-server-dropbear"

IMAGE_INSTALL = " \
    packagegroup-core-boot \
    ${CORE_IMAGE_EXTRA_INSTALL} \
    benchsight-data \
    benchsight-edge \
    chrony \
    chronyc \
"

# Public keys allowed to log in as root over SSH for service: the path of an authorized_keys
# file on the build host (set it in local.conf or the kas file's local_conf_header). Without it
# the image accepts no SSH login at all (root has no password).
BENCHSIGHT_SSH_AUTHORIZED_KEYS ??= ""

benchsight_install_ssh_keys() {
    if [ -n "${BENCHSIGHT_SSH_AUTHORIZED_KEYS}" ]; then
        install -d -m 0700 ${IMAGE_ROOTFS}${ROOT_HOME}/.ssh
        install -m 0600 ${BENCHSIGHT_SSH_AUTHORIZED_KEYS} ${IMAGE_ROOTFS}${ROOT_HOME}/.ssh/authorized_keys
    else
        bbwarn "BENCHSIGHT_SSH_AUTHORIZED_KEYS is not set: the image accepts no SSH login"
    fi
}
ROOTFS_POSTPROCESS_COMMAND += "benchsight_install_ssh_keys"
do_rootfs[file-checksums] += "${@'${BENCHSIGHT_SSH_AUTHORIZED_KEYS}:True' if d.getVar('BENCHSIGHT_SSH_AUTHORIZED_KEYS') else ''}"
