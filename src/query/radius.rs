use crate::graph::{EdgeId, Graph, NodeId, Reach};
use std::collections::VecDeque;

/// One node reached from the start, with the witness path that proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub node: NodeId,
    /// `Definite` when some path of only definite edges reaches the node.
    pub reach: Reach,
    /// Shortest path from the start: the shortest all-definite path for definite nodes, the
    /// shortest path of any edges for conditional ones.
    pub path: Vec<EdgeId>,
}

/// Everything reachable from one start node, the start excluded, ordered by the length of
/// its witness path and then by order of discovery.
#[derive(Debug, Clone)]
pub struct Radius {
    pub start: NodeId,
    pub reached: Vec<Reached>,
}

impl Radius {
    pub fn get(&self, node: NodeId) -> Option<&Reached> {
        self.reached.iter().find(|r| r.node == node)
    }
}

/// Breadth-first search from `start`, run twice: over definite edges only, then over all
/// edges. A node reached by the first is definite with its shortest definite witness; a node
/// reached only by the second is conditional with its shortest witness of any edges.
///
/// O(V + E) time and memory.
pub fn radius(graph: &Graph, start: NodeId) -> Radius {
    let definite = shortest_paths(graph, start, |reach| reach == Reach::Definite);
    let any = shortest_paths(graph, start, |_| true);

    let mut reached = Vec::new();
    for &node in &any.order {
        if node == start {
            continue;
        }
        let (reach, tree) = if definite.parent[node.index()].is_some() {
            (Reach::Definite, &definite)
        } else {
            (Reach::Conditional, &any)
        };
        reached.push(Reached {
            node,
            reach,
            path: tree.path_to(graph, node),
        });
    }
    // A definite node's witness may be longer than the shortest conditional path that first
    // found it: order by witness length, keeping discovery order among equals.
    reached.sort_by_key(|r| r.path.len());
    Radius { start, reached }
}

/// A BFS tree: for every reached node, the edge that first reached it.
struct Tree {
    parent: Vec<Option<EdgeId>>,
    order: Vec<NodeId>,
}

impl Tree {
    fn path_to(&self, graph: &Graph, mut node: NodeId) -> Vec<EdgeId> {
        let mut path = Vec::new();
        while let Some(edge) = self.parent[node.index()] {
            path.push(edge);
            node = graph.endpoints(edge).0;
        }
        path.reverse();
        path
    }
}

fn shortest_paths(graph: &Graph, start: NodeId, follow: impl Fn(Reach) -> bool) -> Tree {
    let mut parent = vec![None; graph.node_bound()];
    let mut seen = vec![false; graph.node_bound()];
    let mut order = vec![start];
    let mut queue = VecDeque::from([start]);
    seen[start.index()] = true;
    while let Some(node) = queue.pop_front() {
        for (edge, target) in graph.out_edges(node) {
            if seen[target.index()] || !follow(graph.edge(edge).reach) {
                continue;
            }
            seen[target.index()] = true;
            parent[target.index()] = Some(edge);
            order.push(target);
            queue.push_back(target);
        }
    }
    Tree { parent, order }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, EdgeKind, Evidence, Node, NodeKind, Undecided};
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn node(g: &mut Graph, key: &str) -> NodeId {
        g.add_node(Node::new(NodeKind::Principal, "test", "user", key, key))
    }

    fn edge(reach: Reach) -> Edge {
        let mut evidence = Evidence::new("test");
        if reach == Reach::Conditional {
            evidence.undecided.push(Undecided {
                key: "k".into(),
                reason: "r".into(),
            });
        }
        Edge::new(EdgeKind::Assumes, evidence)
    }

    #[test]
    fn definite_path_wins_over_shorter_conditional_one() {
        let mut g = Graph::new();
        let [a, b, c, d] = ["a", "b", "c", "d"].map(|k| node(&mut g, k));
        g.add_edge(a, d, edge(Reach::Conditional));
        g.add_edge(a, b, edge(Reach::Definite));
        g.add_edge(b, c, edge(Reach::Definite));
        g.add_edge(c, d, edge(Reach::Definite));
        let r = radius(&g, a);
        let d_reached = r.get(d).cloned();
        let d_reached = d_reached.as_ref();
        assert_eq!(d_reached.map(|x| x.reach), Some(Reach::Definite));
        assert_eq!(d_reached.map(|x| x.path.len()), Some(3));
    }

    #[test]
    fn conditional_edge_makes_the_rest_conditional() {
        let mut g = Graph::new();
        let [a, b, c] = ["a", "b", "c"].map(|k| node(&mut g, k));
        g.add_edge(a, b, edge(Reach::Conditional));
        g.add_edge(b, c, edge(Reach::Definite));
        let r = radius(&g, a);
        assert_eq!(r.get(c).map(|x| x.reach), Some(Reach::Conditional));
        assert_eq!(r.get(c).map(|x| x.path.len()), Some(2));
        assert!(
            r.get(a).is_none(),
            "the start is not part of its own radius"
        );
    }

    /// Naive reference: fixpoints of plain sets, no paths.
    fn closure(
        edges: &[(usize, usize, bool)],
        start: usize,
        only_definite: bool,
    ) -> BTreeSet<usize> {
        let mut set = BTreeSet::from([start]);
        loop {
            let before = set.len();
            for &(s, t, definite) in edges {
                if set.contains(&s) && (definite || !only_definite) {
                    set.insert(t);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    fn naive(edges: &[(usize, usize, bool)], start: usize) -> BTreeMap<usize, Reach> {
        let definite = closure(edges, start, true);
        closure(edges, start, false)
            .into_iter()
            .filter(|&t| t != start)
            .map(|t| {
                (
                    t,
                    if definite.contains(&t) {
                        Reach::Definite
                    } else {
                        Reach::Conditional
                    },
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn radius_matches_naive_fixpoint(
            n in 1usize..12,
            raw in prop::collection::vec((0usize..12, 0usize..12, any::<bool>()), 0..40),
        ) {
            let edges: Vec<_> = raw.into_iter().filter(|(s, t, _)| *s < n && *t < n).collect();
            let mut g = Graph::new();
            let ids: Vec<NodeId> = (0..n).map(|i| node(&mut g, &i.to_string())).collect();
            for &(s, t, definite) in &edges {
                let reach = if definite { Reach::Definite } else { Reach::Conditional };
                g.add_edge(ids[s], ids[t], edge(reach));
            }
            let r = radius(&g, ids[0]);
            let got: BTreeMap<usize, Reach> =
                r.reached.iter().map(|x| (x.node.index(), x.reach)).collect();
            prop_assert_eq!(&got, &naive(&edges, 0));
            // Every witness is a real path from the start, definite where the node is.
            for x in &r.reached {
                let mut at = ids[0];
                for &e in &x.path {
                    let (s, t) = g.endpoints(e);
                    prop_assert_eq!(s, at);
                    if x.reach == Reach::Definite {
                        prop_assert_eq!(g.edge(e).reach, Reach::Definite);
                    }
                    at = t;
                }
                prop_assert_eq!(at, x.node);
            }
            let distinct: BTreeSet<_> = r.reached.iter().map(|x| x.node).collect();
            prop_assert_eq!(distinct.len(), r.reached.len());
        }
    }
}
