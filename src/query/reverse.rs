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
    let definite = backward(graph, target, |r| r == Reach::Definite);
    let any = backward(graph, target, |_| true);
    let mut out = Vec::new();
    for &node in &any.order {
        if node == target {
            continue;
        }
        let (reach, tree) = if definite.next[node.index()].is_some() {
            (Reach::Definite, &definite)
        } else {
            (Reach::Conditional, &any)
        };
        out.push(Reacher {
            node,
            reach,
            path: tree.path_from(graph, node),
        });
    }
    out.sort_by_key(|r| r.path.len());
    out
}

struct Tree {
    /// For every node, the edge that leads one step closer to the target.
    next: Vec<Option<EdgeId>>,
    order: Vec<NodeId>,
}

impl Tree {
    fn path_from(&self, graph: &Graph, mut node: NodeId) -> Vec<EdgeId> {
        let mut path = Vec::new();
        while let Some(edge) = self.next[node.index()] {
            path.push(edge);
            node = graph.endpoints(edge).1;
        }
        path
    }
}

fn backward(graph: &Graph, target: NodeId, follow: impl Fn(Reach) -> bool) -> Tree {
    let mut next = vec![None; graph.node_bound()];
    let mut seen = vec![false; graph.node_bound()];
    let mut order = vec![target];
    let mut queue = VecDeque::from([target]);
    seen[target.index()] = true;
    while let Some(node) = queue.pop_front() {
        for (edge, source) in graph.in_edges(node) {
            if seen[source.index()] || !follow(graph.edge(edge).reach) {
                continue;
            }
            seen[source.index()] = true;
            next[source.index()] = Some(edge);
            order.push(source);
            queue.push_back(source);
        }
    }
    Tree { next, order }
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
        for (edge, target) in graph.out_edges(node) {
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
    }
}
