//! What a diagram shows: which nodes and edges of the graph, folded and capped so that the
//! picture of a large organisation is still a picture, and which of them lie on paths to
//! administrator control. `report::dot` only styles what this decides.
//!
//! - Role sessions fold into their role: `A assumes session of R acts as R` is drawn
//!   `A assumes R`. Sessions a principal mints for itself stay (in a radius) as sessions.
//! - Permissions collapse into one node per principal, counted per service.
//! - Principals reached only through administrator control are not drawn one by one: the
//!   account-control node says how many there are.
//! - At most `max_nodes` nodes; the graph's label says how many were left out.

use super::{Reaches, Witness};
use crate::graph::{EdgeId, EdgeKind, Graph, NodeId, NodeKind, Reach};
use crate::query::radius;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// What to draw.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every credential, principal and account control, without permissions or sessions.
    Overview,
    /// Everything reachable from one node, with its permissions collapsed per service.
    Radius(NodeId),
    /// Only these witness paths (to administrator control, say).
    Paths(Vec<Witness>),
}

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    Credential,
    User,
    Group,
    Role,
    Session,
    Permissions,
    AccountControl,
    Service,
    IdentityProvider,
    External,
    Resource,
    Other,
}

#[derive(Debug, Clone)]
pub struct ViewNode {
    /// Unique: the graph node's key, or a made-up one for collapsed permissions.
    pub key: String,
    pub style: Style,
    pub label: String,
    /// Further lines under the label.
    pub detail: Vec<String>,
    pub account: Option<String>,
    pub tooltip: String,
    /// Some path from it leads to administrator control.
    pub on_admin_path: bool,
    pub start: bool,
}

#[derive(Debug, Clone)]
pub struct ViewEdge {
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub tooltip: String,
    pub conditional: bool,
    pub on_admin_path: bool,
}

#[derive(Debug, Clone)]
pub struct View {
    pub title: String,
    pub nodes: Vec<ViewNode>,
    pub edges: Vec<ViewEdge>,
    /// Shown on the picture: what was folded or left out.
    pub notes: Vec<String>,
    /// Many short, unconnected parts (an overview): lay them out left to right, so that they
    /// stack down the page instead of across it.
    pub wide: bool,
}

/// Default cap on drawn nodes.
pub const MAX_NODES: usize = 60;

/// Builds the view of `scope`, drawing at most `max_nodes` nodes.
pub fn build(graph: &Graph, scope: &Scope, title: &str, max_nodes: usize) -> View {
    let reaches = Reaches::new(graph);
    let fold = session_folds(graph);
    let folded = |n: NodeId| fold.get(&n).copied().unwrap_or(n);

    // Graph nodes to draw, most important first, and the graph edges between them.
    let mut order: Vec<NodeId> = Vec::new();
    let mut edges: Vec<EdgeId> = Vec::new();
    let mut start = None;
    let mut through_control: BTreeMap<NodeId, usize> = BTreeMap::new();
    match scope {
        Scope::Overview => {
            let mut nodes: Vec<NodeId> = graph
                .node_ids()
                .filter(|&n| {
                    matches!(
                        graph.node(n).kind,
                        NodeKind::Credential | NodeKind::Principal | NodeKind::AccountControl
                    )
                })
                .collect();
            nodes.sort_by_key(|&n| {
                (
                    graph.node(n).kind != NodeKind::AccountControl,
                    !reaches.may_reach_admin(n),
                    n,
                )
            });
            order = nodes;
            // Role sessions are not drawn, but the edges into them are (folded into the role).
            let mut set: HashSet<NodeId> = order.iter().copied().collect();
            set.extend(fold.keys().copied());
            edges = between(graph, &set);
        }
        Scope::Radius(from) => {
            start = Some(*from);
            let r = radius(graph, *from);
            let direct = reached_without_control(graph, *from);
            let on_admin: HashSet<NodeId> = r
                .reached
                .iter()
                .filter(|x| graph.node(x.node).kind == NodeKind::AccountControl)
                .flat_map(|x| r.edges_back(x).map(|e| graph.endpoints(e).1))
                .collect();
            let mut nodes: Vec<(u8, usize, NodeId)> = vec![(0, 0, *from)];
            for x in &r.reached {
                let kind = graph.node(x.node).kind;
                if !direct.contains(&x.node) {
                    // Reached only once the holder controls an account: counted, not drawn.
                    if kind == NodeKind::Principal {
                        let control = r
                            .path(x)
                            .into_iter()
                            .map(|e| graph.endpoints(e).1)
                            .find(|&n| graph.node(n).kind == NodeKind::AccountControl);
                        if let Some(c) = control {
                            *through_control.entry(c).or_default() += 1;
                        }
                    }
                    continue;
                }
                let rank = match kind {
                    NodeKind::AccountControl => 1,
                    _ if on_admin.contains(&x.node) => 2,
                    NodeKind::Permission => 5,
                    NodeKind::Resource => 4,
                    _ => 3,
                };
                nodes.push((rank, x.hops, x.node));
            }
            nodes.sort();
            order = nodes.into_iter().map(|(_, _, n)| n).collect();
            let set: HashSet<NodeId> = order.iter().copied().collect();
            edges = between(graph, &set);
        }
        Scope::Paths(paths) => {
            let mut seen = HashSet::new();
            let mut edge_seen = HashSet::new();
            for w in paths {
                for n in
                    std::iter::once(w.start).chain(w.edges.iter().map(|&e| graph.endpoints(e).1))
                {
                    if seen.insert(n) {
                        order.push(n);
                    }
                }
                for &e in &w.edges {
                    if edge_seen.insert(e) {
                        edges.push(e);
                    }
                }
            }
            // Controls first, then credentials, then the rest as the paths met them.
            order.sort_by_key(|&n| match graph.node(n).kind {
                NodeKind::AccountControl => 0,
                NodeKind::Credential => 1,
                _ => 2,
            });
        }
    }

    // View nodes: folded sessions disappear into their principal; permissions become one
    // node per principal.
    let mut view = View {
        title: title.to_string(),
        nodes: Vec::new(),
        edges: Vec::new(),
        notes: Vec::new(),
        wide: matches!(scope, Scope::Overview),
    };
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    let mut candidates: Vec<NodeId> = Vec::new();
    let drawable = |n: NodeId| {
        let node = graph.node(n);
        node.kind != NodeKind::Permission
            && folded(n) == n
            && !(matches!(scope, Scope::Overview) && node.kind == NodeKind::Session)
    };
    for &n in &order {
        if drawable(n) || Some(n) == start {
            candidates.push(n);
        }
    }
    let permissions = match scope {
        Scope::Radius(_) => collapsed_permissions(graph, &order),
        _ => Vec::new(),
    };
    let total = candidates.len() + permissions.len();
    let mut dropped: BTreeMap<&'static str, usize> = BTreeMap::new();
    for &n in &candidates {
        if view.nodes.len() >= max_nodes {
            *dropped.entry(noun(graph, n)).or_default() += 1;
            continue;
        }
        index.insert(n, view.nodes.len());
        view.nodes
            .push(view_node(graph, n, Some(n) == start, &reaches));
    }
    let mut perm_index: HashMap<NodeId, usize> = HashMap::new();
    for p in &permissions {
        if view.nodes.len() >= max_nodes || !index.contains_key(&p.principal) {
            *dropped.entry("permission summaries").or_default() += 1;
            continue;
        }
        perm_index.insert(p.principal, view.nodes.len());
        let owner = graph.node(p.principal);
        view.nodes.push(ViewNode {
            key: format!("permissions of {}", owner.key),
            style: Style::Permissions,
            label: format!("permissions ({})", p.count),
            detail: p.lines.clone(),
            account: owner.account.as_deref().map(str::to_string),
            tooltip: format!("permissions granted to {}, per service", owner.label),
            on_admin_path: false,
            start: false,
        });
    }

    // Edges, folded and merged: one per (from, to, label), definite if any merged one is.
    let mut merged: BTreeMap<(usize, usize, String), Merged> = BTreeMap::new();
    for e in edges {
        let edge = graph.edge(e);
        if matches!(edge.kind, EdgeKind::Controls | EdgeKind::Granted) {
            continue;
        }
        let (a, b) = graph.endpoints(e);
        // A session acting as the principal that minted it says nothing its label does not.
        if edge.kind == EdgeKind::ActsAs
            && graph
                .in_edges(a)
                .any(|(m, source)| source == b && graph.edge(m).kind == EdgeKind::Mints)
        {
            continue;
        }
        let (a, b) = (folded(a), folded(b));
        let (Some(&from), Some(&to)) = (index.get(&a), index.get(&b)) else {
            continue;
        };
        if from == to {
            continue;
        }
        let label = edge_label(graph, e);
        let admin = graph.node(b).kind == NodeKind::AccountControl || reaches.may_reach_admin(b);
        let entry =
            merged
                .entry((from, to, label))
                .or_insert((Reach::Conditional, Vec::new(), admin));
        entry.0 = entry.0.min(edge.reach);
        let mut tip = edge.evidence.mechanism.to_string();
        for u in &edge.evidence.undecided {
            tip.push_str(&format!("; depends on {}", u.key));
        }
        if !entry.1.contains(&tip) {
            entry.1.push(tip);
        }
    }
    for p in &permissions {
        if let (Some(&from), Some(&to)) = (index.get(&p.principal), perm_index.get(&p.principal)) {
            let reach = if p.definite {
                Reach::Definite
            } else {
                Reach::Conditional
            };
            merged.insert(
                (from, to, "granted".to_string()),
                (reach, vec!["identity policies".to_string()], false),
            );
        }
    }
    for ((from, to, label), (reach, tips, admin)) in merged {
        view.edges.push(ViewEdge {
            from,
            to,
            label,
            tooltip: tips.join(" | "),
            conditional: reach == Reach::Conditional,
            on_admin_path: admin,
        });
    }

    for (control, count) in through_control {
        if let Some(&i) = index.get(&control) {
            view.nodes[i].detail.push(format!(
                "+ {count} principals reached through it (not drawn)"
            ));
        }
    }
    if view.nodes.is_empty() {
        view.notes.push(match scope {
            Scope::Paths(_) => "Nothing to draw: no path to administrator control".to_string(),
            _ => "Nothing to draw".to_string(),
        });
    }
    if !dropped.is_empty() {
        let what: Vec<String> = dropped.iter().map(|(k, v)| format!("{v} {k}")).collect();
        view.notes.push(format!(
            "Showing {} of {total} nodes (--max-nodes {max_nodes}); not drawn: {}",
            view.nodes.len(),
            what.join(", ")
        ));
    }
    view
}

/// The witness paths to administrator control an over-privilege diagram draws: from `from`
/// to every account control it reaches; or, for the whole snapshot, from every credential and
/// every user without MFA that reaches one, and every principal that administers an account
/// or escalates to its control.
pub fn admin_paths(graph: &Graph, from: Option<NodeId>) -> Vec<Witness> {
    let mut reaches = Reaches::new(graph);
    if let Some(start) = from {
        return reaches
            .admin(start)
            .into_iter()
            .map(|a| Witness {
                start,
                edges: a.path,
            })
            .collect();
    }
    let mut out = Vec::new();
    let starts: Vec<NodeId> = graph
        .node_ids()
        .filter(|&n| {
            let node = graph.node(n);
            node.kind == NodeKind::Credential
                || (node.class == "user"
                    && node.attrs.get("mfa").map(String::as_str) == Some("false"))
        })
        .collect();
    for start in starts {
        if let Some(best) = reaches.admin(start).into_iter().next() {
            out.push(Witness {
                start,
                edges: best.path,
            });
        }
    }
    for n in graph.nodes_of_kind(NodeKind::Principal) {
        for (e, target) in graph.out_edges(n) {
            let kind = graph.edge(e).kind;
            if matches!(kind, EdgeKind::Administers | EdgeKind::EscalatesTo)
                && graph.node(target).kind == NodeKind::AccountControl
            {
                out.push(Witness {
                    start: n,
                    edges: vec![e],
                });
            }
        }
    }
    out
}

/// An edge of the view while merging: its reach, tooltips, and whether it leads to admin.
type Merged = (Reach, Vec<String>, bool);

/// Nodes reached from `start` without passing through a `controls` edge. O(V + E).
fn reached_without_control(graph: &Graph, start: NodeId) -> HashSet<NodeId> {
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for (e, next) in graph.out_edges(n) {
            if graph.edge(e).kind != EdgeKind::Controls && seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// Every edge whose two ends are in `set`, in a stable order.
fn between(graph: &Graph, set: &HashSet<NodeId>) -> Vec<EdgeId> {
    let mut nodes: Vec<NodeId> = set.iter().copied().collect();
    nodes.sort();
    let mut out = Vec::new();
    for n in nodes {
        for (e, target) in graph.out_edges(n) {
            if set.contains(&target) {
                out.push(e);
            }
        }
    }
    out
}

/// Sessions that stand for their principal: entered by assuming or exchanging (a role
/// session), left by acting as one principal. Sessions a principal mints for itself are not
/// folded: they are what outlives a deleted key.
fn session_folds(graph: &Graph) -> HashMap<NodeId, NodeId> {
    let mut out = HashMap::new();
    for s in graph.nodes_of_kind(NodeKind::Session) {
        let minted = graph
            .in_edges(s)
            .any(|(e, _)| graph.edge(e).kind == EdgeKind::Mints);
        if minted {
            continue;
        }
        let targets: Vec<NodeId> = graph
            .out_edges(s)
            .filter(|(e, _)| graph.edge(*e).kind == EdgeKind::ActsAs)
            .map(|(_, t)| t)
            .collect();
        if let [one] = targets.as_slice() {
            out.insert(s, *one);
        }
    }
    out
}

fn noun(graph: &Graph, n: NodeId) -> &'static str {
    match graph.node(n).kind {
        NodeKind::Credential => "credentials",
        NodeKind::Principal => "principals",
        NodeKind::Session => "sessions",
        NodeKind::Permission => "permissions",
        NodeKind::Resource => "resources",
        NodeKind::AccountControl => "account controls",
    }
}

fn edge_label(graph: &Graph, e: EdgeId) -> String {
    let edge = graph.edge(e);
    match (edge.kind, &edge.evidence.rule) {
        (EdgeKind::EscalatesTo, Some(rule)) => rule.to_string(),
        (EdgeKind::AuthenticatesAs, _) => "authenticates as".into(),
        (EdgeKind::MemberOf, _) => "member of".into(),
        (EdgeKind::ExchangedFor, _) => "exchanged for".into(),
        (EdgeKind::Accesses, _) => "can act on".into(),
        (kind, _) => kind.phrase().to_string(),
    }
}

fn style(graph: &Graph, n: NodeId) -> Style {
    let node = graph.node(n);
    match node.kind {
        NodeKind::Credential => Style::Credential,
        NodeKind::Session => Style::Session,
        NodeKind::Permission => Style::Permissions,
        NodeKind::Resource => Style::Resource,
        NodeKind::AccountControl => Style::AccountControl,
        NodeKind::Principal => match node.class {
            "user" => Style::User,
            "group" => Style::Group,
            "role" => Style::Role,
            "service" => Style::Service,
            "identity-provider" => Style::IdentityProvider,
            "external-role" => Style::External,
            _ => Style::Other,
        },
    }
}

fn view_node(graph: &Graph, n: NodeId, start: bool, reaches: &Reaches) -> ViewNode {
    let node = graph.node(n);
    let style = style(graph, n);
    let mut detail = Vec::new();
    let label = match style {
        Style::AccountControl => {
            detail.push(format!(
                "account {}",
                node.account.as_deref().unwrap_or("?")
            ));
            "ADMIN".to_string()
        }
        Style::Credential => {
            if let Some(status) = node.attrs.get("status") {
                let used = node
                    .attrs
                    .get("last_used")
                    .map(|d| format!(", used {}", d.get(..10).unwrap_or(d)))
                    .unwrap_or_default();
                detail.push(format!("{status}{used}"));
            }
            node.label.clone()
        }
        Style::User => {
            let mut facts = Vec::new();
            if node.attrs.get("console_password").map(String::as_str) == Some("true") {
                facts.push("console");
            }
            if node.attrs.get("mfa").map(String::as_str) == Some("false") {
                facts.push("no MFA");
            }
            if !facts.is_empty() {
                detail.push(facts.join(", "));
            }
            node.label.clone()
        }
        Style::Session => {
            if let Some(secs) = node
                .attrs
                .get("max_duration_secs")
                .and_then(|s| s.parse::<u32>().ok())
            {
                detail.push(format!("lives up to {} h", secs / 3600));
            }
            node.label.clone()
        }
        // `roles matching * (outside the snapshot)`: the remark on a line of its own.
        Style::External => match node.label.rsplit_once(" (") {
            Some((name, remark)) if remark.ends_with(')') => {
                detail.push(remark.trim_end_matches(')').to_string());
                name.to_string()
            }
            _ => node.label.clone(),
        },
        _ => node.label.clone(),
    };
    ViewNode {
        key: node.key.clone(),
        style,
        label,
        detail,
        account: node.account.as_deref().map(str::to_string),
        tooltip: format!("{} {}", node.class, node.key),
        on_admin_path: reaches.may_reach_admin(n),
        start,
    }
}

/// One principal's permissions, counted per service.
struct Collapsed {
    principal: NodeId,
    count: usize,
    lines: Vec<String>,
    /// Some grant holds whatever the request context.
    definite: bool,
}

/// The permissions in `nodes`, grouped per granting principal and per service.
fn collapsed_permissions(graph: &Graph, nodes: &[NodeId]) -> Vec<Collapsed> {
    let drawn: HashSet<NodeId> = nodes.iter().copied().collect();
    let mut out = Vec::new();
    for &p in nodes {
        if graph.node(p).kind != NodeKind::Principal {
            continue;
        }
        let mut per_service: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut count = 0;
        let mut definite = false;
        for (e, target) in graph.out_edges(p) {
            let edge = graph.edge(e);
            if edge.kind != EdgeKind::Granted || !drawn.contains(&target) {
                continue;
            }
            count += 1;
            definite |= edge.reach == Reach::Definite;
            for service in services(&graph.node(target).label) {
                let entry = per_service.entry(service).or_default();
                entry.0 += 1;
                if edge.reach == Reach::Conditional {
                    entry.1 += 1;
                }
            }
        }
        if count == 0 {
            continue;
        }
        let mut lines: Vec<String> = per_service
            .into_iter()
            .map(|(service, (n, conditional))| {
                let cond = if conditional == 0 {
                    String::new()
                } else if conditional == n {
                    " (conditional)".to_string()
                } else {
                    format!(" ({conditional} conditional)")
                };
                format!("{service} ×{n}{cond}")
            })
            .collect();
        if lines.len() > 8 {
            let rest = lines.len() - 7;
            lines.truncate(7);
            lines.push(format!("… {rest} more services"));
        }
        out.push(Collapsed {
            principal: p,
            count,
            lines,
            definite,
        });
    }
    out
}

/// The services a permission's text names: `s3:GetObject, ecr:* on ...` → `s3`, `ecr`.
fn services(label: &str) -> Vec<String> {
    if label.starts_with("whatever ") {
        return vec!["unknown policy".into()];
    }
    if label.starts_with("every action but") {
        return vec!["all services (NotAction)".into()];
    }
    let actions = label.split(" on ").next().unwrap_or(label);
    let mut out: Vec<String> = Vec::new();
    for action in actions.split(", ") {
        let service = match action.split_once(':') {
            Some((s, _)) => s.to_lowercase(),
            None if action.trim() == "*" => "every service (*)".to_string(),
            None => "other".to_string(),
        };
        if !out.contains(&service) {
            out.push(service);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_come_from_the_action_list() {
        assert_eq!(
            services("s3:GetObject, s3:PutObject, ecr:GetAuthorizationToken on arn:aws:s3:::b/*"),
            vec!["s3", "ecr"]
        );
        assert_eq!(services("* on *"), vec!["every service (*)"]);
        assert_eq!(
            services("every action but iam:* on *"),
            vec!["all services (NotAction)"]
        );
    }
}
