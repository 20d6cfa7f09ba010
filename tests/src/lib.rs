//! End-to-end tests of BenchSight across crate and process boundaries live in `tests/tests/`.
//! This library holds nothing yet beyond this map; helpers shared by those tests (service
//! settings, process launchers) belong here.
