use super::selector::select_in;
use super::{CliError, Format};
use crate::aws::whatif::{Change, ReachedKey, apply, radius_after, radius_before};
use crate::graph::Graph;
use crate::rules::RuleSet;
use crate::snapshot::LoadError;
use clap::{ArgAction, Args};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct WhatIfArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Whose radius to compare: an access key id, an ARN, or a unique name.
    #[arg(long = "from", value_name = "SELECTOR")]
    pub from: String,
    /// Delete an access key.
    #[arg(long, value_name = "KEY_ID", action = ArgAction::Append)]
    pub delete_key: Vec<String>,
    /// Detach a managed policy from a user, role or group.
    #[arg(long, num_args = 2, value_names = ["PRINCIPAL", "POLICY_ARN"], action = ArgAction::Append)]
    pub detach_policy: Vec<String>,
    /// Remove a statement (by Sid or index) from a managed policy.
    #[arg(long, num_args = 2, value_names = ["POLICY_ARN", "SID_OR_INDEX"], action = ArgAction::Append)]
    pub remove_statement: Vec<String>,
    /// Remove a principal from a role's trust policy.
    #[arg(long, num_args = 2, value_names = ["ROLE", "PRINCIPAL"], action = ArgAction::Append)]
    pub remove_trust: Vec<String>,
    /// Give a user or role a permission boundary (a JSON policy file).
    #[arg(long, num_args = 2, value_names = ["PRINCIPAL", "POLICY_FILE"], action = ArgAction::Append)]
    pub add_boundary: Vec<String>,
    /// Attach an SCP (a JSON policy file) to a root, OU or account.
    #[arg(long, num_args = 2, value_names = ["TARGET", "POLICY_FILE"], action = ArgAction::Append)]
    pub add_scp: Vec<String>,
    /// Deny an action on a resource to a user, role or group.
    #[arg(long, num_args = 3, value_names = ["PRINCIPAL", "ACTION", "RESOURCE"], action = ArgAction::Append)]
    pub add_deny: Vec<String>,
    /// A JSON file of changes: `{"changes": [{"delete_key": "AKIA..."}, ...]}` (docs/json-schema.md).
    #[arg(long, value_name = "FILE")]
    pub changes: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Deserialize)]
struct ChangesFile {
    changes: Vec<Change>,
}

use serde::Deserialize;

fn read_json(path: &Path) -> Result<serde_json::Value, CliError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(crate::snapshot::json::from_slice(path, &bytes)?)
}

fn changes(args: &WhatIfArgs) -> Result<Vec<Change>, CliError> {
    let mut out: Vec<Change> = args
        .delete_key
        .iter()
        .map(|k| Change::DeleteKey(k.clone()))
        .collect();
    for p in args.detach_policy.chunks(2) {
        out.push(Change::DetachPolicy {
            principal: p[0].clone(),
            policy: p[1].clone(),
        });
    }
    for p in args.remove_statement.chunks(2) {
        out.push(Change::RemoveStatement {
            policy: p[0].clone(),
            statement: p[1].clone(),
        });
    }
    for p in args.remove_trust.chunks(2) {
        out.push(Change::RemoveTrust {
            role: p[0].clone(),
            principal: p[1].clone(),
        });
    }
    for p in args.add_boundary.chunks(2) {
        out.push(Change::AddBoundary {
            principal: p[0].clone(),
            policy: read_json(Path::new(&p[1]))?,
        });
    }
    for p in args.add_scp.chunks(2) {
        out.push(Change::AddScp {
            target: p[0].clone(),
            policy: read_json(Path::new(&p[1]))?,
        });
    }
    for p in args.add_deny.chunks(3) {
        out.push(Change::AddDeny {
            principal: p[0].clone(),
            action: p[1].clone(),
            resource: p[2].clone(),
        });
    }
    if let Some(file) = &args.changes {
        let bytes = std::fs::read(file).map_err(|source| LoadError::Io {
            path: file.clone(),
            source,
        })?;
        let parsed: ChangesFile = crate::snapshot::json::from_slice(file, &bytes)?;
        out.extend(parsed.changes);
    }
    Ok(out)
}

pub fn run(args: WhatIfArgs, policies: Option<&Path>, out: &mut dyn Write) -> Result<(), CliError> {
    let list = changes(&args)?;
    let rules = RuleSet::load(policies)?;
    let (snapshot, mut analysis) = super::index::open(&args.snapshot, &rules)?;
    let start = select_in(&analysis.graph, &snapshot, &args.from)?;
    let start_key = analysis.graph.node(start).key.clone();
    let applied = apply(&snapshot, &list).map_err(|e| CliError::Usage(e.to_string()))?;
    let before = radius_before(&analysis.graph, &start_key);
    let after = radius_after(&mut analysis.graph, &start_key, &applied, &rules.rules);
    let doc = Diff::new(&analysis.graph, &start_key, &list, &before, &after);
    let text = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s
        }
        Format::Table => doc.table(),
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

#[derive(Serialize)]
struct Side<'a> {
    admin: &'static str,
    admin_accounts: Vec<&'a str>,
    counts: BTreeMap<&'static str, usize>,
    nodes: Vec<NodeDoc<'a>>,
}

#[derive(Serialize)]
struct NodeDoc<'a> {
    id: &'a str,
    kind: &'static str,
    label: &'a str,
    reach: &'static str,
    hops: usize,
}

#[derive(Serialize)]
struct ReachChange<'a> {
    id: &'a str,
    label: &'a str,
    before: &'static str,
    after: &'static str,
}

#[derive(Serialize)]
struct Diff<'a> {
    schema: &'static str,
    from: &'a str,
    changes: Vec<String>,
    before: Side<'a>,
    after: Side<'a>,
    no_longer_reachable: Vec<NodeDoc<'a>>,
    newly_reachable: Vec<NodeDoc<'a>>,
    reach_changed: Vec<ReachChange<'a>>,
}

fn node_doc<'a>(graph: &'a Graph, r: &'a ReachedKey) -> NodeDoc<'a> {
    NodeDoc {
        id: r.key(graph),
        kind: r.kind.as_str(),
        label: r.label(graph),
        reach: r.reach.as_str(),
        hops: r.hops,
    }
}

fn side<'a>(graph: &'a Graph, reached: &'a [ReachedKey]) -> Side<'a> {
    let admin: Vec<&ReachedKey> = reached
        .iter()
        .filter(|r| r.kind == crate::graph::NodeKind::AccountControl)
        .collect();
    let mut counts = BTreeMap::new();
    for r in reached {
        let name = match r.kind {
            crate::graph::NodeKind::Principal => "principals",
            crate::graph::NodeKind::Session => "sessions",
            crate::graph::NodeKind::Permission => "permissions",
            crate::graph::NodeKind::Resource => "resources",
            crate::graph::NodeKind::Credential => "credentials",
            crate::graph::NodeKind::AccountControl => continue,
        };
        *counts.entry(name).or_insert(0) += 1;
    }
    Side {
        admin: admin
            .iter()
            .map(|r| r.reach)
            .min()
            .map(|r| r.as_str())
            .unwrap_or("none"),
        admin_accounts: admin
            .iter()
            .map(|r| r.key(graph).trim_start_matches("aws:account:"))
            .collect(),
        counts,
        nodes: reached.iter().map(|r| node_doc(graph, r)).collect(),
    }
}

impl<'a> Diff<'a> {
    /// `graph` is the one both radii were taken on, with the overlay off.
    fn new(
        graph: &'a Graph,
        from: &'a str,
        changes: &[Change],
        before: &'a [ReachedKey],
        after: &'a [ReachedKey],
    ) -> Self {
        // A radius holds each node once: look nodes up by key, not by scanning the other side
        // (two wide radii of a hundred thousand nodes each).
        let by_key = |list: &'a [ReachedKey]| -> HashMap<&'a str, &'a ReachedKey> {
            list.iter().map(|r| (r.key(graph), r)).collect()
        };
        let (before_keys, after_keys) = (by_key(before), by_key(after));
        Diff {
            schema: "blastmap.what-if.v1",
            from,
            changes: changes.iter().map(Change::describe).collect(),
            no_longer_reachable: before
                .iter()
                .filter(|b| !after_keys.contains_key(b.key(graph)))
                .map(|r| node_doc(graph, r))
                .collect(),
            newly_reachable: after
                .iter()
                .filter(|a| !before_keys.contains_key(a.key(graph)))
                .map(|r| node_doc(graph, r))
                .collect(),
            reach_changed: before
                .iter()
                .filter_map(|b| {
                    let a = after_keys.get(b.key(graph))?;
                    (a.reach != b.reach).then(|| ReachChange {
                        id: b.key(graph),
                        label: b.label(graph),
                        before: b.reach.as_str(),
                        after: a.reach.as_str(),
                    })
                })
                .collect(),
            before: side(graph, before),
            after: side(graph, after),
        }
    }

    fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "What if: {}", self.changes.join("; "));
        let _ = writeln!(out, "Radius of {}\n", self.from);
        let count = |s: &Side, k: &str| s.counts.get(k).copied().unwrap_or(0);
        let _ = writeln!(out, "                before      after");
        let _ = writeln!(
            out,
            "  admin         {:<11} {}",
            self.before.admin, self.after.admin
        );
        for k in [
            "principals",
            "sessions",
            "permissions",
            "resources",
            "credentials",
        ] {
            let _ = writeln!(
                out,
                "  {k:<13} {:<11} {}",
                count(&self.before, k),
                count(&self.after, k)
            );
        }
        for (title, list) in [
            ("NO LONGER REACHABLE", &self.no_longer_reachable),
            ("NEWLY REACHABLE", &self.newly_reachable),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "\n{title} ({})", list.len());
                for n in list.iter().filter(|n| n.kind != "permission") {
                    let _ = writeln!(out, "  {:<12} {}", n.reach, n.label);
                }
                let permissions = list.iter().filter(|n| n.kind == "permission").count();
                if permissions > 0 {
                    let _ = writeln!(out, "  ... and {permissions} permissions");
                }
            }
        }
        if !self.reach_changed.is_empty() {
            let _ = writeln!(out, "\nREACH CHANGED ({})", self.reach_changed.len());
            for c in &self.reach_changed {
                let _ = writeln!(out, "  {} -> {}  {}", c.before, c.after, c.label);
            }
        }
        out
    }
}
