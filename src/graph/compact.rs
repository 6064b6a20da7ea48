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
//! the form of the graph without overlays when the last overlay comes off. Under an overlay
//! the arrays of the graph without it are shared, and only the rows of the nodes whose edges
//! the overlay changes are made again: a what-if on a graph of millions of edges touches a
//! few hundred rows. The incoming rows (who-can) are built from the outgoing ones on the
//! first backward search.

use super::{EdgeId, Graph, NodeId, NodeKind, Reach};
use petgraph::visit::{EdgeIndexable, EdgeRef, IntoEdgeReferences};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The top bit of a packed neighbour: the edge is definite.
const DEFINITE: u32 = 1 << 31;

/// Outgoing and incoming edges of every node as compressed sparse rows.
///
/// Node indices fit in 31 bits: petgraph's `u32` indices, and a graph of 2^31 nodes would not
/// fit in memory long before.
#[derive(Debug, Clone, Default)]
pub struct Compact {
    /// The rows of every node: of the graph itself, or under an overlay of the graph without
    /// it (shared with the form kept for when the overlay comes off).
    dense: Arc<Dense>,
    /// Under an overlay: the rows it changes, read instead of `dense`'s.
    patch: Option<Arc<Patch>>,
}

#[derive(Debug, Default)]
struct Dense {
    out: Rows,
    /// The definite edges alone, for searches that follow only them.
    out_definite: Rows,
    /// Each node's kind, `None` for an index no node holds.
    kinds: Vec<Option<NodeKind>>,
    /// Incoming edges, every edge and the definite ones alone: made from `out` when first
    /// needed.
    incoming: OnceLock<(Rows, Rows)>,
}

/// What an overlay changes in the rows of the graph without it: the rows of the sources of
/// masked and added edges (and, once a backward search asks, of their targets).
#[derive(Debug)]
struct Patch {
    /// Each node's kind under the overlay (the overlay's nodes included).
    kinds: Vec<Option<NodeKind>>,
    out: Sparse,
    out_definite: Sparse,
    /// Edges under the overlay.
    edge_count: usize,
    /// The masked edges by index, and their targets, for the incoming rows; the overlay's
    /// edges as (source, packed target, edge).
    masked: Vec<u32>,
    masked_targets: Vec<u32>,
    added: Vec<(u32, u32, u32)>,
    incoming: OnceLock<(Sparse, Sparse)>,
}

/// Rows of a few nodes: `has` marks them (one bit per node), `slot` finds their run.
#[derive(Debug, Default)]
struct Sparse {
    has: Vec<u64>,
    slot: HashMap<u32, u32>,
    rows: Rows,
}

impl Sparse {
    /// From `(node, row)` pairs, each row as (packed neighbour, edge).
    fn new(bound: usize, rows: impl IntoIterator<Item = (u32, Vec<(u32, u32)>)>) -> Sparse {
        let mut sparse = Sparse {
            has: vec![0; bound.div_ceil(64)],
            ..Sparse::default()
        };
        sparse.rows.start.push(0);
        for (node, row) in rows {
            let n = node as usize;
            if let Some(word) = sparse.has.get_mut(n / 64) {
                *word |= 1 << (n % 64);
            }
            sparse.slot.insert(node, sparse.slot.len() as u32);
            for (other, edge) in row {
                sparse.rows.other.push(other);
                sparse.rows.edge.push(edge);
            }
            sparse.rows.start.push(sparse.rows.other.len() as u32);
        }
        sparse
    }

    /// The definite edges of the same rows.
    fn definite(&self, bound: usize) -> Sparse {
        let mut by_slot: Vec<(u32, u32)> = self.slot.iter().map(|(&n, &s)| (s, n)).collect();
        by_slot.sort_unstable();
        Sparse::new(
            bound,
            by_slot.into_iter().map(|(slot, node)| {
                let r = self.rows.range(slot as usize);
                let row = self.rows.other[r.clone()]
                    .iter()
                    .zip(&self.rows.edge[r])
                    .filter(|(o, _)| definite(**o))
                    .map(|(&o, &e)| (o, e))
                    .collect();
                (node, row)
            }),
        )
    }

    /// The row of `node`, if it is one of these.
    #[inline]
    fn get(&self, node: usize) -> Option<(&[u32], &[u32])> {
        let word = *self.has.get(node / 64)?;
        if word & (1 << (node % 64)) == 0 {
            return None;
        }
        let r = self.rows.range(*self.slot.get(&(node as u32))? as usize);
        Some((&self.rows.other[r.clone()], &self.rows.edge[r]))
    }
}

impl PartialEq for Compact {
    /// Equal when every node has the same kind and the same rows, however they are held
    /// (whether the incoming rows are made yet is not a difference either).
    fn eq(&self, other: &Compact) -> bool {
        let bound = self.bound();
        bound == other.bound()
            && (0..bound).all(|n| {
                self.kind_at(n) == other.kind_at(n)
                    && self.raw(n, false, false) == other.raw(n, false, false)
                    && self.raw(n, false, true) == other.raw(n, false, true)
            })
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
    fn new<I: Iterator<Item = (u32, u32, u32)>>(bound: usize, edges: impl Fn() -> I) -> Rows {
        // Two passes over the edges, counting each row then filling it: a graph's edges are
        // not first copied into a list of their own (12 bytes an edge, tens of millions).
        let mut start = vec![0u32; bound + 1];
        let mut count = 0;
        for (s, _, _) in edges() {
            start[s as usize + 1] += 1;
            count += 1;
        }
        for i in 0..bound {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut other = vec![0u32; count];
        let mut edge = vec![0u32; count];
        for (s, t, e) in edges() {
            let at = next[s as usize] as usize;
            next[s as usize] += 1;
            other[at] = t;
            edge[at] = e;
        }
        Rows { start, other, edge }
    }

    /// The definite edges alone, in the same order.
    fn definite(&self) -> Rows {
        let count = self.other.iter().filter(|&&o| definite(o)).count();
        let mut start = Vec::with_capacity(self.start.len());
        let mut other = Vec::with_capacity(count);
        let mut edge = Vec::with_capacity(count);
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
        let edges = || {
            pg.edge_references()
                .filter(|e| !hidden.get(e.id().index()).copied().unwrap_or(false))
                .map(|e| {
                    (
                        e.source().index() as u32,
                        packed(e.target().index(), e.weight().reach),
                        e.id().index() as u32,
                    )
                })
        };
        let out = Rows::new(bound, edges);
        Compact {
            dense: Arc::new(Dense {
                out_definite: out.definite(),
                out,
                kinds,
                incoming: OnceLock::new(),
            }),
            patch: None,
        }
    }

    pub fn kind(&self, node: NodeId) -> Option<NodeKind> {
        self.kind_at(node.index())
    }

    /// The compact form of `graph` under an overlay, from `base`, the form of the graph
    /// without it: `base`'s rows shared, and made again only for the nodes whose edges the
    /// overlay masks or adds (their rows less the masked edges, the overlay's merged in by
    /// edge index), so equal to [`Compact::new`] of the overlaid graph in time proportional
    /// to the overlay, not to the graph.
    pub fn overlaid(base: &Compact, graph: &Graph) -> Compact {
        if base.patch.is_some() {
            // Not the form of a graph without overlays: build from scratch.
            return Compact::new(graph);
        }
        let dense = &base.dense;
        let bound = graph.node_bound();
        let mut kinds = dense.kinds.clone();
        kinds.resize(bound, None);
        for &node in graph.overlay_nodes() {
            if let Some(slot) = kinds.get_mut(node.index()) {
                *slot = Some(graph.node(node).kind);
            }
        }
        let pg = graph.petgraph();
        let mut masked: Vec<u32> = graph.masked().iter().map(|e| e.index() as u32).collect();
        masked.sort_unstable();
        let mut added: Vec<(u32, u32, u32)> = graph
            .overlay_edges()
            .iter()
            .map(|&e| {
                let (from, to) = graph.endpoints(e);
                let reach = graph.edge(e).reach;
                (
                    from.index() as u32,
                    packed(to.index(), reach),
                    e.index() as u32,
                )
            })
            .collect();
        added.sort_unstable_by_key(|&(from, _, e)| (from, e));
        let masked_ends: Vec<(u32, u32)> = masked
            .iter()
            .filter_map(|&e| pg.edge_endpoints(petgraph::graph::EdgeIndex::new(e as usize)))
            .map(|(from, to)| (from.index() as u32, to.index() as u32))
            .collect();
        let mut sources: Vec<u32> = masked_ends
            .iter()
            .map(|&(from, _)| from)
            .chain(added.iter().map(|&(from, _, _)| from))
            .collect();
        sources.sort_unstable();
        sources.dedup();
        let mut edge_count = dense.out.other.len();
        let rows: Vec<(u32, Vec<(u32, u32)>)> = sources
            .into_iter()
            .map(|n| {
                let r = dense.out.range(n as usize);
                edge_count -= r.len();
                let kept = dense.out.other[r.clone()]
                    .iter()
                    .zip(&dense.out.edge[r])
                    .map(|(&o, &e)| (o, e))
                    .filter(|(_, e)| masked.binary_search(e).is_err());
                let at = added.partition_point(|&(from, _, _)| from < n);
                let mine = added[at..]
                    .iter()
                    .take_while(|&&(from, _, _)| from == n)
                    .map(|&(_, o, e)| (o, e));
                let row = merge_by_edge(kept, mine);
                edge_count += row.len();
                (n, row)
            })
            .collect();
        let out = Sparse::new(bound, rows);
        Compact {
            dense: Arc::clone(dense),
            patch: Some(Arc::new(Patch {
                kinds,
                out_definite: out.definite(bound),
                out,
                edge_count,
                masked,
                masked_targets: masked_ends.into_iter().map(|(_, to)| to).collect(),
                added,
                incoming: OnceLock::new(),
            })),
        }
    }

    /// Upper bound of node indices (as [`Graph::node_bound`]).
    pub fn bound(&self) -> usize {
        self.kinds().len()
    }

    fn kinds(&self) -> &[Option<NodeKind>] {
        match &self.patch {
            Some(patch) => &patch.kinds,
            None => &self.dense.kinds,
        }
    }

    /// Number of edges the queries see (masked edges left out).
    pub fn edge_count(&self) -> usize {
        match &self.patch {
            Some(patch) => patch.edge_count,
            None => self.dense.out.other.len(),
        }
    }

    /// The kind of the node at `index`, `None` when no node holds it.
    pub(crate) fn kind_at(&self, index: usize) -> Option<NodeKind> {
        self.kinds().get(index).copied().flatten()
    }

    /// The edges of `node` as packed neighbours ([`target`], [`definite`]) with their edge
    /// indices, in insertion order: outgoing (neighbour = target) or incoming when `backward`
    /// (neighbour = source), every edge or the definite ones alone.
    #[inline]
    pub(crate) fn raw(&self, node: usize, backward: bool, definite_only: bool) -> (&[u32], &[u32]) {
        if let Some(patch) = &self.patch {
            let rows = match (backward, definite_only) {
                (false, false) => &patch.out,
                (false, true) => &patch.out_definite,
                (true, definite_only) => {
                    let (all, definite) = patch
                        .incoming
                        .get_or_init(|| patch.incoming(&self.dense, self.bound()));
                    if definite_only { definite } else { all }
                }
            };
            if let Some(row) = rows.get(node) {
                return row;
            }
        }
        self.dense.raw(node, backward, definite_only)
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

impl Dense {
    fn raw(&self, node: usize, backward: bool, definite_only: bool) -> (&[u32], &[u32]) {
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
}

impl Patch {
    /// The incoming rows the overlay changes: those of the targets of its masked and added
    /// edges, from `dense`'s (made on first need and kept with it across overlays).
    fn incoming(&self, dense: &Dense, bound: usize) -> (Sparse, Sparse) {
        // The overlay's edges seen from their targets, by edge index.
        let mut added: Vec<(u32, u32, u32)> = self
            .added
            .iter()
            .map(|&(from, to, e)| (target(to), from | (to & DEFINITE), e))
            .collect();
        added.sort_unstable_by_key(|&(to, _, e)| (to, e));
        let mut targets: Vec<u32> = self
            .masked_targets
            .iter()
            .copied()
            .chain(added.iter().map(|&(to, _, _)| to))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        let rows = targets.into_iter().map(|t| {
            let (other, edge) = dense.raw(t as usize, true, false);
            let kept = other
                .iter()
                .zip(edge)
                .map(|(&o, &e)| (o, e))
                .filter(|(_, e)| self.masked.binary_search(e).is_err());
            let at = added.partition_point(|&(to, _, _)| to < t);
            let mine = added[at..]
                .iter()
                .take_while(|&&(to, _, _)| to == t)
                .map(|&(_, o, e)| (o, e));
            (t, merge_by_edge(kept, mine))
        });
        let all = Sparse::new(bound, rows.collect::<Vec<_>>());
        let definite = all.definite(bound);
        (all, definite)
    }
}

/// Two runs of (packed neighbour, edge), each ascending by edge index, merged into one.
fn merge_by_edge(
    a: impl Iterator<Item = (u32, u32)>,
    b: impl Iterator<Item = (u32, u32)>,
) -> Vec<(u32, u32)> {
    let mut b = b.peekable();
    let mut out = Vec::new();
    for (o, e) in a {
        while let Some(&(bo, be)) = b.peek() {
            if be > e {
                break;
            }
            out.push((bo, be));
            b.next();
        }
        out.push((o, e));
    }
    out.extend(b);
    out
}

/// A node index with an edge's reach in the top bit.
fn packed(node: usize, reach: Reach) -> u32 {
    node as u32
        | match reach {
            Reach::Definite => DEFINITE,
            Reach::Conditional => 0,
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
