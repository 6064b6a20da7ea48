//! Every start's radius at once, summarised: the auditor's ranking. The graph is condensed
//! into strongly connected components and the set of nodes each component reaches is
//! computed once, children first, as a bitset: a start then costs a few set operations
//! instead of a search.
//!
//! Memory stays bounded on large organisations: a component's set is dropped as soon as the
//! last component that needs it is done, and each start is summarised when its own component
//! is, so only the sets on the frontier of the walk are alive. Definite reach is only needed
//! for administrator control, so that closure is kept over account-control nodes alone.

use crate::graph::{Graph, NodeId, NodeKind, Reach};
use fixedbitset::FixedBitSet;
use petgraph::visit::{EdgeFiltered, EdgeRef};

/// One start's radius in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub start: NodeId,
    /// Account-control nodes reached, with their reach.
    pub admin: Vec<(NodeId, Reach)>,
    pub principals: usize,
    pub sessions: usize,
    pub permissions: usize,
    pub resources: usize,
    pub credentials: usize,
}

impl Summary {
    pub fn admin_reach(&self) -> Option<Reach> {
        self.admin.iter().map(|(_, r)| *r).min()
    }
}

/// The strongly connected components of the graph (over all edges, or definite edges only),
/// sinks first, with each node's component and each component's distinct successors.
struct Condensed {
    members: Vec<Vec<petgraph::stable_graph::NodeIndex>>,
    component: Vec<usize>,
    successors: Vec<Vec<usize>>,
}

fn condense(graph: &Graph, definite_only: bool) -> Condensed {
    let pg = graph.petgraph();
    let filtered = EdgeFiltered::from_fn(pg, |e| {
        !definite_only || e.weight().reach == Reach::Definite
    });
    // kosaraju_scc is iterative (tarjan_scc recurses and overflows on large graphs) and lists
    // components sinks first, so every successor is done before its predecessors.
    let members = petgraph::algo::kosaraju_scc(&filtered);
    let mut component = vec![usize::MAX; graph.node_bound()];
    for (c, nodes) in members.iter().enumerate() {
        for n in nodes {
            component[n.index()] = c;
        }
    }
    let successors = members
        .iter()
        .enumerate()
        .map(|(c, nodes)| {
            let mut next: Vec<usize> = nodes
                .iter()
                .flat_map(|n| pg.edges(*n))
                .filter(|e| !definite_only || e.weight().reach == Reach::Definite)
                .map(|e| component[e.target().index()])
                .filter(|&d| d != c && d != usize::MAX)
                .collect();
            next.sort_unstable();
            next.dedup();
            next
        })
        .collect();
    Condensed {
        members,
        component,
        successors,
    }
}

/// For every node, the account-control nodes it reaches by definite edges alone, as bits
/// over `controls`.
fn definite_controls(graph: &Graph, controls: &[NodeId]) -> (Vec<usize>, Vec<FixedBitSet>) {
    let c = condense(graph, true);
    let mut position = vec![usize::MAX; graph.node_bound()];
    for (i, n) in controls.iter().enumerate() {
        position[n.index()] = i;
    }
    let mut sets: Vec<FixedBitSet> = Vec::with_capacity(c.members.len());
    for (k, nodes) in c.members.iter().enumerate() {
        let mut set = FixedBitSet::with_capacity(controls.len());
        for n in nodes {
            if position[n.index()] != usize::MAX {
                set.insert(position[n.index()]);
            }
        }
        for &d in &c.successors[k] {
            set.union_with(&sets[d]);
        }
        sets.push(set);
    }
    (c.component, sets)
}

/// The summaries of every node `starts` keeps, most dangerous first: definite admin, then
/// conditional admin, then by principals and sessions reached.
pub fn summarise_all(graph: &Graph, starts: impl Fn(NodeId) -> bool) -> Vec<Summary> {
    let bound = graph.node_bound();
    let mut by_kind: Vec<(NodeKind, FixedBitSet)> = [
        NodeKind::Principal,
        NodeKind::Session,
        NodeKind::Permission,
        NodeKind::Resource,
        NodeKind::Credential,
    ]
    .into_iter()
    .map(|k| (k, FixedBitSet::with_capacity(bound)))
    .collect();
    let mut controls = Vec::new();
    for id in graph.node_ids() {
        let kind = graph.node(id).kind;
        if kind == NodeKind::AccountControl {
            controls.push(id);
        }
        if let Some((_, set)) = by_kind.iter_mut().find(|(k, _)| *k == kind) {
            set.insert(id.index());
        }
    }
    let (definite_component, definite) = definite_controls(graph, &controls);
    let mut start_at: Vec<Option<NodeId>> = vec![None; bound];
    for id in graph.node_ids().filter(|&n| starts(n)) {
        start_at[id.index()] = Some(id);
    }

    let any = condense(graph, false);
    // How many components still need each component's set.
    let mut waiting = vec![0usize; any.members.len()];
    for next in &any.successors {
        for &d in next {
            waiting[d] += 1;
        }
    }
    let mut sets: Vec<Option<FixedBitSet>> = vec![None; any.members.len()];
    let mut out = Vec::new();
    for (c, nodes) in any.members.iter().enumerate() {
        let mut set = FixedBitSet::with_capacity(bound);
        for n in nodes {
            set.insert(n.index());
        }
        for &d in &any.successors[c] {
            if let Some(child) = &sets[d] {
                set.union_with(child);
            }
            waiting[d] -= 1;
            if waiting[d] == 0 {
                sets[d] = None;
            }
        }
        for n in nodes {
            let Some(start) = start_at[n.index()] else {
                continue;
            };
            let mut reached = set.clone();
            // A start is not part of its own radius, even on a cycle back to it.
            reached.set(n.index(), false);
            let count = |kind: NodeKind| {
                by_kind
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, kinds)| reached.intersection(kinds).count())
                    .unwrap_or(0)
            };
            let surely = &definite[definite_component[n.index()]];
            let admin = controls
                .iter()
                .enumerate()
                .filter(|(_, k)| reached.contains(k.index()))
                .map(|(i, &k)| {
                    let reach = if surely.contains(i) {
                        Reach::Definite
                    } else {
                        Reach::Conditional
                    };
                    (k, reach)
                })
                .collect();
            out.push(Summary {
                start,
                admin,
                principals: count(NodeKind::Principal),
                sessions: count(NodeKind::Session),
                permissions: count(NodeKind::Permission),
                resources: count(NodeKind::Resource),
                credentials: count(NodeKind::Credential),
            });
        }
        if waiting[c] > 0 {
            sets[c] = Some(set);
        }
    }
    out.sort_by(|a, b| {
        let rank = |s: &Summary| match s.admin_reach() {
            Some(Reach::Definite) => 0,
            Some(Reach::Conditional) => 1,
            None => 2,
        };
        rank(a)
            .cmp(&rank(b))
            .then(b.principals.cmp(&a.principals))
            .then(b.sessions.cmp(&a.sessions))
            .then(a.start.cmp(&b.start))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, EdgeKind, Evidence, Node, Undecided};
    use crate::query::radius;
    use proptest::prelude::*;

    fn edge(definite: bool) -> Edge {
        let mut evidence = Evidence::new("test");
        if !definite {
            evidence.undecided.push(Undecided {
                key: "k".into(),
                reason: "r".into(),
            });
        }
        Edge::new(EdgeKind::Assumes, evidence)
    }

    proptest! {
        /// The shared computation agrees with one radius per start.
        #[test]
        fn summaries_equal_one_radius_per_start(
            n in 1usize..10,
            raw in prop::collection::vec((0usize..10, 0usize..10, any::<bool>()), 0..30),
            kinds in prop::collection::vec(0u8..3, 10),
        ) {
            let mut g = Graph::new();
            let ids: Vec<NodeId> = (0..n)
                .map(|i| {
                    let kind = match kinds[i] { 0 => NodeKind::Principal, 1 => NodeKind::Session, _ => NodeKind::AccountControl };
                    g.add_node(Node::new(kind, "test", "x", i.to_string(), i.to_string()))
                })
                .collect();
            for (s, t, d) in raw.into_iter().filter(|(s, t, _)| *s < n && *t < n) {
                g.add_edge(ids[s], ids[t], edge(d));
            }
            for s in summarise_all(&g, |_| true) {
                let r = radius(&g, s.start);
                let count = |k: NodeKind| r.reached.iter().filter(|x| g.node(x.node).kind == k).count();
                prop_assert_eq!(s.principals, count(NodeKind::Principal));
                prop_assert_eq!(s.sessions, count(NodeKind::Session));
                let mut admin: Vec<(NodeId, Reach)> = r.reached.iter().filter(|x| g.node(x.node).kind == NodeKind::AccountControl).map(|x| (x.node, x.reach)).collect();
                admin.sort();
                let mut got = s.admin.clone();
                got.sort();
                prop_assert_eq!(got, admin);
            }
        }
    }
}
