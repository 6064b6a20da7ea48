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
//! them on every change (node or edge added or removed, mask set or cleared) and puts back
//! the form of the graph without overlays when the last overlay comes off. The incoming rows
//! (who-can) are built from the outgoing ones on the first backward search.

use super::{EdgeId, Graph, NodeId, NodeKind, Reach};
use petgraph::visit::{EdgeIndexable, EdgeRef, IntoEdgeReferences};
use std::sync::OnceLock;

/// The top bit of a packed neighbour: the edge is definite.
const DEFINITE: u32 = 1 << 31;

/// Outgoing and incoming edges of every node as compressed sparse rows.
///
/// Node indices fit in 31 bits: petgraph's `u32` indices, and a graph of 2^31 nodes would not
/// fit in memory long before.
#[derive(Debug, Clone, Default)]
pub struct Compact {
    out: Rows,
    /// The definite edges alone, for searches that follow only them.
    out_definite: Rows,
    /// Each node's kind, `None` for an index no node holds (removed by an overlay).
    kinds: Vec<Option<NodeKind>>,
    /// Incoming edges, every edge and the definite ones alone: made from `out` when first
    /// needed.
    incoming: OnceLock<(Rows, Rows)>,
}

impl PartialEq for Compact {
    /// The incoming rows follow from the outgoing ones: whether they are made yet is not a
    /// difference.
    fn eq(&self, other: &Compact) -> bool {
        self.out == other.out
            && self.out_definite == other.out_definite
            && self.kinds == other.kinds
    }
}

impl Eq for Compact {}

/// One direction of the adjacency: the edges of node `n` are `start[n]..start[n + 1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rows {
    start: Vec<u32>,
    /// The node at the other end, with [`DEFINITE`] set for a definite edge.
    other: Vec<u32>,
    /// The edge's index in the graph.
    edge: Vec<u32>,
}

impl Rows {
    /// Counting sort of `(source, packed target, edge)` by source, edges in the order given.
    fn new(bound: usize, edges: &[(u32, u32, u32)]) -> Rows {
        let mut start = vec![0u32; bound + 1];
        for &(s, _, _) in edges {
            start[s as usize + 1] += 1;
        }
        for i in 0..bound {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut other = vec![0u32; edges.len()];
        let mut edge = vec![0u32; edges.len()];
        for &(s, t, e) in edges {
            let at = next[s as usize] as usize;
            next[s as usize] += 1;
            other[at] = t;
            edge[at] = e;
        }
        Rows { start, other, edge }
    }

    /// The definite edges alone, in the same order.
    fn definite(&self) -> Rows {
        let mut start = Vec::with_capacity(self.start.len());
        let mut other = Vec::new();
        let mut edge = Vec::new();
        start.push(0);
        for n in 0..self.start.len().saturating_sub(1) {
            for i in self.range(n) {
                if definite(self.other[i]) {
                    other.push(self.other[i]);
                    edge.push(self.edge[i]);
                }
            }
            start.push(other.len() as u32);
        }
        Rows { start, other, edge }
    }

    /// The same edges seen from their other end, each node's edges in order of edge index.
    fn transpose(&self) -> Rows {
        let bound = self.start.len().saturating_sub(1);
        let edge_bound = self.edge.iter().max().map_or(0, |&e| e as usize + 1);
        // Where each edge sits in these rows, and the node it sits under.
        let mut at_edge = vec![u32::MAX; edge_bound];
        let mut source = vec![0u32; self.edge.len()];
        let mut start = vec![0u32; bound + 1];
        for n in 0..bound {
            for i in self.range(n) {
                at_edge[self.edge[i] as usize] = i as u32;
                source[i] = n as u32;
                start[target(self.other[i]) as usize + 1] += 1;
            }
        }
        for i in 0..bound {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut other = vec![0u32; self.edge.len()];
        let mut edge = vec![0u32; self.edge.len()];
        for (e, &i) in at_edge.iter().enumerate() {
            let Some(&packed) = self.other.get(i as usize) else {
                continue;
            };
            let t = target(packed) as usize;
            let slot = next[t] as usize;
            next[t] += 1;
            other[slot] = source[i as usize] | (packed & DEFINITE);
            edge[slot] = e as u32;
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
        // The mask as one flag per edge index, not a hash lookup per edge.
        let mut hidden = Vec::new();
        if !graph.masked().is_empty() {
            hidden = vec![false; pg.edge_bound()];
            for e in graph.masked() {
                if let Some(h) = hidden.get_mut(e.index()) {
                    *h = true;
                }
            }
        }
        // Edge indices in increasing order: each node's run keeps insertion order, the order
        // `Graph::out_edges` gives.
        let edges: Vec<(u32, u32, u32)> = pg
            .edge_references()
            .filter(|e| !hidden.get(e.id().index()).copied().unwrap_or(false))
            .map(|e| {
                let definite = e.weight().reach == Reach::Definite;
                (
                    e.source().index() as u32,
                    e.target().index() as u32 | if definite { DEFINITE } else { 0 },
                    e.id().index() as u32,
                )
            })
            .collect();
        let out = Rows::new(bound, &edges);
        drop(edges);
        Compact {
            out_definite: out.definite(),
            out,
            kinds,
            incoming: OnceLock::new(),
        }
    }

    /// The compact form of `graph` under an overlay, from `base`, the form of the graph
    /// without it: the same rows less the masked edges, with the overlay's edges merged in by
    /// edge index, so equal to [`Compact::new`] of the overlaid graph without reading every
    /// edge record again (the bulk of a what-if on a large graph).
    pub fn overlaid(base: &Compact, graph: &Graph) -> Compact {
        let bound = graph.node_bound();
        let mut kinds = base.kinds.clone();
        kinds.resize(bound, None);
        for &node in graph.overlay_nodes() {
            if let Some(slot) = kinds.get_mut(node.index()) {
                *slot = Some(graph.node(node).kind);
            }
        }
        let masked = graph.masked();
        let mut added: Vec<(u32, u32, u32)> = graph
            .overlay_edges()
            .iter()
            .map(|&e| {
                let (from, to) = graph.endpoints(e);
                let definite = graph.edge(e).reach == Reach::Definite;
                (
                    from.index() as u32,
                    to.index() as u32 | if definite { DEFINITE } else { 0 },
                    e.index() as u32,
                )
            })
            .collect();
        added.sort_unstable_by_key(|&(from, _, e)| (from, e));
        let mut start = Vec::with_capacity(bound + 1);
        let mut other = Vec::with_capacity(base.out.other.len() + added.len());
        let mut edge = Vec::with_capacity(base.out.edge.len() + added.len());
        start.push(0u32);
        let mut next_added = added.iter().peekable();
        for n in 0..bound {
            let kept = base
                .out
                .range(n)
                .filter(|&i| {
                    masked.is_empty()
                        || !masked.contains(&EdgeId::from_index(base.out.edge[i] as usize))
                })
                .map(|i| (base.out.other[i], base.out.edge[i]));
            let mut mine = Vec::new();
            while let Some(&&(from, t, e)) = next_added.peek() {
                if from as usize != n {
                    break;
                }
                mine.push((t, e));
                next_added.next();
            }
            // Both runs ascend by edge index: merge them.
            let mut mine = mine.into_iter().peekable();
            for (t, e) in kept {
                while let Some(&(mt, me)) = mine.peek() {
                    if me > e {
                        break;
                    }
                    other.push(mt);
                    edge.push(me);
                    mine.next();
                }
                other.push(t);
                edge.push(e);
            }
            for (mt, me) in mine {
                other.push(mt);
                edge.push(me);
            }
            start.push(other.len() as u32);
        }
        let out = Rows { start, other, edge };
        Compact {
            out_definite: out.definite(),
            out,
            kinds,
            incoming: OnceLock::new(),
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
            (false, true) => &self.out_definite,
            (true, definite_only) => {
                let (all, definite) = self.incoming.get_or_init(|| {
                    let all = self.out.transpose();
                    let definite = all.definite();
                    (all, definite)
                });
                if definite_only { definite } else { all }
            }
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
