# On the BenchSight distro the read-only root file system keeps its writable state on the data
# partition (/data, recipe benchsight-data) instead of tmpfs: volatile-binds overlays each
# target folder with a folder on it, so the image's contents show through and changes persist.
#   /var/lib         the daemon's state (StateDirectory=benchsight: event store, calibration,
#                    recordings, clips, TensorRT engine cache), SSH host keys, chrony's drift
#   /etc/benchsight  per-device provisioning (edge.toml, device-token) over the image's defaults
# The cache, spool and srv folders stay volatile as in OE-core's default.
VOLATILE_BINDS:benchsight = "\
    /data/var-lib ${localstatedir}/lib\n\
    /data/etc-benchsight ${sysconfdir}/benchsight\n\
    ${localstatedir}/volatile/cache ${localstatedir}/cache\n\
    ${localstatedir}/volatile/spool ${localstatedir}/spool\n\
    ${localstatedir}/volatile/srv ${servicedir}\n\
"
