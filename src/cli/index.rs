use super::CliError;
use crate::analysis::Analysis;
use crate::graph::{Graph, NodeId};
use crate::index::{self, Key, Origin, Status};
use crate::query::SelectError;
use crate::rules::RuleSet;
use crate::snapshot::{LoadError, Snapshot};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    /// The index goes to `SNAPSHOT/.blastmap-index`, or `FILE.blastmap-index` beside a file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Index the graph without the privilege-escalation techniques of `policies/`: the one
    /// that `radius`, `audit` and `diagram` use with `--no-escalation`.
    #[arg(long)]
    pub no_escalation: bool,
    /// Write nothing: say whether a valid index exists for these rules (exit 0) or not
    /// (exit 1, with the reason).
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: IndexArgs, policies: Option<&Path>, out: &mut dyn Write) -> Result<(), CliError> {
    let rules = if args.no_escalation {
        RuleSet::default()
    } else {
        RuleSet::load(policies)?
    };
    let path = index::path_for(&args.snapshot);
    if args.check {
        return check(&args.snapshot, &path, &rules, out);
    }
    let started = Instant::now();
    let snapshot = Snapshot::open(&args.snapshot)?;
    let analysis = crate::analysis::build(&snapshot, &rules);
    let built = started.elapsed();
    let key = key(&args.snapshot, &rules)?;
    let bytes = index::write(&path, &key, &analysis)
        .map_err(|e| CliError::Failed(format!("cannot write the index: {e}")))?;
    writeln!(
        out,
        "wrote `{}`: {} nodes, {} edges, {}, built in {:.1} s",
        path.display(),
        analysis.graph.node_count(),
        analysis.graph.edge_count(),
        size(bytes),
        built.as_secs_f64()
    )?;
    Ok(())
}

fn check(
    snapshot: &Path,
    path: &Path,
    rules: &RuleSet,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let key = key(snapshot, rules)?;
    let problem = match index::read(path, &key) {
        Status::Valid(analysis) => {
            writeln!(
                out,
                "`{}` is valid: {} nodes, {} edges",
                path.display(),
                analysis.graph.node_count(),
                analysis.graph.edge_count()
            )?;
            return Ok(());
        }
        Status::Absent => "does not exist".to_string(),
        Status::Stale(stale) => format!("is stale ({stale})"),
        Status::Corrupt(why) => format!("is corrupt ({why})"),
    };
    writeln!(out, "`{}` {problem}", path.display())?;
    Err(CliError::Failed(format!(
        "no valid index: `{}` {problem}",
        path.display()
    )))
}

fn key(snapshot: &Path, rules: &RuleSet) -> Result<Key, CliError> {
    if !snapshot.exists() {
        return Err(LoadError::NotFound {
            path: snapshot.to_path_buf(),
        }
        .into());
    }
    Key::compute(snapshot, rules).map_err(|e| CliError::Failed(e.to_string()))
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// The snapshot and its analysis, for the commands that query the graph: the analysis comes
/// from the snapshot's index when it is valid for these rules (see `docs/index.md`), and is
/// built otherwise, with a one-line note on stderr when an index was there but unusable.
pub(super) fn open(path: &Path, rules: &RuleSet) -> Result<(Snapshot, Analysis), CliError> {
    let snapshot = Snapshot::open(path)?;
    let analysis = analyse(path, &snapshot, rules);
    Ok((snapshot, analysis))
}

/// [`open`] for a snapshot already opened.
pub(super) fn analyse(path: &Path, snapshot: &Snapshot, rules: &RuleSet) -> Analysis {
    let (analysis, origin) = index::load_or_build(path, snapshot, rules);
    if let Origin::Rebuilt(note) = origin {
        eprintln!("note: {note}");
    }
    analysis
}

/// For one search from one node: the analysis from the snapshot's index when it is valid,
/// and otherwise only the part of the graph the search needs (the edges of the principals
/// the start reaches, see [`crate::analysis::build_from`]). `select` picks the start. Says
/// whether the graph is whole (read from the index, or built in full).
pub(super) fn analyse_from(
    path: &Path,
    snapshot: &Snapshot,
    rules: &RuleSet,
    select: impl Fn(&Graph) -> Result<NodeId, SelectError>,
) -> Result<(Analysis, NodeId, bool), CliError> {
    match index::cached(path, rules) {
        Ok(analysis) => {
            let start = select(&analysis.graph)?;
            Ok((analysis, start, true))
        }
        Err(origin) => {
            if let Origin::Rebuilt(note) = origin {
                eprintln!("note: {note}");
            }
            match crate::analysis::build_from(snapshot, rules, &select) {
                Ok((analysis, start)) => Ok((analysis, start, false)),
                // The start is picked on the graph's skeleton, which lacks the nodes only
                // principals' decisions add (permissions, resources, roles outside the
                // snapshot): the whole graph answers such a selector, and its suggestions, as
                // it always did.
                Err(SelectError::NotFound { .. }) => {
                    let analysis = crate::analysis::build(snapshot, rules);
                    let start = select(&analysis.graph)?;
                    Ok((analysis, start, true))
                }
                Err(other) => Err(other.into()),
            }
        }
    }
}
