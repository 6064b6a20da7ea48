//! A compact adjacency of the graph for queries: compressed sparse rows of `u32`s, built once
//! per state of the graph and reused by every query until the graph changes.
//!
//! A breadth-first search on petgraph's `StableGraph` follows linked lists through edge
//! records that hold each edge's evidence (hundreds of bytes apart in memory), and
//! [`Graph::out_edges`] collects and sorts each node's edges. Here a node's edges are one
//! contiguous run of targets, in insertion order, with the edge's reach in the target's top
//! bit: a search touches four bytes per edge and reads evidence only for the edges of the
//! paths it reports.
//!
//! Masked edges (what-if overlays) are left out when the arrays are built; [`Graph`] drops
//! them on every change (node or edge added or removed, mask set or cleared), so the next
//! query builds them again.

use super::{EdgeId, Graph, NodeId, NodeKind, Reach};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

/// The top bit of a packed neighbour: the edge is definite.
const DEFINITE: u32 = 1 << 31;

/// Outgoing and incoming edges of every node as compressed sparse rows.
///
/// Node indices fit in 31 bits: petgraph's `u32` indices, and a graph of 2^31 nodes would not
/// fit in memory long before.
#[derive(Debug, Clone, Default)]
pub struct Compact {
    out: Rows,
    inc: Rows,
    /// The definite edges alone, for searches that follow only them.
    out_definite: Rows,
    in_definite: Rows,
    /// Each node's kind, `None` for an index no node holds (removed by an overlay).
    kinds: Vec<Option<NodeKind>>,
}

/// One direction of the adjacency: the edges of node `n` are `start[n]..start[n + 1]`.
#[derive(Debug, Clone, Default)]
struct Rows {
    start: Vec<u32>,
    /// The node at the other end, with [`DEFINITE`] set for a definite edge.
    other: Vec<u32>,
    /// The edge's index in the graph.
    edge: Vec<u32>,
}

impl Rows {
    /// Counting sort of `(source, target, edge, definite)` by source (by target when
    /// `by_target`), edges in the order given; only definite ones when `definite_only`.
    fn new(
        bound: usize,
        edges: &[(u32, u32, u32, bool)],
        by_target: bool,
        definite_only: bool,
    ) -> Rows {
        let kept = |d: bool| d || !definite_only;
        let mut start = vec![0u32; bound + 1];
        for &(s, t, _, d) in edges {
            if !kept(d) {
                continue;
            }
            let n = if by_target { t } else { s };
            start[n as usize + 1] += 1;
        }
        for i in 0..bound {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut other = vec![0u32; start[bound] as usize];
        let mut edge = vec![0u32; start[bound] as usize];
        for &(s, t, e, definite) in edges {
            if !kept(definite) {
                continue;
            }
            let (n, o) = if by_target { (t, s) } else { (s, t) };
            let at = next[n as usize] as usize;
            next[n as usize] += 1;
            other[at] = o | if definite { DEFINITE } else { 0 };
            edge[at] = e;
        }
        Rows { start, other, edge }
    }

    fn range(&self, node: usize) -> std::ops::Range<usize> {
        match (self.start.get(node), self.start.get(node + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }
}

/// One edge seen from a node: the edge, the node at its other end, and its reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub edge: EdgeId,
    pub node: NodeId,
    pub reach: Reach,
}

impl Compact {
    /// The compact form of `graph` as it is now. Queries use the one [`Graph::compact`] keeps;
    /// this builds a fresh one. O(V + E).
    pub fn new(graph: &Graph) -> Compact {
        let bound = graph.node_bound();
        let pg = graph.petgraph();
        let mut kinds = vec![None; bound];
        for id in graph.node_ids() {
            kinds[id.index()] = Some(graph.node(id).kind);
        }
        // Edge indices in increasing order: each node's run keeps insertion order, the order
        // `Graph::out_edges` and `Graph::in_edges` give.
        let edges: Vec<(u32, u32, u32, bool)> = pg
            .edge_references()
            .filter(|e| graph.visible(EdgeId::from_index(e.id().index())))
            .map(|e| {
                (
                    e.source().index() as u32,
                    e.target().index() as u32,
                    e.id().index() as u32,
                    e.weight().reach == Reach::Definite,
                )
            })
            .collect();
        Compact {
            out: Rows::new(bound, &edges, false, false),
            inc: Rows::new(bound, &edges, true, false),
            out_definite: Rows::new(bound, &edges, false, true),
            in_definite: Rows::new(bound, &edges, true, true),
            kinds,
        }
    }

    /// Upper bound of node indices (as [`Graph::node_bound`]).
    pub fn bound(&self) -> usize {
        self.kinds.len()
    }

    /// Number of edges the queries see (masked edges left out).
    pub fn edge_count(&self) -> usize {
        self.out.other.len()
    }

    /// The kind of the node at `index`, `None` when no node holds it.
    pub(crate) fn kind_at(&self, index: usize) -> Option<NodeKind> {
        self.kinds.get(index).copied().flatten()
    }

    /// A node's kind, one byte per node away (no node record to read).
    pub fn kind(&self, node: NodeId) -> Option<NodeKind> {
        self.kind_at(node.index())
    }

    /// The edges of `node` as packed neighbours ([`target`], [`definite`]) with their edge
    /// indices, in insertion order: outgoing (neighbour = target) or incoming when `backward`
    /// (neighbour = source), every edge or the definite ones alone.
    pub(crate) fn raw(&self, node: usize, backward: bool, definite_only: bool) -> (&[u32], &[u32]) {
        let rows = match (backward, definite_only) {
            (false, false) => &self.out,
            (true, false) => &self.inc,
            (false, true) => &self.out_definite,
            (true, true) => &self.in_definite,
        };
        let r = rows.range(node);
        (&rows.other[r.clone()], &rows.edge[r])
    }

    /// Outgoing edges of `node`, packed, with their edge indices, in insertion order.
    pub(crate) fn out_raw(&self, node: usize) -> (&[u32], &[u32]) {
        self.raw(node, false, false)
    }

    /// Incoming edges of `node`, packed, with their edge indices, in insertion order.
    pub(crate) fn in_raw(&self, node: usize) -> (&[u32], &[u32]) {
        self.raw(node, true, false)
    }

    /// Outgoing edges of a node, in insertion order (as [`Graph::out_edges`]).
    pub fn out_edges(&self, node: NodeId) -> impl Iterator<Item = Step> + '_ {
        let (other, edge) = self.out_raw(node.index());
        steps(other, edge)
    }

    /// Incoming edges of a node, in insertion order (as [`Graph::in_edges`]); `node` of each
    /// step is the edge's source.
    pub fn in_edges(&self, node: NodeId) -> impl Iterator<Item = Step> + '_ {
        let (other, edge) = self.in_raw(node.index());
        steps(other, edge)
    }
}

fn steps<'a>(other: &'a [u32], edge: &'a [u32]) -> impl Iterator<Item = Step> + 'a {
    other.iter().zip(edge).map(|(&o, &e)| Step {
        edge: EdgeId::from_index(e as usize),
        node: NodeId::from_index(target(o) as usize),
        reach: if definite(o) {
            Reach::Definite
        } else {
            Reach::Conditional
        },
    })
}

/// The node index of a packed neighbour.
#[inline]
pub(crate) fn target(packed: u32) -> u32 {
    packed & !DEFINITE
}

/// Whether a packed neighbour's edge is definite.
#[inline]
pub(crate) fn definite(packed: u32) -> bool {
    packed & DEFINITE != 0
}
