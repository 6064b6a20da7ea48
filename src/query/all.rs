//! Every start's radius at once, summarised: the auditor's ranking. The graph is condensed
//! into strongly connected components (over all edges, and over definite edges only), and the
//! set of nodes each component reaches is computed once, children first, as bitsets: a start
//! then costs a few set operations instead of a search.

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

/// For every node, the set of nodes it reaches (itself included).
struct Closure {
    component: Vec<usize>,
    reach: Vec<FixedBitSet>,
}

impl Closure {
    fn of(&self, node: NodeId) -> &FixedBitSet {
        &self.reach[self.component[node.index()]]
    }
}

fn closure(graph: &Graph, definite_only: bool) -> Closure {
    let pg = graph.petgraph();
    let bound = graph.node_bound();
    let filtered = EdgeFiltered::from_fn(pg, |e| {
        !definite_only || e.weight().reach == Reach::Definite
    });
    // kosaraju_scc is iterative (tarjan_scc recurses and overflows on large graphs) and lists
    // components sinks first, so every successor is done before its predecessors.
    let components = petgraph::algo::kosaraju_scc(&filtered);
    let mut component = vec![usize::MAX; bound];
    for (c, members) in components.iter().enumerate() {
        for n in members {
            component[n.index()] = c;
        }
    }
    let mut reach: Vec<FixedBitSet> = Vec::with_capacity(components.len());
    for (c, members) in components.iter().enumerate() {
        let mut set = FixedBitSet::with_capacity(bound);
        for n in members {
            set.insert(n.index());
        }
        for n in members {
            for e in pg.edges(*n) {
                if definite_only && e.weight().reach != Reach::Definite {
                    continue;
                }
                let d = component[e.target().index()];
                if d != c && d != usize::MAX {
                    set.union_with(&reach[d]);
                }
            }
        }
        reach.push(set);
    }
    Closure { component, reach }
}

/// The summaries of every node `starts` keeps, most dangerous first: definite admin, then
/// conditional admin, then by principals and sessions reached.
pub fn summarise_all(graph: &Graph, starts: impl Fn(NodeId) -> bool) -> Vec<Summary> {
    let any = closure(graph, false);
    let definite = closure(graph, true);
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
    let mut out = Vec::new();
    for start in graph.node_ids().filter(|&n| starts(n)) {
        let mut reached = any.of(start).clone();
        // A start is not part of its own radius, even on a cycle back to it.
        reached.set(start.index(), false);
        let count = |kind: NodeKind| {
            by_kind
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, set)| reached.intersection(set).count())
                .unwrap_or(0)
        };
        let admin = controls
            .iter()
            .filter(|c| reached.contains(c.index()))
            .map(|&c| {
                (
                    c,
                    if definite.of(start).contains(c.index()) {
                        Reach::Definite
                    } else {
                        Reach::Conditional
                    },
                )
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
