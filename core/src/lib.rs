//! BenchSight core: the pure decision logic shared by the appliance (`edge`), the cloud (`cloud`)
//! and the simulator (`sim`). Nothing here performs I/O, reads a clock or draws randomness; callers
//! pass time and random bytes in, so every decision replays identically in a test.
//!
//! Module map:
//! - [`ids`]: tenant, device, game, store, event, record and command identifiers; sequence numbers.
//! - [`domain`]: teams, periods, confidence and review bands, zones, colours, media time, game clock.
//! - [`vocabulary`]: BenchSight event types and detail names with their exact spellings.
//! - [`event`]: the game event with its players, place, confidence and evidence.
//! - [`rink`]: rink geometry in centre-relative feet, zones, nets, faceoff dots, shot geometry.
//! - [`homography`]: image↔rink plane mapping fitted by the normalised DLT.
//! - [`camera`]: a pinhole camera over the rink and its exact ground-plane homography.
//! - [`detection`]: detector object classes, pixel boxes, detections and class-wise NMS.
//! - [`delivery`]: the appliance side of the delivery guarantee — outbox window, acks, resend, back-off.
//! - [`detector`]: model input geometry (rink region, letterbox) and output-layout decoding.
//! - [`evaluation`]: detector precision, recall, AP50, and the puck by centre distance.
//! - [`puck_finder`]: the puck as a compact dark blob on the ice, at full resolution.
//! - [`assignment`]: optimal one-to-one assignment (Hungarian method) shared by tracker and metrics.
//! - [`tracking`]: ByteTrack-class multi-object tracking of people and nets.
//! - [`mot`]: tracking scores — MOTA, MOTP and IDF1 as the `motmetrics` package defines them.
//! - [`static_spots`]: puck-like spots that never move on a fixed camera (marks, dots).
//! - [`puck_tracking`]: the puck's fixed-lag path search over candidates, possession-aware.
//! - [`teams`]: jersey-colour clustering into home and away; CIE L*a*b* colour maths.
//! - [`rink_state`]: tracks and puck placed on the rink through the homography (`RinkState`).
//! - [`engine`]: the game-event engine — rink states in, BenchSight events (and corrections) out.
//! - [`event_scoring`]: derived events matched to a true log — precision, recall, F1 per kind.
//! - [`tracker`]: BenchSight tracker save files read into events, rosters and line stints.
//! - [`review`]: human review — accepting, editing, adding events; locking on the official score.
//! - [`stats`]: the ETL — events and stints into team, player and goalie game statistics.
//! - [`shots`]: the ETL's shot chart — distance, angle, rebound, rush and xG of every shot.
//! - [`topic`]: MQTT topic builder and parser (`bs/v1/{tenant}/{device}/{kind}`).
//! - [`wire`]: versioned JSON envelopes of the edge ↔ cloud protocol.

pub mod assignment;
pub mod camera;
pub mod delivery;
pub mod detection;
pub mod detector;
pub mod domain;
pub mod engine;
pub mod evaluation;
pub mod event;
pub mod event_scoring;
pub mod homography;
pub mod ids;
pub mod mot;
pub mod puck_finder;
pub mod puck_tracking;
pub mod review;
pub mod rink;
pub mod rink_state;
pub mod shots;
pub mod static_spots;
pub mod stats;
pub mod teams;
pub mod topic;
pub mod tracker;
pub mod tracking;
pub mod vocabulary;
pub mod wire;
