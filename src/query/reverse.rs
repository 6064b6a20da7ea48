use super::radius::Tree;
use crate::graph::{EdgeId, Graph, NodeId, Reach};
use std::collections::VecDeque;

/// A node that reaches the target, with its witness path (from it to the target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reacher {
    pub node: NodeId,
    pub reach: Reach,
    pub path: Vec<EdgeId>,
}

/// Every node that reaches `target`, ordered by the length of its witness. The reverse of
/// [`super::radius`]: two backward breadth-first searches, over definite edges only, then
/// over all edges. O(V + E).
pub fn who_reaches(graph: &Graph, target: NodeId) -> Vec<Reacher> {
    let compact = graph.compact();
    let definite = Tree::backward(compact, target.index(), true);
    let any = Tree::backward(compact, target.index(), false);
    let mut out: Vec<Reacher> = any
        .order
        .iter()
        .skip(1)
        .map(|&node| {
            let (reach, tree) = if definite.seen(node) {
                (Reach::Definite, &definite)
            } else {
                (Reach::Conditional, &any)
            };
            Reacher {
                node: NodeId::from_index(node as usize),
                reach,
                path: tree.path_from(node),
            }
        })
        .collect();
    out.sort_by_key(|r| r.path.len());
    out
}

/// Up to `max` simple paths from `from` to `to`, shortest first (ties in edge order). A
/// breadth-first search over partial paths, bounded by `budget` expansions so that a dense
/// graph answers quickly with what it found.
pub fn paths(
    graph: &Graph,
    from: NodeId,
    to: NodeId,
    max: usize,
    budget: usize,
) -> Vec<Vec<EdgeId>> {
    // Only nodes that can still reach the target are worth extending a path through.
    let mut useful = vec![false; graph.node_bound()];
    useful[to.index()] = true;
    for r in who_reaches(graph, to) {
        useful[r.node.index()] = true;
    }
    let compact = graph.compact();
    let mut found = Vec::new();
    let mut queue: VecDeque<(NodeId, Vec<EdgeId>)> = VecDeque::from([(from, Vec::new())]);
    let mut expansions = 0;
    while let Some((node, path)) = queue.pop_front() {
        if node == to && !path.is_empty() {
            found.push(path);
            if found.len() >= max {
                break;
            }
            continue;
        }
        expansions += 1;
        if expansions > budget {
            break;
        }
        for step in compact.out_edges(node) {
            let (edge, target) = (step.edge, step.node);
            if !useful[target.index()] {
                continue;
            }
            // Simple paths only: never revisit a node of this path.
            let visited = target == from || path.iter().any(|&e| graph.endpoints(e).1 == target);
            if visited {
                continue;
            }
            let mut longer = path.clone();
            longer.push(edge);
            queue.push_back((target, longer));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, EdgeKind, Evidence, Node, NodeKind, Undecided};
    use crate::query::radius;
    use proptest::prelude::*;

    fn node(g: &mut Graph, key: &str) -> NodeId {
        g.add_node(Node::new(NodeKind::Principal, "test", "user", key, key))
    }

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

    #[test]
    fn several_paths_shortest_first() {
        let mut g = Graph::new();
        let [a, b, c, d] = ["a", "b", "c", "d"].map(|k| node(&mut g, k));
        g.add_edge(a, b, edge(true));
        g.add_edge(b, d, edge(true));
        g.add_edge(a, c, edge(true));
        g.add_edge(c, b, edge(true));
        g.add_edge(a, d, edge(false));
        let found = paths(&g, a, d, 10, 1000);
        let lengths: Vec<usize> = found.iter().map(Vec::len).collect();
        assert_eq!(lengths, vec![1, 2, 3]);
        assert_eq!(paths(&g, d, a, 10, 1000), Vec::<Vec<EdgeId>>::new());
    }

    proptest! {
        /// who-can is the transpose of radius: x reaches t in radius(x) exactly when x is among
        /// who_reaches(t), with the same reach.
        #[test]
        fn who_can_is_the_transpose_of_radius(
            n in 2usize..10,
            raw in prop::collection::vec((0usize..10, 0usize..10, any::<bool>()), 0..30),
        ) {
            let mut g = Graph::new();
            let ids: Vec<NodeId> = (0..n).map(|i| node(&mut g, &i.to_string())).collect();
            for (s, t, d) in raw.into_iter().filter(|(s, t, _)| *s < n && *t < n) {
                g.add_edge(ids[s], ids[t], edge(d));
            }
            for &t in &ids {
                let reverse: std::collections::BTreeMap<NodeId, Reach> =
                    who_reaches(&g, t).into_iter().map(|r| (r.node, r.reach)).collect();
                for &x in &ids {
                    let forward = radius(&g, x).get(t).map(|r| r.reach);
                    let expected = if x == t { None } else { forward };
                    prop_assert_eq!(reverse.get(&x).copied(), expected, "{:?} -> {:?}", x, t);
                }
            }
        }

        /// The backward search on the compact adjacency answers exactly what a walk of each
        /// node's incoming edges, found by a scan, answers: same nodes, reach, witnesses and
        /// order.
        #[test]
        fn compact_form_equals_the_scanned_walk(
            n in 1usize..10,
            raw in prop::collection::vec((0usize..10, 0usize..10, any::<bool>()), 0..30),
            masked in prop::collection::vec(0usize..30, 0..4),
        ) {
            let mut g = Graph::new();
            let ids: Vec<NodeId> = (0..n).map(|i| node(&mut g, &i.to_string())).collect();
            let mut edges = Vec::new();
            for (s, t, d) in raw.into_iter().filter(|(s, t, _)| *s < n && *t < n) {
                edges.push(g.add_edge(ids[s], ids[t], edge(d)));
            }
            for m in masked {
                if let Some(&e) = edges.get(m) {
                    g.mask_edge(e);
                }
            }
            for &t in &ids {
                prop_assert_eq!(who_reaches(&g, t), who_reaches_by_walk(&g, t));
            }
        }
    }

    /// The backward search on each node's incoming edges found by a scan of the graph's edge
    /// list: the reference.
    fn who_reaches_by_walk(graph: &Graph, target: NodeId) -> Vec<Reacher> {
        let backward = |definite_only: bool| {
            let mut next: Vec<Option<EdgeId>> = vec![None; graph.node_bound()];
            let mut seen = vec![false; graph.node_bound()];
            let mut order = vec![target];
            let mut queue = VecDeque::from([target]);
            seen[target.index()] = true;
            while let Some(node) = queue.pop_front() {
                for (edge, source) in graph.edges_by_scan(node, false) {
                    let definite = graph.edge(edge).reach == Reach::Definite;
                    if seen[source.index()] || (definite_only && !definite) {
                        continue;
                    }
                    seen[source.index()] = true;
                    next[source.index()] = Some(edge);
                    order.push(source);
                    queue.push_back(source);
                }
            }
            (next, order)
        };
        let path_from = |next: &[Option<EdgeId>], mut node: NodeId| {
            let mut path = Vec::new();
            while let Some(edge) = next[node.index()] {
                path.push(edge);
                node = graph.endpoints(edge).1;
            }
            path
        };
        let (definite, _) = backward(true);
        let (any, order) = backward(false);
        let mut out: Vec<Reacher> = order
            .into_iter()
            .filter(|&n| n != target)
            .map(|node| {
                let (reach, next) = if definite[node.index()].is_some() {
                    (Reach::Definite, &definite)
                } else {
                    (Reach::Conditional, &any)
                };
                Reacher {
                    node,
                    reach,
                    path: path_from(next, node),
                }
            })
            .collect();
        out.sort_by_key(|r| r.path.len());
        out
    }
}
