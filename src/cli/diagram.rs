use super::CliError;
use super::selector::select_in;
use crate::audit::view::{self, Scope};
use crate::report::dot;
use clap::{Args, ValueEnum};
use graphviz_rust::cmd::{CommandArg, Format};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Graphviz DOT text.
    Dot,
    /// SVG, rendered by Graphviz's `dot`.
    Svg,
    /// PNG, rendered by Graphviz's `dot`.
    Png,
}

#[derive(Debug, Args)]
pub struct DiagramArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Draw what this credential or principal reaches (an access key id, an ARN, a unique
    /// name). Without it: every credential and principal of the snapshot.
    #[arg(long = "from", value_name = "SELECTOR")]
    pub from: Option<String>,
    /// Draw only the paths to administrator control (of `--from`, or of every credential,
    /// user without MFA and administrator-equivalent principal).
    #[arg(long)]
    pub over_privileged: bool,
    #[arg(long, value_enum, default_value_t = DiagramFormat::Dot)]
    pub format: DiagramFormat,
    /// Draw at most this many nodes; the picture says how many were left out.
    #[arg(long, value_name = "N", default_value_t = view::MAX_NODES)]
    pub max_nodes: usize,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Leave out the privilege-escalation techniques of `policies/`.
    #[arg(long)]
    pub no_escalation: bool,
}

/// `access-key AKIA...`, `user/ci-deployer`: the class only where the label lacks it.
fn display_name(graph: &crate::graph::Graph, node: crate::graph::NodeId) -> String {
    let n = graph.node(node);
    if n.label.starts_with(&format!("{}/", n.class)) {
        n.label.clone()
    } else {
        format!("{} {}", n.class, n.label)
    }
}

/// Graphviz's `dot`, or an error that says what to install.
fn check_dot() -> Result<(), CliError> {
    match std::process::Command::new("dot").arg("-V").output() {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(CliError::Output(io::Error::new(
            io::ErrorKind::NotFound,
            "Graphviz's `dot` is not installed (not found on PATH): install the Debian package `graphviz` (apt-get install graphviz), or use --format dot",
        ))),
        Err(e) => Err(CliError::Output(io::Error::new(
            e.kind(),
            format!("cannot run Graphviz's `dot`: {e}"),
        ))),
    }
}

pub fn run(
    args: DiagramArgs,
    policies: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if args.max_nodes == 0 {
        return Err(CliError::Usage("--max-nodes must be at least 1".into()));
    }
    // Fail before the analysis, not after it.
    if args.format != DiagramFormat::Dot {
        check_dot()?;
    }
    let rules = if args.no_escalation {
        crate::rules::RuleSet::default()
    } else {
        crate::rules::RuleSet::load(policies)?
    };
    let (snapshot, analysis) = super::index::open(&args.snapshot, &rules)?;
    let graph = &analysis.graph;
    let start = match &args.from {
        Some(selector) => Some(select_in(graph, &snapshot, selector)?),
        None => None,
    };
    // Only the graph is queried: the snapshot is freed before the query's memory adds up.
    drop(snapshot);
    let name = args.snapshot.display().to_string();
    let (scope, title) = match (start, args.over_privileged) {
        (Some(s), false) => (
            Scope::Radius(s),
            format!("blast radius of {}", display_name(graph, s)),
        ),
        (Some(s), true) => (
            Scope::Paths(view::admin_paths(graph, Some(s))),
            format!(
                "paths from {} to administrator control",
                display_name(graph, s)
            ),
        ),
        (None, true) => (
            Scope::Paths(view::admin_paths(graph, None)),
            format!("paths to administrator control in {name}"),
        ),
        (None, false) => (
            Scope::Overview,
            format!("credentials and principals of {name}"),
        ),
    };
    let v = view::build(graph, &scope, &title, args.max_nodes);
    let text = dot::render(&v);
    let bytes = match args.format {
        DiagramFormat::Dot => text.into_bytes(),
        DiagramFormat::Svg | DiagramFormat::Png => {
            let format = if args.format == DiagramFormat::Svg {
                Format::Svg
            } else {
                Format::Png
            };
            graphviz_rust::exec_dot(text, vec![CommandArg::Format(format)]).map_err(|e| {
                CliError::Output(io::Error::new(
                    e.kind(),
                    format!("Graphviz's `dot` failed: {}", e.to_string().trim()),
                ))
            })?
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| {
            CliError::Output(io::Error::new(
                e.kind(),
                format!("`{}`: {e}", path.display()),
            ))
        })?,
        None => out.write_all(&bytes)?,
    }
    Ok(())
}
