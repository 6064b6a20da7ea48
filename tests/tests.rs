//! The integration-test binary (`autotests = false`): every module below runs the real
//! `blastmap` executable or the library on snapshots in `examples/` or built in temp dirs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod moto;
mod support;

mod audit;
mod bad_input;
mod can;
mod cli;
mod collect;
mod conformance;
mod diagram;
mod iam_vulnerable;
mod index;
mod loading;
mod locate;
mod org;
mod queries;
mod revoke_plan;
mod rules;
mod synth;
mod what_if;
