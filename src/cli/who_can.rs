use super::selector::select_in;
use super::{CliError, Format};
use crate::graph::NodeKind;
use crate::query::who_reaches;
use crate::report;
use crate::rules::RuleSet;
use crate::snapshot::Snapshot;
use clap::{ArgGroup, Args};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("question").required(true).args(["reach", "action"])))]
pub struct WhoCanArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Every credential and principal that reaches this node: a principal, a role session,
    /// `aws:account:ACCOUNT_ID` for administrator control, a resource, a permission.
    #[arg(long, value_name = "SELECTOR")]
    pub reach: Option<String>,
    /// Every user and role that may perform this action (on `--resource`, or on some
    /// resource when none is given).
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    #[arg(long, value_name = "ARN", requires = "action")]
    pub resource: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(args: WhoCanArgs, policies: Option<&Path>, out: &mut dyn Write) -> Result<(), CliError> {
    let snapshot = Snapshot::open(&args.snapshot)?;
    if let Some(action) = &args.action {
        let found = crate::aws::whocan::who_can_act(&snapshot, action, args.resource.as_deref());
        let text = match args.format {
            Format::Table => {
                report::table::render_who_can_act(action, args.resource.as_deref(), &found)
            }
            Format::Json => {
                report::json::render_who_can_act(action, args.resource.as_deref(), &found)?
            }
        };
        out.write_all(text.as_bytes())?;
        return Ok(());
    }
    let rules = RuleSet::load(policies)?;
    let analysis = super::index::analyse(&args.snapshot, &snapshot, &rules);
    let selector = args.reach.as_deref().unwrap_or_default();
    let target = select_in(&analysis.graph, &snapshot, selector)?;
    // Only the graph is queried: the snapshot is freed before the query's memory adds up.
    drop(snapshot);
    let reachers: Vec<_> = who_reaches(&analysis.graph, target)
        .into_iter()
        .filter(|r| {
            matches!(
                analysis.graph.node(r.node).kind,
                NodeKind::Credential | NodeKind::Principal
            )
        })
        .collect();
    let text = match args.format {
        Format::Table => report::table::render_who_can(&analysis.graph, target, &reachers),
        Format::Json => report::json::render_who_can(&analysis.graph, target, &reachers)?,
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
