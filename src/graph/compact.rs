//! A compact adjacency of the graph for queries: compressed sparse rows of `u32`s, built once
//! per state of the graph and reused by every query until the graph changes. It is the only
//! adjacency the graph has: its edge list keeps no links from node to edge, and
//! [`Graph::out_edges`] and [`Graph::in_edges`] read these rows.
//!
//! A node's edges are one contiguous run of targets, in insertion order, with the edge's
//! reach in the target's top bit: a search touches four bytes per edge and reads evidence only
//! for the edges of the paths it reports. A search along definite edges alone reads the same
//! rows and skips the others by that bit, so the rows are not kept twice.
//!
//! The outgoing rows name their edges in runs of consecutive edge numbers, not one number an
//! edge: a graph's edges are added source by source, so a row is one or two runs. On an
//! organisation of 37 million edges that is about 20 MB instead of 150. Rows whose edges do
//! not come in runs keep a number an edge, whichever form is smaller.
//!
//! Masked edges (what-if overlays) are left out when the arrays are built; [`Graph`] drops
//! them on every change (node or edge added or removed, mask set or cleared) and puts back
//! the form of the graph without overlays when the last overlay comes off. Under an overlay
//! the arrays of the graph without it are shared, and only the rows of the nodes whose edges
//! the overlay changes are made again: a what-if on a graph of millions of edges touches a
//! few hundred rows. The incoming rows (who-can) are built from the outgoing ones on the
//! first backward search.

use super::{EdgeId, Graph, NodeId, NodeKind, Reach};
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
    /// Each node's kind, `None` for an index no node holds.
    kinds: Vec<Option<NodeKind>>,
    /// Incoming edges: made from `out` when first needed.
    incoming: OnceLock<Rows>,
}

/// What an overlay changes in the rows of the graph without it: the rows of the sources of
/// masked and added edges (and, once a backward search asks, of their targets).
#[derive(Debug)]
struct Patch {
    /// Each node's kind under the overlay (the overlay's nodes included).
    kinds: Vec<Option<NodeKind>>,
    out: Sparse,
    /// Edges under the overlay.
    edge_count: usize,
    /// The masked edges by index, and their targets, for the incoming rows; the overlay's
    /// edges as (source, packed target, edge).
    masked: Vec<u32>,
    masked_targets: Vec<u32>,
    added: Vec<(u32, u32, u32)>,
    incoming: OnceLock<Sparse>,
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
        let mut edges = Vec::new();
        for (node, row) in rows {
            let n = node as usize;
            if let Some(word) = sparse.has.get_mut(n / 64) {
                *word |= 1 << (n % 64);
            }
            sparse.slot.insert(node, sparse.slot.len() as u32);
            for (other, edge) in row {
                sparse.rows.other.push(other);
                edges.push(edge);
            }
            sparse.rows.start.push(sparse.rows.other.len() as u32);
        }
        sparse.rows.edge = EdgeIds::Each(edges);
        sparse
    }

    /// The row of `node`, if it is one of these.
    #[inline]
    fn get(&self, node: usize, definite_only: bool) -> Option<Row<'_>> {
        let word = *self.has.get(node / 64)?;
        if word & (1 << (node % 64)) == 0 {
            return None;
        }
        let slot = *self.slot.get(&(node as u32))? as usize;
        Some(self.rows.row(slot, definite_only))
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
                    && self
                        .raw(n, false, false)
                        .iter()
                        .eq(other.raw(n, false, false).iter())
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
    edge: EdgeIds,
}

/// The edge index at each position of [`Rows`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum EdgeIds {
    /// One index a position.
    Each(Vec<u32>),
    /// Runs of consecutive indices (every row starts one): run `r` holds positions
    /// `at[r]..at[r + 1]`, the first with edge `first[r]`, each next one the next edge. The
    /// runs of node `n` are `row_runs[n]..row_runs[n + 1]`.
    Runs {
        row_runs: Vec<u32>,
        at: Vec<u32>,
        first: Vec<u32>,
    },
}

impl Default for EdgeIds {
    fn default() -> Self {
        EdgeIds::Each(Vec::new())
    }
}

impl Rows {
    /// Counting sort of `(source, packed target, edge)` by source, edges in the order given,
    /// which must be increasing edge index (as [`Graph::edge_entries`] lists them). Edge
    /// numbers are kept in runs, or one by one where that is smaller.
    fn new<I: Iterator<Item = (u32, u32, u32)>>(bound: usize, edges: impl Fn() -> I) -> Rows {
        Rows::in_runs(bound, edges).smaller()
    }

    /// [`Rows::new`] with the edge numbers always in runs.
    fn in_runs<I: Iterator<Item = (u32, u32, u32)>>(bound: usize, edges: impl Fn() -> I) -> Rows {
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
        // Per row, the last edge placed and how many runs it has.
        let mut last = vec![u32::MAX; bound];
        let mut row_runs = vec![0u32; bound + 1];
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for (s, t, e) in edges() {
            let s = s as usize;
            let at = next[s];
            next[s] += 1;
            other[at as usize] = t;
            if last[s] == u32::MAX || last[s].wrapping_add(1) != e {
                runs.push((at, e));
                row_runs[s + 1] += 1;
            }
            last[s] = e;
        }
        drop((next, last));
        for i in 0..bound {
            row_runs[i + 1] += row_runs[i];
        }
        // Each row's runs were found in order of position; rows come in order of position.
        runs.sort_unstable();
        let (at, first) = runs.into_iter().unzip();
        Rows {
            start,
            other,
            edge: EdgeIds::Runs {
                row_runs,
                at,
                first,
            },
        }
    }

    /// These rows with their edge numbers one by one, if that takes less room than their runs:
    /// a run costs 8 bytes and a row 4 more, a number kept alone 4. A graph whose edges were
    /// not added source by source has nearly a run an edge.
    fn smaller(self) -> Rows {
        let EdgeIds::Runs { row_runs, at, .. } = &self.edge else {
            return self;
        };
        if row_runs.len() + 2 * at.len() <= self.other.len() {
            return self;
        }
        let each = (0..self.len())
            .flat_map(|n| self.row(n, false).iter().map(|(_, e)| e))
            .collect();
        Rows {
            edge: EdgeIds::Each(each),
            ..self
        }
    }

    /// The edges of the row at `index`, every one or the definite ones alone.
    #[inline]
    fn row(&self, index: usize, definite_only: bool) -> Row<'_> {
        let r = self.range(index);
        let base = r.start as u32;
        let edges = match &self.edge {
            EdgeIds::Each(each) => RowEdges::Each(&each[r.clone()]),
            EdgeIds::Runs {
                row_runs,
                at,
                first,
            } => {
                let runs = match (row_runs.get(index), row_runs.get(index + 1)) {
                    (Some(&a), Some(&b)) => a as usize..b as usize,
                    _ => 0..0,
                };
                RowEdges::Runs {
                    at: &at[runs.clone()],
                    first: &first[runs],
                    base,
                }
            }
        };
        Row {
            others: &self.other[r],
            edges,
            definite_only,
        }
    }

    /// Number of rows.
    fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// The same edges seen from their other end, each node's edges in order of edge index.
    ///
    /// The edges are read in order of index run by run ([`EdgeIds::Runs`]: a run's edges are
    /// consecutive numbers at consecutive positions), so nothing per edge is kept besides the
    /// result: a map from edge to position cost 8 bytes an edge, 280 MiB on an organisation.
    fn transpose(&self) -> Rows {
        let bound = self.len();
        // (first edge, first position, length, node) of every run, by first edge.
        let mut runs: Vec<(u32, u32, u32, u32)> = Vec::new();
        match &self.edge {
            EdgeIds::Runs {
                row_runs,
                at,
                first,
            } => {
                runs.reserve_exact(at.len());
                for n in 0..bound {
                    let row_end = self.range(n).end as u32;
                    for r in row_runs[n] as usize..row_runs[n + 1] as usize {
                        let end = at.get(r + 1).map_or(row_end, |&next| next.min(row_end));
                        runs.push((first[r], at[r], end - at[r], n as u32));
                    }
                }
            }
            EdgeIds::Each(each) => {
                for n in 0..bound {
                    for i in self.range(n) {
                        runs.push((each[i], i as u32, 1, n as u32));
                    }
                }
            }
        }
        runs.sort_unstable();
        let mut start = vec![0u32; bound + 1];
        for &packed in &self.other {
            start[target(packed) as usize + 1] += 1;
        }
        for i in 0..bound {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut other = vec![0u32; self.other.len()];
        let mut edge = vec![0u32; self.other.len()];
        for (first, at, len, source) in runs {
            for k in 0..len {
                let packed = self.other[(at + k) as usize];
                let t = target(packed) as usize;
                let slot = next[t] as usize;
                next[t] += 1;
                other[slot] = source | (packed & DEFINITE);
                edge[slot] = first + k;
            }
        }
        Rows {
            start,
            other,
            edge: EdgeIds::Each(edge),
        }
    }

    fn range(&self, node: usize) -> std::ops::Range<usize> {
        match (self.start.get(node), self.start.get(node + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }
}

/// The edges of one node: packed neighbours ([`target`], [`definite`]) with their edge
/// indices, in insertion order; when `definite_only`, the conditional ones are skipped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    others: &'a [u32],
    edges: RowEdges<'a>,
    definite_only: bool,
}

#[derive(Debug, Clone, Copy)]
enum RowEdges<'a> {
    Each(&'a [u32]),
    /// The row's runs ([`EdgeIds::Runs`]) and the position of its first edge.
    Runs {
        at: &'a [u32],
        first: &'a [u32],
        base: u32,
    },
}

impl<'a> Row<'a> {
    /// (packed neighbour, edge index) of each edge followed.
    #[inline]
    pub(crate) fn iter(self) -> RowIter<'a> {
        RowIter {
            row: self,
            position: 0,
            run: 0,
        }
    }

    /// The edges followed as (position in the row, packed neighbour): a search reads the
    /// edge index of a position ([`Row::edge`]) only for the nodes it reaches first.
    #[inline]
    pub(crate) fn positions(self) -> impl Iterator<Item = (usize, u32)> + 'a {
        let definite_only = self.definite_only;
        self.others
            .iter()
            .copied()
            .enumerate()
            .filter(move |&(_, o)| !definite_only || definite(o))
    }

    /// The edge index at a position of the row.
    #[inline]
    pub(crate) fn edge(self, position: usize) -> u32 {
        match self.edges {
            RowEdges::Each(each) => each.get(position).copied().unwrap_or(u32::MAX),
            RowEdges::Runs { at, first, base } => {
                let global = base + position as u32;
                let run = at.partition_point(|&a| a <= global).saturating_sub(1);
                edge_in_run(at, first, run, global)
            }
        }
    }

    /// The packed neighbours of the edges followed, without their edge indices.
    #[inline]
    pub(crate) fn neighbours(self) -> impl Iterator<Item = u32> + 'a {
        let definite_only = self.definite_only;
        self.others
            .iter()
            .copied()
            .filter(move |&o| !definite_only || definite(o))
    }

    /// The first edge followed at or after position `from` of the row: its position and
    /// packed neighbour.
    #[inline]
    pub(crate) fn next_from(self, from: usize) -> Option<(usize, u32)> {
        let rest = self.others.get(from..)?;
        let skip = rest
            .iter()
            .position(|&o| !self.definite_only || definite(o))?;
        Some((from + skip, rest[skip]))
    }

    /// Every edge followed, as (packed neighbour, edge index).
    #[cfg(test)]
    pub(crate) fn to_vec(self) -> Vec<(u32, u32)> {
        self.iter().collect()
    }
}

/// The edge number at position `global` of the rows, which run `run` holds: [`Row::edge`]
/// finds the run by a search, [`RowIter`] by walking the runs in order.
#[inline]
fn edge_in_run(at: &[u32], first: &[u32], run: usize, global: u32) -> u32 {
    match (at.get(run), first.get(run)) {
        (Some(&a), Some(&f)) => f + (global - a),
        _ => u32::MAX,
    }
}

/// See [`Row::iter`].
pub(crate) struct RowIter<'a> {
    row: Row<'a>,
    position: usize,
    /// Under runs, the run of the last position read: positions only grow.
    run: usize,
}

impl Iterator for RowIter<'_> {
    type Item = (u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u32, u32)> {
        loop {
            let &packed = self.row.others.get(self.position)?;
            let position = self.position;
            self.position += 1;
            if self.row.definite_only && !definite(packed) {
                continue;
            }
            let edge = match self.row.edges {
                RowEdges::Each(each) => each.get(position).copied().unwrap_or(u32::MAX),
                RowEdges::Runs { at, first, base } => {
                    let global = base + position as u32;
                    while at.get(self.run + 1).is_some_and(|&a| a <= global) {
                        self.run += 1;
                    }
                    edge_in_run(at, first, self.run, global)
                }
            };
            return Some((packed, edge));
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
        let mut kinds = vec![None; bound];
        for id in graph.node_ids() {
            kinds[id.index()] = Some(graph.node(id).kind);
        }
        // The mask as one flag per edge index, not a hash lookup per edge.
        let mut hidden = Vec::new();
        if !graph.masked().is_empty() {
            hidden = vec![false; graph.edge_bound()];
            for e in graph.masked() {
                if let Some(h) = hidden.get_mut(e.index()) {
                    *h = true;
                }
            }
        }
        // Edge indices in increasing order: each node's run keeps insertion order, the order
        // `Graph::out_edges` gives.
        let edges = || {
            graph
                .edge_entries()
                .filter(|(e, ..)| !hidden.get(e.index()).copied().unwrap_or(false))
                .map(|(e, from, to, slot)| {
                    (
                        from.index() as u32,
                        packed(to.index(), slot.reach),
                        e.index() as u32,
                    )
                })
        };
        let out = Rows::new(bound, edges);
        Compact {
            dense: Arc::new(Dense {
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
            .filter_map(|&e| graph.edge_endpoints(EdgeId::from_index(e as usize)))
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
                let row = dense.out.row(n as usize, false);
                edge_count -= row.others.len();
                let kept = row.iter().filter(|(_, e)| masked.binary_search(e).is_err());
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

    /// The edges of `node`, in insertion order: outgoing (neighbour = target) or incoming
    /// when `backward` (neighbour = source), every edge or the definite ones alone.
    #[inline]
    pub(crate) fn raw(&self, node: usize, backward: bool, definite_only: bool) -> Row<'_> {
        if let Some(patch) = &self.patch {
            let rows = if backward {
                patch
                    .incoming
                    .get_or_init(|| patch.incoming(&self.dense, self.bound()))
            } else {
                &patch.out
            };
            if let Some(row) = rows.get(node, definite_only) {
                return row;
            }
        }
        self.dense.raw(node, backward, definite_only)
    }

    /// Outgoing edges of `node`, in insertion order.
    pub(crate) fn out_raw(&self, node: usize) -> Row<'_> {
        self.raw(node, false, false)
    }

    /// Incoming edges of `node`, in insertion order.
    pub(crate) fn in_raw(&self, node: usize) -> Row<'_> {
        self.raw(node, true, false)
    }

    /// Outgoing edges of a node, in insertion order (as [`Graph::out_edges`]).
    pub fn out_edges(&self, node: NodeId) -> impl Iterator<Item = Step> + '_ {
        steps(self.out_raw(node.index()))
    }

    /// Incoming edges of a node, in insertion order (as [`Graph::in_edges`]); `node` of each
    /// step is the edge's source.
    pub fn in_edges(&self, node: NodeId) -> impl Iterator<Item = Step> + '_ {
        steps(self.in_raw(node.index()))
    }
}

impl Dense {
    fn raw(&self, node: usize, backward: bool, definite_only: bool) -> Row<'_> {
        let rows = if backward {
            self.incoming.get_or_init(|| self.out.transpose())
        } else {
            &self.out
        };
        rows.row(node, definite_only)
    }
}

impl Patch {
    /// The incoming rows the overlay changes: those of the targets of its masked and added
    /// edges, from `dense`'s (made on first need and kept with it across overlays).
    fn incoming(&self, dense: &Dense, bound: usize) -> Sparse {
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
            let kept = dense
                .raw(t as usize, true, false)
                .iter()
                .filter(|(_, e)| self.masked.binary_search(e).is_err());
            let at = added.partition_point(|&(to, _, _)| to < t);
            let mine = added[at..]
                .iter()
                .take_while(|&&(to, _, _)| to == t)
                .map(|&(_, o, e)| (o, e));
            (t, merge_by_edge(kept, mine))
        });
        Sparse::new(bound, rows.collect::<Vec<_>>())
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

fn steps(row: Row<'_>) -> impl Iterator<Item = Step> + '_ {
    row.iter().map(|(o, e)| Step {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Edges added source by source keep their numbers in runs; edges whose sources take
    /// turns would have a run an edge, and keep a number each.
    #[test]
    fn edge_numbers_take_the_smaller_form() {
        let (a, b) = (packed(1, Reach::Definite), packed(0, Reach::Definite));
        let by_source: Vec<(u32, u32, u32)> = (0..8)
            .map(|e| (e / 4, if e < 4 { a } else { b }, e))
            .collect();
        let rows = Rows::new(2, || by_source.iter().copied());
        assert!(matches!(rows.edge, EdgeIds::Runs { .. }), "{rows:?}");
        let alternating: Vec<(u32, u32, u32)> = (0..8)
            .map(|e| (e % 2, if e % 2 == 0 { a } else { b }, e))
            .collect();
        let rows = Rows::new(2, || alternating.iter().copied());
        assert!(matches!(rows.edge, EdgeIds::Each(_)), "{rows:?}");
        assert_eq!(
            rows.row(1, false).to_vec(),
            vec![(b, 1), (b, 3), (b, 5), (b, 7)]
        );
    }

    proptest! {
        /// Rows that name their edges in runs read the same as a plain list of each node's
        /// edges in order, followed in full, definite edges alone, or from a position on.
        #[test]
        fn rows_in_runs_read_as_the_edges_given(
            bound in 1usize..10,
            edges in prop::collection::vec((0usize..10, 0usize..10, any::<bool>(), 1u32..4), 0..60),
        ) {
            // Increasing edge numbers with gaps, as a graph with removed edges has.
            let mut number = 0;
            let edges: Vec<(u32, u32, u32)> = edges
                .into_iter()
                .filter(|&(s, t, _, _)| s < bound && t < bound)
                .map(|(s, t, d, gap)| {
                    number += gap;
                    let reach = if d { Reach::Definite } else { Reach::Conditional };
                    (s as u32, packed(t, reach), number)
                })
                .collect();
            let rows = Rows::in_runs(bound, || edges.iter().copied());
            let in_runs = matches!(rows.edge, EdgeIds::Runs { .. });
            prop_assert!(in_runs);
            // A run starts at each edge whose number does not follow its source's last one.
            let mut last = vec![None; bound];
            let mut runs = 0;
            for &(s, _, e) in &edges {
                runs += usize::from(last[s as usize].is_none_or(|l: u32| l + 1 != e));
                last[s as usize] = Some(e);
            }
            // The same rows with a number per edge read and transpose alike; `new` keeps the
            // smaller of the two forms.
            let each = Rows {
                start: rows.start.clone(),
                other: rows.other.clone(),
                edge: EdgeIds::Each(
                    (0..bound).flat_map(|n| rows.row(n, false).iter().map(|(_, e)| e)).collect(),
                ),
            };
            let chosen = Rows::new(bound, || edges.iter().copied());
            let runs_smaller = (bound + 1) + 2 * runs <= edges.len();
            prop_assert_eq!(chosen.edge.clone(), if runs_smaller { rows.edge.clone() } else { each.edge.clone() });
            let incoming = rows.transpose();
            prop_assert_eq!(each.transpose(), incoming.clone());
            for n in 0..bound {
                prop_assert_eq!(each.row(n, false).to_vec(), rows.row(n, false).to_vec());
                prop_assert_eq!(each.row(n, true).to_vec(), rows.row(n, true).to_vec());
                let given: Vec<(u32, u32)> = edges
                    .iter()
                    .filter(|&&(s, _, _)| s as usize == n)
                    .map(|&(_, t, e)| (t, e))
                    .collect();
                prop_assert_eq!(rows.row(n, false).to_vec(), given.clone());
                // A single position's number, found by search rather than by walking.
                for (at, &(_, e)) in given.iter().enumerate() {
                    prop_assert_eq!(rows.row(n, false).edge(at), e);
                    prop_assert_eq!(each.row(n, false).edge(at), e);
                }
                let definite_given: Vec<(u32, u32)> =
                    given.iter().copied().filter(|&(t, _)| definite(t)).collect();
                prop_assert_eq!(rows.row(n, true).to_vec(), definite_given.clone());
                let neighbours: Vec<u32> = rows.row(n, true).neighbours().collect();
                let expected: Vec<u32> = definite_given.iter().map(|&(t, _)| t).collect();
                prop_assert_eq!(neighbours, expected);
                // Walking with `next_from` visits the same positions as the filter.
                let mut walked = Vec::new();
                let mut from = 0;
                while let Some((at, packed)) = rows.row(n, true).next_from(from) {
                    walked.push((packed, given[at].1));
                    from = at + 1;
                }
                prop_assert_eq!(walked, definite_given);
                let into: Vec<(u32, u32)> = edges
                    .iter()
                    .filter(|&&(_, t, _)| target(t) as usize == n)
                    .map(|&(s, t, e)| (s | (t & DEFINITE), e))
                    .collect();
                prop_assert_eq!(incoming.row(n, false).to_vec(), into);
            }
        }
    }
}
