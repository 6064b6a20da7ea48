//! Live, read-only AWS collection into a blastmap snapshot, and `locate` of an access key.
//!
//! This crate is a leaf: it knows the snapshot's file shapes (the JSON the AWS CLI prints,
//! see `docs/snapshot-format.md`) but nothing of the analysis. Every AWS call it makes is a
//! read: `List*`, `Get*`, `Describe*`, CodeBuild's `BatchGetProjects` (its only way to read
//! a project), `GenerateCredentialReport` (asks IAM to refresh the report; creates nothing
//! security-relevant) and, with `--member-role`, `sts:AssumeRole` into member accounts.

mod collect;
mod config;
mod error;
mod iam;
mod inventory;
pub mod json;
mod locate;
mod org;
mod progress;
mod resources;
mod writer;

pub use collect::{CollectOptions, Collected};
pub use error::Error;
pub use locate::{KeyLocation, LastUse, LocateOptions};
pub use writer::Missing;

/// Collects a snapshot (blocking: runs its own async runtime).
pub fn collect(options: &CollectOptions) -> Result<Collected, Error> {
    runtime()?.block_on(collect::collect(options))
}

/// Finds the account and user that own an access key id (blocking).
pub fn locate(options: &LocateOptions) -> Result<KeyLocation, Error> {
    runtime()?.block_on(locate::locate(options))
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}
