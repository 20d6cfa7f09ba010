# nooelint: oelint.var.mandatoryvar.SRC_URI
# (SRC_URI stays empty on purpose: the files come from EXTERNALSRC, the repository checkout.)
SUMMARY = "BenchSight detector bs-det-2 (ONNX) for the appliance"
DESCRIPTION = "BenchSight's own detector (players, goalies, referees, puck, nets) as an ONNX \
file, its full-resolution puck network (puck.onnx) and their model.toml (input size, classes, \
thresholds, checksums), installed where the appliance's configuration looks for it. No \
TensorRT engine is built here: engines are tied to the device's TensorRT version, so \
benchsight-edge builds one on the device's first start into its engine cache on the data \
partition (/var/lib/benchsight/tensorrt-cache)."
HOMEPAGE = "https://example.invalid/benchsight/edge-cloud"
SECTION = "multimedia"
# Trained by BenchSight (models/bs-det-2/README.md); proprietary like the workspace.
LICENSE = "CLOSED"

# The model folder of the repository checkout that holds this layer (layer.conf).
EXTERNALSRC = "${BENCHSIGHT_SRC_ROOT}/models/bs-det-2"

inherit allarch externalsrc

do_configure[noexec] = "1"
do_compile[noexec] = "1"

# [model] path in config/edge.toml.
BENCHSIGHT_MODEL_DIR = "${datadir}/benchsight/models/bs-det-2"

do_install() {
    install -d ${D}${BENCHSIGHT_MODEL_DIR}
    install -m 0644 ${S}/model.onnx ${D}${BENCHSIGHT_MODEL_DIR}/model.onnx
    install -m 0644 ${S}/puck.onnx ${D}${BENCHSIGHT_MODEL_DIR}/puck.onnx
    install -m 0644 ${S}/model.toml ${D}${BENCHSIGHT_MODEL_DIR}/model.toml
}

FILES:${PN} += "${BENCHSIGHT_MODEL_DIR}"
