use crate::graph::{Compact, EdgeId, Graph, NodeId, Reach, compact};

/// One node reached from the start. Its witness path is kept by the [`Radius`] as links to
/// the node's predecessors and built on demand ([`Radius::path`]): a wide key reaches a
/// hundred thousand nodes, and one path vector each was most of the cost of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub node: NodeId,
    /// `Definite` when some path of only definite edges reaches the node.
    pub reach: Reach,
    /// Length of the witness path.
    pub hops: usize,
    /// The node's place in [`Radius::reached`], where its links are.
    slot: u32,
}

/// Everything reachable from one start node, the start excluded, ordered by the length of
/// its witness path and then by order of discovery.
#[derive(Debug, Clone)]
pub struct Radius {
    pub start: NodeId,
    pub reached: Vec<Reached>,
    /// Beside each reached node, the edge that reaches it and the slot of the node it comes
    /// from: in the search over definite edges, and in the search over all edges. Memory in
    /// proportion to what is reached, not to the graph: an audit keeps thousands of radii.
    links: Vec<Links>,
}

#[derive(Debug, Clone, Copy)]
struct Links {
    definite: Link,
    any: Link,
}

/// A predecessor: the slot of the node an edge comes from ([`Link::START`] for the start),
/// and the edge.
#[derive(Debug, Clone, Copy)]
struct Link {
    from: u32,
    edge: u32,
}

impl Link {
    const START: u32 = u32::MAX;
    const NONE: Link = Link {
        from: Link::START,
        edge: u32::MAX,
    };
}

impl Radius {
    pub fn get(&self, node: NodeId) -> Option<&Reached> {
        self.reached.iter().find(|r| r.node == node)
    }

    /// The witness of a reached node: the shortest all-definite path from the start for a
    /// definite node, the shortest path of any edges for a conditional one.
    pub fn path(&self, reached: &Reached) -> Vec<EdgeId> {
        let mut path: Vec<EdgeId> = self.edges_back(reached).collect();
        path.reverse();
        path
    }

    /// The edges of a reached node's witness from the node back to the start, without
    /// building the path.
    pub fn edges_back(&self, reached: &Reached) -> impl Iterator<Item = EdgeId> + '_ {
        // A definite witness runs through definite nodes only, each with its definite link;
        // a conditional one follows the links of the search over all edges throughout.
        let definite = reached.reach == Reach::Definite;
        let mut slot = reached.slot;
        std::iter::from_fn(move || {
            let links = self.links.get(slot as usize)?;
            let link = if definite { links.definite } else { links.any };
            slot = link.from;
            Some(EdgeId::from_index(link.edge as usize))
        })
    }

    /// The last edge of a reached node's witness: the one that reaches it.
    pub fn via(&self, reached: &Reached) -> Option<EdgeId> {
        self.edges_back(reached).next()
    }
}

/// Breadth-first search from `start`, run twice: over definite edges only, then over all
/// edges. A node reached by the first is definite with its shortest definite witness; a node
/// reached only by the second is conditional with its shortest witness of any edges.
///
/// Runs on the graph's compact adjacency ([`Graph::compact`], built once per state of the
/// graph): O(V + E) time and memory, and no edge's evidence is read.
pub fn radius(graph: &Graph, start: NodeId) -> Radius {
    let compact = graph.compact();
    let definite = Tree::search(compact, start.index(), true);
    let any = Tree::search(compact, start.index(), false);

    // A definite node's witness may be longer than the shortest conditional path that first
    // found it: order by witness length, keeping discovery order among equals (a counting
    // sort over the order of the search over all edges).
    let witness = |node: u32| {
        if definite.seen(node) {
            (definite.depth(node), Reach::Definite)
        } else {
            (any.depth(node), Reach::Conditional)
        }
    };
    let found = any.order.get(1..).unwrap_or_default();
    let mut at = vec![0usize; any.levels().max(definite.levels()) + 2];
    for &node in found {
        at[witness(node).0 + 1] += 1;
    }
    for i in 1..at.len() {
        at[i] += at[i - 1];
    }
    let mut reached = vec![
        Reached {
            node: start,
            reach: Reach::Definite,
            hops: 0,
            slot: 0,
        };
        found.len()
    ];
    for &node in found {
        let (hops, reach) = witness(node);
        let slot = &mut at[hops];
        reached[*slot] = Reached {
            node: NodeId::from_index(node as usize),
            reach,
            hops,
            slot: *slot as u32,
        };
        *slot += 1;
    }
    // The trees' parents as links between slots; the searches' arrays, one entry per node of
    // the graph, are dropped with them.
    let mut slot_of = vec![Link::START; compact.bound()];
    for r in &reached {
        slot_of[r.node.index()] = r.slot;
    }
    let link = |tree: &Tree, node: usize| {
        let (from, edge) = tree.parent[node];
        Link {
            from: slot_of[from as usize],
            edge,
        }
    };
    let links = reached
        .iter()
        .map(|r| {
            let node = r.node.index();
            Links {
                definite: if r.reach == Reach::Definite {
                    link(&definite, node)
                } else {
                    Link::NONE
                },
                any: link(&any, node),
            }
        })
        .collect();
    Radius {
        start,
        reached,
        links,
    }
}

/// Whether some path of any edges leads from `start` to `target` without `skip`: whether
/// removing that one edge leaves the target reachable. A breadth-first search on the compact
/// adjacency, stopping at the target. O(V + E).
pub fn reaches_without(graph: &Graph, start: NodeId, target: NodeId, skip: EdgeId) -> bool {
    let compact = graph.compact();
    let (start, target, skip) = (start.index(), target.index(), skip.index() as u32);
    if start >= compact.bound() {
        return false;
    }
    let mut seen = vec![0u64; compact.bound().div_ceil(64)];
    seen[start / 64] |= 1 << (start % 64);
    let mut queue = vec![start as u32];
    let mut head = 0;
    while let Some(&node) = queue.get(head) {
        head += 1;
        if node as usize == target {
            return true;
        }
        for (packed, edge) in compact.out_raw(node as usize).iter() {
            let other = compact::target(packed) as usize;
            let (word, bit) = (other / 64, 1u64 << (other % 64));
            if edge == skip || seen[word] & bit != 0 {
                continue;
            }
            seen[word] |= bit;
            queue.push(other as u32);
        }
    }
    false
}

/// A BFS tree over the compact adjacency: for every reached node, its depth and the edge
/// (and node) that first reached it.
pub(super) struct Tree {
    /// Depth + 1, 0 for a node not reached.
    depth: Vec<u32>,
    /// The node and edge that first reached each node.
    parent: Vec<(u32, u32)>,
    /// Nodes in order of discovery, the start first.
    pub(super) order: Vec<u32>,
}

impl Tree {
    /// Breadth-first search from `start` along outgoing edges (or incoming ones, `backward`),
    /// following only definite edges when `definite_only`.
    pub(super) fn search(compact: &Compact, start: usize, definite_only: bool) -> Tree {
        Tree::walk(compact, start, definite_only, false)
    }

    pub(super) fn backward(compact: &Compact, start: usize, definite_only: bool) -> Tree {
        Tree::walk(compact, start, definite_only, true)
    }

    fn walk(compact: &Compact, start: usize, definite_only: bool, backward: bool) -> Tree {
        let bound = compact.bound();
        let mut depth = vec![0u32; bound];
        let mut parent = vec![(0u32, 0u32); bound];
        // Nodes seen, one bit each: the test every edge makes stays in the first-level cache
        // (30 KB for 240,000 nodes) where `depth` would not.
        let mut seen = vec![0u64; bound.div_ceil(64)];
        let mut order = Vec::new();
        if start < bound {
            depth[start] = 1;
            seen[start / 64] |= 1 << (start % 64);
            order.push(start as u32);
        }
        // The order of discovery is the queue: `head` is the next node to expand.
        let mut head = 0;
        while let Some(&node) = order.get(head) {
            head += 1;
            let next = depth[node as usize] + 1;
            let row = compact.raw(node as usize, backward, definite_only);
            for (at, packed) in row.positions() {
                let other = compact::target(packed) as usize;
                let (word, bit) = (other / 64, 1u64 << (other % 64));
                if seen[word] & bit != 0 {
                    continue;
                }
                seen[word] |= bit;
                depth[other] = next;
                parent[other] = (node, row.edge(at));
                order.push(other as u32);
            }
        }
        Tree {
            depth,
            parent,
            order,
        }
    }

    pub(super) fn seen(&self, node: u32) -> bool {
        self.depth.get(node as usize).is_some_and(|&d| d != 0)
    }

    /// Length of the witness of a reached node.
    pub(super) fn depth(&self, node: u32) -> usize {
        self.depth
            .get(node as usize)
            .map_or(0, |&d| d.saturating_sub(1) as usize)
    }

    /// The deepest level reached.
    fn levels(&self) -> usize {
        self.order.last().map_or(0, |&n| self.depth(n))
    }

    /// The edges from `node` back to the start, in the order the tree found them (for a
    /// backward search: from `node` to the target).
    pub(super) fn path_from(&self, mut node: u32) -> Vec<EdgeId> {
        let mut path = Vec::with_capacity(self.depth(node));
        while self.depth(node) > 0 {
            let (from, edge) = self.parent[node as usize];
            path.push(EdgeId::from_index(edge as usize));
            node = from;
        }
        path
    }
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

    /// A graph of `n` nodes keyed by their number, with `edges` (source, target, definite)
    /// added in order: the node ids and the edge ids.
    fn graph_of(n: usize, edges: &[(usize, usize, bool)]) -> (Graph, Vec<NodeId>, Vec<EdgeId>) {
        let mut g = Graph::new();
        let ids: Vec<NodeId> = (0..n).map(|i| node(&mut g, &i.to_string())).collect();
        let added = edges
            .iter()
            .map(|&(s, t, definite)| {
                let reach = if definite {
                    Reach::Definite
                } else {
                    Reach::Conditional
                };
                g.add_edge(ids[s], ids[t], edge(reach))
            })
            .collect();
        (g, ids, added)
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
        assert_eq!(d_reached.map(|x| r.path(x).len()), Some(3));
    }

    #[test]
    fn conditional_edge_makes_the_rest_conditional() {
        let mut g = Graph::new();
        let [a, b, c] = ["a", "b", "c"].map(|k| node(&mut g, k));
        g.add_edge(a, b, edge(Reach::Conditional));
        g.add_edge(b, c, edge(Reach::Definite));
        let r = radius(&g, a);
        assert_eq!(r.get(c).map(|x| x.reach), Some(Reach::Conditional));
        assert_eq!(r.get(c).map(|x| r.path(x).len()), Some(2));
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

    /// The search on each node's edges found by a scan of the graph's edge list (masked edges
    /// hidden), each node with its witness: the reference for the compact form.
    fn radius_by_walk(graph: &Graph, start: NodeId) -> Vec<Witnessed> {
        fn tree(
            graph: &Graph,
            start: NodeId,
            definite_only: bool,
        ) -> (Vec<Option<EdgeId>>, Vec<NodeId>) {
            let mut parent = vec![None; graph.node_bound()];
            let mut seen = vec![false; graph.node_bound()];
            let mut order = vec![start];
            let mut queue = std::collections::VecDeque::from([start]);
            seen[start.index()] = true;
            while let Some(node) = queue.pop_front() {
                for (edge, target) in graph.edges_by_scan(node, true) {
                    let definite = graph.edge(edge).reach == Reach::Definite;
                    if seen[target.index()] || (definite_only && !definite) {
                        continue;
                    }
                    seen[target.index()] = true;
                    parent[target.index()] = Some(edge);
                    order.push(target);
                    queue.push_back(target);
                }
            }
            (parent, order)
        }
        let path_to = |parent: &[Option<EdgeId>], mut node: NodeId| {
            let mut path = Vec::new();
            while let Some(edge) = parent[node.index()] {
                path.push(edge);
                node = graph.endpoints(edge).0;
            }
            path.reverse();
            path
        };
        let (definite, _) = tree(graph, start, true);
        let (any, order) = tree(graph, start, false);
        let mut reached: Vec<Witnessed> = order
            .into_iter()
            .filter(|&n| n != start)
            .map(|node| {
                let (reach, parent) = if definite[node.index()].is_some() {
                    (Reach::Definite, &definite)
                } else {
                    (Reach::Conditional, &any)
                };
                let path = path_to(parent, node);
                (node, reach, path.len(), path)
            })
            .collect();
        reached.sort_by_key(|r| r.2);
        reached
    }

    /// A reached node, its reach, hops and witness.
    type Witnessed = (NodeId, Reach, usize, Vec<EdgeId>);

    /// The nodes of a radius with their witnesses, in order.
    fn with_paths(r: &Radius) -> Vec<Witnessed> {
        r.reached
            .iter()
            .map(|x| (x.node, x.reach, x.hops, r.path(x)))
            .collect()
    }

    proptest! {
        #[test]
        fn radius_matches_naive_fixpoint(
            n in 1usize..12,
            raw in prop::collection::vec((0usize..12, 0usize..12, any::<bool>()), 0..40),
        ) {
            let edges: Vec<_> = raw.into_iter().filter(|(s, t, _)| *s < n && *t < n).collect();
            let (g, ids, _) = graph_of(n, &edges);
            let r = radius(&g, ids[0]);
            let got: BTreeMap<usize, Reach> =
                r.reached.iter().map(|x| (x.node.index(), x.reach)).collect();
            prop_assert_eq!(&got, &naive(&edges, 0));
            // Every witness is a real path from the start, definite where the node is.
            for x in &r.reached {
                let mut at = ids[0];
                let path = r.path(x);
                prop_assert_eq!(path.len(), x.hops);
                for &e in &path {
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

        /// Removing one edge leaves the target reachable exactly when the fixpoint over the
        /// other edges still holds it.
        #[test]
        fn reaches_without_matches_the_fixpoint(
            n in 1usize..10,
            raw in prop::collection::vec((0usize..10, 0usize..10, any::<bool>()), 0..30),
        ) {
            let edges: Vec<_> = raw.into_iter().filter(|(s, t, _)| *s < n && *t < n).collect();
            let (g, ids, added) = graph_of(n, &edges);
            for (i, &skip) in added.iter().enumerate() {
                let others: Vec<_> = edges
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, &(s, t, _))| (s, t, true))
                    .collect();
                let reachable = closure(&others, 0, false);
                for (t, &target) in ids.iter().enumerate() {
                    prop_assert_eq!(
                        reaches_without(&g, ids[0], target, skip),
                        reachable.contains(&t),
                        "skip {} target {}", i, t
                    );
                }
            }
        }

        /// The compact adjacency answers exactly what a walk of the edges found by a scan
        /// answers (same nodes, reach, witnesses and order), also under a what-if overlay: edges
        /// masked, nodes and edges added under a journal, then everything taken back.
        #[test]
        fn compact_form_equals_the_scanned_walk(
            n in 1usize..12,
            raw in prop::collection::vec((0usize..12, 0usize..12, any::<bool>()), 0..40),
            masked in prop::collection::vec(0usize..40, 0..6),
            added in prop::collection::vec((0usize..14, 0usize..14, any::<bool>()), 0..8),
            edges_first in any::<bool>(),
        ) {
            let kept: Vec<_> = raw.into_iter().filter(|(s, t, _)| *s < n && *t < n).collect();
            let (mut g, ids, edges) = graph_of(n, &kept);
            let check = |g: &Graph, ids: &[NodeId]| -> Result<(), TestCaseError> {
                // The form kept (or put back after an overlay) is the one a rebuild gives,
                // incoming rows included.
                let fresh = Compact::new(g);
                prop_assert_eq!(g.compact(), &fresh);
                for n in 0..g.node_bound() {
                    for definite in [false, true] {
                        prop_assert_eq!(
                            g.compact().raw(n, true, definite).to_vec(),
                            fresh.raw(n, true, definite).to_vec(),
                            "incoming rows of {}", n
                        );
                    }
                }
                for &x in ids {
                    let (fast, walked) = (with_paths(&radius(g, x)), radius_by_walk(g, x));
                    prop_assert_eq!(fast, walked, "from {:?}", x);
                }
                Ok(())
            };
            check(&g, &ids)?;
            // Twice: the second overlay reuses the slots the first one freed.
            for round in 0..2 {
                for &m in &masked {
                    if let Some(&e) = edges.get(m) {
                        g.mask_edge(e);
                    }
                }
                g.start_journal();
                let extra = [node(&mut g, &format!("x{round}")), node(&mut g, &format!("y{round}"))];
                let all: Vec<NodeId> = ids.iter().chain(&extra).copied().collect();
                for &(s, t, definite) in &added {
                    let reach = if definite { Reach::Definite } else { Reach::Conditional };
                    if let (Some(&s), Some(&t)) = (all.get(s), all.get(t)) {
                        g.add_edge(s, t, edge(reach));
                    }
                }
                check(&g, &all)?;
                let journal = g.take_journal();
                // Edges then nodes, as a what-if does, or nodes with their edges.
                for e in journal.edges.into_iter().filter(|_| edges_first) {
                    g.remove_edge(e);
                    check(&g, &all)?;
                }
                for x in journal.nodes {
                    g.remove_node(x);
                }
                check(&g, &ids)?;
                g.clear_mask();
                check(&g, &ids)?;
            }
        }
    }
}
