//! The command line: clap definitions, one file per subcommand. `main.rs` only calls [`run`].

mod audit;
mod can;
mod collect;
mod diagram;
mod error;
mod index;
mod locate;
mod path;
mod radius;
mod revoke_plan;
mod rules;
mod selector;
mod synth;
mod what_if;
mod who_can;

pub use error::CliError;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;

#[derive(Debug, Parser)]
#[command(
    name = "blastmap",
    version,
    about = "What the holder of a leaked cloud credential can reach, and how",
    long_about = "blastmap reads a snapshot of a cloud's IAM exports and computes everything the holder of a credential can reach: principals, sessions, permissions and administrator control, each with a witness path and the policy statements that allow it."
)]
pub struct Cli {
    /// A directory of rule files (`*.toml` with `[[rule]]`) that add to or replace the
    /// built-in escalation rules, for every command.
    #[arg(long, global = true, value_name = "DIR")]
    pub policies: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything reachable from a credential or principal, with witness paths.
    Radius(radius::RadiusArgs),
    /// Whether a principal may perform an action on a resource: allow, deny or conditional.
    Can(can::CanArgs),
    /// The shortest path (or several) from one node to another, with each step's evidence.
    /// Exit 0 when a path exists, 1 when none does.
    Path(path::PathArgs),
    /// Who reaches a node (credentials and principals, with their paths), or who may perform
    /// an action.
    WhoCan(who_can::WhoCanArgs),
    /// The radius before and after hypothetical changes: keys deleted, policies detached,
    /// statements removed, trusts narrowed, boundaries, SCPs and denies added.
    WhatIf(what_if::WhatIfArgs),
    /// The responder's plan for a leaked key: contain it, kill its sessions, look for
    /// persistence, rotate secrets, narrow what made it damaging.
    RevokePlan(revoke_plan::RevokePlanArgs),
    /// Over-privilege findings (admin-equivalent principals, credentials that reach admin,
    /// old and unused keys, risky trusts, escalation techniques), each with a fix.
    Audit(audit::AuditArgs),
    /// A Graphviz diagram of the graph, of a radius, or of the paths to administrator control.
    Diagram(diagram::DiagramArgs),
    /// Live, read-only collection of a snapshot (needs the `aws` feature).
    Collect(collect::CollectArgs),
    /// Which account and user own an access key id, and what to collect next.
    Locate(locate::LocateArgs),
    /// The escalation rules: check them and their examples.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Builds the graph once and caches it beside the snapshot, for every later command on
    /// the same files and rules (docs/index.md).
    Index(index::IndexArgs),
    /// Writes a synthetic organisation (deterministic per seed) as a snapshot, for
    /// benchmarks and tests.
    Synth(synth::SynthArgs),
}

/// Output formats every command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// A versioned JSON document (see docs/json-schema.md).
    Json,
}

/// Runs a parsed command line, writing the report to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CliError> {
    match cli.command {
        Command::Radius(args) => radius::run(args, cli.policies.as_deref(), out),
        Command::Can(args) => can::run(args, out),
        Command::Path(args) => path::run(args, cli.policies.as_deref(), out),
        Command::WhoCan(args) => who_can::run(args, cli.policies.as_deref(), out),
        Command::WhatIf(args) => what_if::run(args, cli.policies.as_deref(), out),
        Command::RevokePlan(args) => revoke_plan::run(args, cli.policies.as_deref(), out),
        Command::Audit(args) => audit::run(args, cli.policies.as_deref(), out),
        Command::Diagram(args) => diagram::run(args, cli.policies.as_deref(), out),
        Command::Collect(args) => collect::run(args, out),
        Command::Locate(args) => locate::run(args, out),
        Command::Rules(command) => rules::run(command, cli.policies.as_deref(), out),
        Command::Index(args) => index::run(args, cli.policies.as_deref(), out),
        Command::Synth(args) => synth::run(args, out),
    }
}
