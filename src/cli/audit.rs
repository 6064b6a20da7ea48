use super::CliError;
use crate::audit::{self, Options, Severity};
use crate::report::audit::{AuditView, json, markdown, sarif, table};
use crate::snapshot::Snapshot;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// A table for people, then every finding in full.
    Table,
    /// `blastmap.audit.v1` (see docs/json-schema.md).
    Json,
    /// SARIF 2.1.0, for code-scanning pipelines.
    Sarif,
    /// Markdown, for a ticket or a pull request.
    Md,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Exit with status 1 when a finding is at least this severe (critical, high, medium,
    /// low, info). The report is written first.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// The moment ages and idle times are measured at (RFC 3339). Default: `collected_at` of
    /// manifest.json, else now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// Report keys and services unused for this many days or more.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub unused_days: u32,
    /// Report active keys older than this many days for rotation.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub key_age_days: u32,
    /// Leave out the privilege-escalation techniques of `policies/`.
    #[arg(long)]
    pub no_escalation: bool,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| {
        format!("`{text}` is not a severity: use critical, high, medium, low or info")
    })
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{text}` is not an RFC 3339 time (2026-11-20T09:00:00Z)"))
}

/// When the audit is judged: `--as-of`, the manifest's `collected_at`, or now.
fn as_of(args: &AuditArgs, snapshot: &Snapshot) -> (DateTime<Utc>, String) {
    if let Some(t) = args.as_of {
        return (t, "--as-of".into());
    }
    let collected = snapshot
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok());
    match collected {
        Some(t) => (
            t.with_timezone(&Utc),
            "collected_at of manifest.json".into(),
        ),
        None => (Utc::now(), "now: manifest.json has no collected_at".into()),
    }
}

/// What SARIF URIs start with: the snapshot directory as given, so that a snapshot kept in a
/// repository points at its files there.
fn uri_prefix(snapshot: &Path) -> String {
    let base = if snapshot.is_dir() {
        snapshot.to_path_buf()
    } else {
        snapshot.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let text = base.to_string_lossy().replace('\\', "/");
    let text = text.trim_start_matches("./").trim_end_matches('/');
    if text.is_empty() || text == "." {
        String::new()
    } else {
        format!("{text}/")
    }
}

pub fn run(args: AuditArgs, policies: Option<&Path>, out: &mut dyn Write) -> Result<(), CliError> {
    let rules = if args.no_escalation {
        crate::rules::RuleSet::default()
    } else {
        crate::rules::RuleSet::load(policies)?
    };
    let (snapshot, analysis) = super::index::open(&args.snapshot, &rules)?;
    let (as_of, as_of_source) = as_of(&args, &snapshot);
    let options = Options {
        as_of,
        as_of_source,
        unused_days: i64::from(args.unused_days),
        key_age_days: i64::from(args.key_age_days),
    };
    let report = audit::run(&snapshot, &analysis, &rules, options)?;
    let name = args.snapshot.display().to_string();
    let view = AuditView {
        graph: &analysis.graph,
        audit: &report,
        snapshot: &name,
    };
    let text = match args.format {
        AuditFormat::Table => table::render(&view),
        AuditFormat::Json => json::render(&view)?,
        AuditFormat::Md => markdown::render(&view),
        AuditFormat::Sarif => {
            let pairs = sarif::pointers(&analysis.graph, &report.findings);
            let lines = audit::lines::locate(&args.snapshot, &pairs);
            let prefix = uri_prefix(&args.snapshot);
            sarif::render(
                &view,
                &sarif::Locations {
                    uri_prefix: &prefix,
                    lines: &lines,
                },
            )?
        }
    };
    out.write_all(text.as_bytes())?;
    if let Some(threshold) = args.fail_on {
        let n = report.at_least(threshold);
        if n > 0 {
            return Err(CliError::Failed(format!(
                "{n} finding{} at or above {} (--fail-on {})",
                if n == 1 { "" } else { "s" },
                threshold.as_str(),
                threshold.as_str()
            )));
        }
    }
    Ok(())
}
