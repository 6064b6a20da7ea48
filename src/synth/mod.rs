//! Synthetic AWS organisations for benchmarks and tests: deterministic per seed, written as
//! ordinary snapshots (the files `blastmap collect aws` writes), realistic in shape.
//!
//! `plan` lays out the organisation (accounts, OUs, how many users and roles each holds),
//! `org` writes its SCPs, `account` one account's `get-account-authorization-details`,
//! `documents` the policy and trust documents, `credentials` the keys and credential report,
//! `write` the files.

mod account;
mod credentials;
mod documents;
mod org;
mod plan;
mod rng;
mod write;

pub use plan::{Scale, Size};
pub use write::{Generated, SynthError, generate, read_summary};
