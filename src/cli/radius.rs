use super::selector::select_in;
use super::{CliError, Format};
use crate::query::radius;
use crate::report::{self, RadiusSummary};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("start").required(true).args(["from", "all_principals", "all_keys"])))]
pub struct RadiusArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Where to start: an access key id (AKIA...), a user or role ARN, or a unique user or
    /// role name.
    #[arg(long = "from", value_name = "SELECTOR")]
    pub from: Option<String>,
    /// Every user and role's radius summarised, most dangerous first: the auditor's list.
    #[arg(long)]
    pub all_principals: bool,
    /// Every access key's radius summarised, most dangerous first.
    #[arg(long)]
    pub all_keys: bool,
    /// Leave out the privilege-escalation techniques of `policies/`: only role assumption,
    /// sessions and administrator control.
    #[arg(long)]
    pub no_escalation: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(
    args: RadiusArgs,
    policies: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let rules = if args.no_escalation {
        crate::rules::RuleSet::default()
    } else {
        crate::rules::RuleSet::load(policies)?
    };
    let snapshot = crate::snapshot::Snapshot::open(&args.snapshot)?;
    if let Some(from) = args.from.as_deref() {
        // One radius: without an index, only the principals the start reaches are decided.
        let (analysis, start, _) =
            super::index::analyse_from(&args.snapshot, &snapshot, &rules, |graph| {
                select_in(graph, &snapshot, from)
            })?;
        // Only the graph is queried: the snapshot is freed before the query's memory adds up.
        drop(snapshot);
        let reach = radius(&analysis.graph, start);
        let summary = RadiusSummary::new(&analysis.graph, &reach, &analysis.missing);
        match args.format {
            Format::Table => out.write_all(report::table::render_radius(&summary).as_bytes())?,
            // Streamed: the report of a wide key runs to a hundred megabytes.
            Format::Json => report::json::write_radius(&summary, out)?,
        }
        return Ok(());
    }
    let analysis = super::index::analyse(&args.snapshot, &snapshot, &rules);
    // Only the graph is ranked: the snapshot is freed before the ranking's memory adds up.
    drop(snapshot);
    let keys = args.all_keys;
    let summaries = crate::query::summarise_all(&analysis.graph, |n| {
        let node = analysis.graph.node(n);
        if keys {
            node.kind == crate::graph::NodeKind::Credential
        } else {
            node.kind == crate::graph::NodeKind::Principal && matches!(node.class, "user" | "role")
        }
    });
    let text = match args.format {
        Format::Table => report::table::render_ranking(&analysis.graph, &summaries),
        Format::Json => report::json::render_ranking(&analysis.graph, &summaries)?,
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
