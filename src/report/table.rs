//! The human report: what a responder reads first, then the table of everything reached.

use super::summary::RadiusSummary;
use crate::graph::{EdgeId, Graph, NodeId, NodeKind, Reach};
use crate::query::Reached;
use std::fmt::Write;

const SECTIONS: [(NodeKind, &str); 5] = [
    (NodeKind::Principal, "PRINCIPALS"),
    (NodeKind::Session, "SESSIONS"),
    (NodeKind::Credential, "CREDENTIALS"),
    (NodeKind::Resource, "RESOURCES"),
    (NodeKind::Permission, "PERMISSIONS"),
];

pub fn render_radius(s: &RadiusSummary) -> String {
    let g = s.graph;
    let mut out = String::new();
    let start = g.node(s.radius.start);
    let owner = match start.attrs.get("user") {
        Some(user) => format!(
            " (user {user}{})",
            start
                .account
                .as_deref()
                .map(|a| format!(", account {a}"))
                .unwrap_or_default()
        ),
        None => start
            .account
            .as_deref()
            .map(|a| format!(" (account {a})"))
            .unwrap_or_default(),
    };
    let _ = writeln!(out, "Blast radius of {} {}{owner}", start.class, start.key);
    if let Some(status) = start.attrs.get("status") {
        let _ = writeln!(out, "Key status when the snapshot was taken: {status}");
    }
    out.push('\n');

    match s.admin_reach() {
        None => {
            let _ = writeln!(
                out,
                "ADMIN: none: no administrator-equivalent control of any account"
            );
        }
        Some(_) => {
            for &(id, reach) in &s.admin {
                let account = g.node(id).account.as_deref().unwrap_or("?");
                let _ = writeln!(
                    out,
                    "ADMIN: {}: administrator-equivalent control of account {account}",
                    reach.as_str()
                );
                if let Some(r) = s.radius.get(id) {
                    let path = s.radius.path(r);
                    let _ = writeln!(out, "  {}", path_line(g, s.radius.start, &path));
                }
            }
        }
    }
    let c = s.counts();
    let _ = writeln!(
        out,
        "\nReached: {} principals, {} sessions, {} permissions, {} resources, {} credentials",
        c.principals, c.sessions, c.permissions, c.resources, c.credentials
    );

    for (kind, title) in SECTIONS {
        let mut reached: Vec<_> = s
            .radius
            .reached
            .iter()
            .filter(|r| g.node(r.node).kind == kind)
            .collect();
        // Stable: equal hop counts keep the order of discovery.
        reached.sort_by_key(|r| r.hops);
        let rows: Vec<[String; 4]> = reached
            .into_iter()
            .map(|r| {
                let last = s.radius.via(r);
                let via = last.map(|e| via(g, e)).unwrap_or_default();
                // A session lives as long as the edge that minted it allows (chaining caps it).
                let lifetime = last.and_then(|e| g.edge(e).evidence.session_max_secs);
                let name = match lifetime {
                    Some(secs) => {
                        format!("{} (lives up to {})", g.node(r.node).label, duration(secs))
                    }
                    None => g.node(r.node).label.clone(),
                };
                [
                    r.reach.as_str().to_string(),
                    r.hops.to_string(),
                    truncate(&name, NAME_WIDTH),
                    via,
                ]
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} ({})", rows.len());
        table(&mut out, ["REACH", "HOPS", "NAME", "VIA"], &rows);
    }

    let conditional: Vec<_> = s
        .radius
        .reached
        .iter()
        .filter(|r| r.reach == Reach::Conditional && g.node(r.node).kind == NodeKind::Principal)
        .collect();
    if !conditional.is_empty() {
        let _ = writeln!(out, "\nCONDITIONAL PRINCIPALS: what decides them");
        for r in conditional {
            let _ = writeln!(out, "  {}", g.node(r.node).label);
            for e in s.radius.path(r) {
                for u in &g.edge(e).evidence.undecided {
                    let _ = writeln!(out, "    - {}: {}", u.key, u.reason);
                }
            }
        }
    }

    // Principals reached through control of an account share that account's path, shown
    // under ADMIN; list only the others in full.
    let through_control = |r: &Reached| {
        s.radius
            .edges_back(r)
            .any(|e| g.node(g.endpoints(e).1).kind == NodeKind::AccountControl)
    };
    let principals: Vec<_> = s
        .radius
        .reached
        .iter()
        .filter(|r| g.node(r.node).kind == NodeKind::Principal && !through_control(r))
        .collect();
    if !principals.is_empty() {
        let _ = writeln!(
            out,
            "\nWITNESS PATHS (principals not reached through account control)"
        );
        for r in principals {
            let _ = writeln!(
                out,
                "  {} [{}]\n    {}",
                g.node(r.node).label,
                r.reach.as_str(),
                path_line(g, s.radius.start, &s.radius.path(r))
            );
        }
    }
    let controlled = s
        .radius
        .reached
        .iter()
        .filter(|r| g.node(r.node).kind == NodeKind::Principal && through_control(r))
        .count();
    if controlled > 0 {
        let _ = writeln!(
            out,
            "  ... and {controlled} principals reached through administrator control (path under ADMIN, then `controls`)"
        );
    }

    if !s.missing.is_empty() {
        let _ = writeln!(
            out,
            "\nNOT LOOKED AT (missing from the snapshot or not evaluated)"
        );
        for m in s.missing {
            let hide = if m.may_hide.is_empty() {
                String::new()
            } else {
                format!(": {}", m.may_hide)
            };
            let _ = writeln!(out, "  {} ({}){hide}", m.source, m.reason);
        }
    }
    out
}

/// Long permission texts are cut in the table; JSON output keeps them whole.
const NAME_WIDTH: usize = 96;

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

fn duration(secs: u32) -> String {
    if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} min", secs / 60)
    }
}

fn via(g: &Graph, edge: EdgeId) -> String {
    let (from, _) = g.endpoints(edge);
    let e = g.edge(edge);
    format!("{} {}", g.node(from).label, e.kind.phrase())
}

/// `A -[assumes]-> B -[acts as]-> C`, with conditional steps marked `?`.
pub fn path_line(g: &Graph, start: NodeId, path: &[EdgeId]) -> String {
    let mut line = g.node(start).label.clone();
    for &e in path {
        let (_, to) = g.endpoints(e);
        let edge = g.edge(e);
        let mark = if edge.reach == Reach::Conditional {
            "?"
        } else {
            ""
        };
        let _ = write!(
            line,
            " -[{}{mark}]-> {}",
            edge.kind.phrase(),
            g.node(to).label
        );
    }
    line
}

/// Rows under a header, columns padded to their widest cell; the last column runs free.
pub(crate) fn table<const N: usize>(out: &mut String, header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: Vec<&str>| {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                let _ = write!(text, " {cell:<width$} ", width = widths[i]);
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(out, header.to_vec());
    for row in rows {
        line(out, row.iter().map(String::as_str).collect());
    }
}

pub fn render_can(view: &super::CanView) -> String {
    let d = view.decision;
    let mut out = String::new();
    let word = super::json::decision_word(d.value).to_uppercase();
    let why = if d.explicit_deny {
        " (explicit deny)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{word}{why}: {} {} on {}",
        view.principal, view.action, view.resource
    );
    if !d.undecided.is_empty() {
        let _ = writeln!(out, "\nDepends on");
        for u in &d.undecided {
            let _ = writeln!(out, "  {}: {}", u.key, u.reason);
        }
    }
    let _ = writeln!(out, "\nSteps");
    for s in &d.steps {
        let _ = writeln!(out, "  {:<20} {:<12} {}", s.stage, s.outcome, s.detail);
    }
    for (title, list) in [("Allowed by", &d.allowed_by), ("Denied by", &d.denied_by)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}");
        for s in list {
            let sid = s
                .sid
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}{sid}: {}#{}", s.policy, s.file, s.pointer);
        }
    }
    out
}

/// `blastmap path`: each path, one step a line.
pub fn render_path(g: &Graph, from: NodeId, to: NodeId, paths: &[Vec<EdgeId>]) -> String {
    let mut out = String::new();
    if paths.is_empty() {
        let _ = writeln!(
            out,
            "No path from {} to {}",
            g.node(from).label,
            g.node(to).label
        );
        return out;
    }
    for (i, path) in paths.iter().enumerate() {
        let reach = if path.iter().all(|&e| g.edge(e).reach == Reach::Definite) {
            "definite"
        } else {
            "conditional"
        };
        let _ = writeln!(out, "Path {} ({reach}, {} hops)", i + 1, path.len());
        let _ = writeln!(out, "  {}", g.node(from).label);
        for &e in path {
            let (_, to) = g.endpoints(e);
            let edge = g.edge(e);
            let _ = writeln!(
                out,
                "  -[{}]-> {}    {}",
                edge.kind.phrase(),
                g.node(to).label,
                edge.evidence.mechanism
            );
            for u in &edge.evidence.undecided {
                let _ = writeln!(out, "        depends on {}: {}", u.key, u.reason);
            }
            for s in &edge.evidence.statements {
                let _ = writeln!(out, "        {} {}#{}", s.effect, s.file, s.pointer);
            }
        }
        out.push('\n');
    }
    out
}

/// `blastmap who-can --reach`: every credential and principal that reaches the target.
pub fn render_who_can(g: &Graph, target: NodeId, reachers: &[crate::query::Reacher]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Who can reach {}: {} credentials and principals\n",
        g.node(target).label,
        reachers.len()
    );
    let rows: Vec<[String; 4]> = reachers
        .iter()
        .map(|r| {
            let n = g.node(r.node);
            let first = r
                .path
                .first()
                .map(|&e| {
                    format!(
                        "{} {}",
                        g.edge(e).kind.phrase(),
                        g.node(g.endpoints(e).1).label
                    )
                })
                .unwrap_or_default();
            [
                r.reach.as_str().to_string(),
                r.path.len().to_string(),
                format!("{} {}", n.class, n.label),
                first,
            ]
        })
        .collect();
    table(&mut out, ["REACH", "HOPS", "WHO", "FIRST STEP"], &rows);
    out
}

/// `blastmap who-can --action`: the principals that may, allowed first.
pub fn render_who_can_act(
    action: &str,
    resource: Option<&str>,
    found: &[(String, crate::aws::authz::Decision)],
) -> String {
    let mut out = String::new();
    let on = resource
        .map(|r| format!(" on {r}"))
        .unwrap_or_else(|| " on some resource".into());
    let _ = writeln!(out, "Who can {action}{on}: {} principals\n", found.len());
    let rows: Vec<[String; 3]> = found
        .iter()
        .map(|(arn, d)| {
            let why = if d.undecided.is_empty() {
                d.allowed_by
                    .first()
                    .map(|s| s.policy.to_string())
                    .unwrap_or_default()
            } else {
                format!(
                    "depends on {}",
                    d.undecided
                        .iter()
                        .map(|u| u.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            [
                super::json::decision_word(d.value).to_string(),
                arn.clone(),
                why,
            ]
        })
        .collect();
    table(&mut out, ["DECISION", "PRINCIPAL", "WHY"], &rows);
    out
}

/// `radius --all-principals` / `--all-keys`: one line per start, most dangerous first.
pub fn render_ranking(g: &Graph, summaries: &[crate::query::Summary]) -> String {
    let mut out = String::new();
    let admins = summaries
        .iter()
        .filter(|s| s.admin_reach() == Some(Reach::Definite))
        .count();
    let _ = writeln!(
        out,
        "{} starts, {admins} reach administrator control definitely\n",
        summaries.len()
    );
    let rows: Vec<[String; 6]> = summaries
        .iter()
        .map(|s| {
            let n = g.node(s.start);
            let accounts: Vec<&str> = s
                .admin
                .iter()
                .filter_map(|(c, _)| g.node(*c).account.as_deref())
                .collect();
            [
                s.admin_reach()
                    .map(|r| r.as_str())
                    .unwrap_or("none")
                    .to_string(),
                accounts.join(","),
                s.principals.to_string(),
                s.sessions.to_string(),
                s.resources.to_string(),
                truncate(&format!("{} {}", n.class, n.label), NAME_WIDTH),
            ]
        })
        .collect();
    table(
        &mut out,
        [
            "ADMIN",
            "ACCOUNTS",
            "PRINCIPALS",
            "SESSIONS",
            "RESOURCES",
            "START",
        ],
        &rows,
    );
    out
}
