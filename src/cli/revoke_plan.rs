use super::CliError;
use super::selector::select_in;
use crate::aws::revoke::{Inputs, plan};
use crate::graph::NodeKind;
use crate::report;
use crate::rules::RuleSet;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Markdown for the incident ticket.
    Md,
    /// `blastmap.revoke-plan.v1`.
    Json,
    /// A shell script of AWS CLI commands, every mutating one commented out.
    Sh,
}

#[derive(Debug, Args)]
pub struct RevokePlanArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The leaked access key id.
    #[arg(long = "from", value_name = "KEY_ID")]
    pub from: String,
    /// When the key was exposed (RFC 3339): CloudTrail lookups start there. Default: 90 days
    /// ago, as far as CloudTrail's event history goes.
    #[arg(long, value_name = "TIME")]
    pub exposed_since: Option<String>,
    /// The time the plan is made at (RFC 3339), for revocation conditions and session
    /// lifetimes. Default: now. Set it to make a plan reproducible.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Md)]
    pub format: PlanFormat,
}

fn time(flag: &str, text: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            CliError::Usage(format!(
                "`--{flag} {text}` is not an RFC 3339 time (2026-11-20T10:00:00Z)"
            ))
        })
}

pub fn run(
    args: RevokePlanArgs,
    policies: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let exposed_since = args
        .exposed_since
        .as_deref()
        .map(|t| time("exposed-since", t))
        .transpose()?;
    let now = args
        .now
        .as_deref()
        .map(|t| time("now", t))
        .transpose()?
        .unwrap_or_else(Utc::now);
    let rules = RuleSet::load(policies)?;
    let (snapshot, mut analysis) = super::index::open(&args.snapshot, &rules)?;
    let start = select_in(&analysis.graph, &snapshot, &args.from)?;
    if analysis.graph.node(start).kind != NodeKind::Credential {
        return Err(CliError::Usage(format!(
            "`{}` is not an access key: revoke-plan starts from the leaked key's id",
            crate::redact::for_display(&args.from)
        )));
    }
    let inputs = Inputs {
        snapshot: &snapshot,
        graph: &mut analysis.graph,
        missing: &analysis.missing,
        rules: &rules.rules,
        start,
        now,
        exposed_since,
    };
    let plan = plan(inputs).map_err(CliError::Usage)?;
    let text = match args.format {
        PlanFormat::Md => report::plan::markdown(&plan),
        PlanFormat::Json => return Ok(report::plan::write_json(&plan, out)?),
        PlanFormat::Sh => report::plan::shell(&plan),
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
