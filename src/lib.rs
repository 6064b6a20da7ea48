//! blastmap: what the holder of a leaked credential can reach, with witness paths.
//!
//! The pipeline is `snapshot` (load files) → per-cloud lowering (`aws`) into the cloud-neutral
//! `graph` → `query` → `report`. See `docs/architecture.md`.

pub mod analysis;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod graph;
pub mod index;
pub mod progress;
pub mod query;
pub mod redact;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod synth;
