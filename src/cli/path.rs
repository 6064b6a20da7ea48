use super::selector::select_in;
use super::{CliError, Format};
use crate::query::{SelectError, paths, radius};
use crate::report;
use crate::rules::RuleSet;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Where the path starts: an access key id, an ARN, or a unique name.
    #[arg(long = "from", value_name = "SELECTOR")]
    pub from: String,
    /// Where it ends: a principal, a role session, `aws:account:ACCOUNT_ID` for
    /// administrator control, a resource.
    #[arg(long = "to", value_name = "SELECTOR")]
    pub to: String,
    /// Several paths, shortest first, instead of the witness alone.
    #[arg(long)]
    pub all: bool,
    /// How many paths `--all` lists at most.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Exit 0 when a path exists, 1 when none does (scripts branch on it), 2 on bad input.
pub fn run(args: PathArgs, policies: Option<&Path>, out: &mut dyn Write) -> Result<(), CliError> {
    let rules = RuleSet::load(policies)?;
    let snapshot = crate::snapshot::Snapshot::open(&args.snapshot)?;
    let on_whole_graph = || -> Result<_, CliError> {
        let analysis = super::index::analyse(&args.snapshot, &snapshot, &rules);
        let from = select_in(&analysis.graph, &snapshot, &args.from)?;
        let to = select_in(&analysis.graph, &snapshot, &args.to)?;
        Ok((analysis, from, to))
    };
    let (analysis, from, to) = if args.all {
        on_whole_graph()?
    } else {
        // The witness of one radius: without an index, only what the start reaches is
        // decided (every path, with --all, needs every edge).
        let (analysis, from, whole) =
            super::index::analyse_from(&args.snapshot, &snapshot, &rules, |graph| {
                select_in(graph, &snapshot, &args.from)
            })?;
        match select_in(&analysis.graph, &snapshot, &args.to) {
            // A node only an unreached principal's decisions add: the whole graph names it
            // (and no path leads to it), or says what the selector matches instead.
            Err(SelectError::NotFound { .. }) if !whole => on_whole_graph()?,
            Ok(to) => (analysis, from, to),
            Err(e) => return Err(e.into()),
        }
    };
    // Only the graph is queried: the snapshot is freed before the query's memory adds up.
    drop(snapshot);
    let found: Vec<_> = if args.all {
        paths(&analysis.graph, from, to, args.max.max(1), 200_000)
    } else {
        // The witness of the radius: the shortest all-definite path if there is one.
        let r = radius(&analysis.graph, from);
        r.get(to).map(|x| vec![r.path(x)]).unwrap_or_default()
    };
    let text = match args.format {
        Format::Table => report::table::render_path(&analysis.graph, from, to, &found),
        Format::Json => report::json::render_path(&analysis.graph, from, to, &found)?,
    };
    out.write_all(text.as_bytes())?;
    if found.is_empty() {
        Err(CliError::NoPath)
    } else {
        Ok(())
    }
}
