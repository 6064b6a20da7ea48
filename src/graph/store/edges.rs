//! The graph's edges as one list of (source, target, slot): 16 bytes an edge. petgraph's
//! `StableGraph` keeps two more links an edge (8 bytes) so it can walk a node's edges; the
//! queries walk the compact rows instead ([`crate::graph::Compact`]), so here a node keeps
//! only how many edges touch it, which tells whether removing it must look for any.

use super::Slot;

/// One edge: its endpoints by node index and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub from: u32,
    pub to: u32,
    pub slot: Slot,
}

/// Edges by index. A removed edge leaves its index vacant, and the next edge added takes the
/// index freed last, as petgraph's `StableGraph` does: ids of the other edges never move.
#[derive(Debug, Default)]
pub(super) struct Edges {
    list: Vec<Option<Entry>>,
    /// Vacant indices, the one freed last at the end.
    free: Vec<u32>,
    /// Edges in the list, vacancies left out.
    count: usize,
    /// Per node index, how many edges start or end there (a loop counts twice).
    degree: Vec<u32>,
}

impl Edges {
    /// Adds an edge and returns its index.
    pub fn add(&mut self, from: u32, to: u32, slot: Slot) -> u32 {
        for node in [from, to] {
            let node = node as usize;
            if self.degree.len() <= node {
                self.degree.resize(node + 1, 0);
            }
            self.degree[node] += 1;
        }
        self.count += 1;
        let entry = Some(Entry { from, to, slot });
        match self.free.pop() {
            Some(index) => {
                self.list[index as usize] = entry;
                index
            }
            None => {
                // A graph's edges are numbered in a u32, as petgraph numbers them.
                self.list.push(entry);
                (self.list.len() - 1) as u32
            }
        }
    }

    /// Removes the edge at `index`, returning it; `None` for a vacant or unknown index.
    pub fn remove(&mut self, index: u32) -> Option<Entry> {
        let entry = self.list.get_mut(index as usize)?.take()?;
        for node in [entry.from, entry.to] {
            if let Some(d) = self.degree.get_mut(node as usize) {
                *d = d.saturating_sub(1);
            }
        }
        self.count -= 1;
        self.free.push(index);
        Some(entry)
    }

    pub fn get(&self, index: u32) -> Option<&Entry> {
        self.list.get(index as usize)?.as_ref()
    }

    /// Every edge with its index, in order of index.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> + '_ {
        self.list
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i as u32, e.as_ref()?)))
    }

    /// The edges that start or end at `node`, by a scan of the whole list when any does:
    /// those leaving it first, then those arriving, each newest first (the order petgraph
    /// removes a node's edges in).
    pub fn touching(&self, node: u32) -> Vec<u32> {
        if self.degree.get(node as usize).is_none_or(|&d| d == 0) {
            return Vec::new();
        }
        let leaving = self.iter().filter(|(_, e)| e.from == node);
        let arriving = self.iter().filter(|(_, e)| e.to == node && e.from != node);
        let mut out: Vec<u32> = leaving.map(|(i, _)| i).collect();
        out.reverse();
        let mut arriving: Vec<u32> = arriving.map(|(i, _)| i).collect();
        arriving.reverse();
        out.extend(arriving);
        out
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Upper bound of edge indices, vacancies included.
    pub fn bound(&self) -> usize {
        self.list.len()
    }

    pub fn reserve_exact(&mut self, additional: usize) {
        self.list.reserve_exact(additional);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{EdgeKind, Reach};

    fn slot(evidence: u32) -> Slot {
        Slot {
            kind: EdgeKind::Assumes,
            reach: Reach::Definite,
            evidence,
        }
    }

    #[test]
    fn an_edge_is_sixteen_bytes_in_the_list() {
        assert_eq!(std::mem::size_of::<Option<Entry>>(), 16);
    }

    #[test]
    fn freed_indices_are_reused_last_freed_first_and_others_keep_theirs() {
        let mut edges = Edges::default();
        let ids: Vec<u32> = (0..5).map(|i| edges.add(i % 3, 2, slot(i))).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
        assert_eq!(edges.remove(1).map(|e| e.slot.evidence), Some(1));
        assert_eq!(edges.remove(3).map(|e| e.slot.evidence), Some(3));
        assert_eq!(edges.remove(3), None, "already vacant");
        assert_eq!(edges.len(), 3);
        assert_eq!(edges.bound(), 5);
        assert_eq!(edges.add(0, 1, slot(7)), 3);
        assert_eq!(edges.add(0, 1, slot(8)), 1);
        assert_eq!(edges.add(0, 1, slot(9)), 5);
        let listed: Vec<(u32, u32)> = edges.iter().map(|(i, e)| (i, e.slot.evidence)).collect();
        assert_eq!(listed, [(0, 0), (1, 8), (2, 2), (3, 7), (4, 4), (5, 9)]);
    }

    #[test]
    fn a_node_finds_its_edges_only_while_it_has_any() {
        let mut edges = Edges::default();
        let a = edges.add(0, 1, slot(0));
        let b = edges.add(2, 0, slot(1));
        let c = edges.add(0, 0, slot(2));
        let d = edges.add(0, 3, slot(3));
        edges.add(1, 2, slot(4));
        assert_eq!(edges.touching(0), [d, c, a, b]);
        assert_eq!(edges.touching(3), [d]);
        for e in edges.touching(0) {
            edges.remove(e);
        }
        assert!(edges.touching(0).is_empty());
        assert!(edges.touching(3).is_empty());
        assert_eq!(edges.touching(1).len(), 1);
        assert!(edges.touching(9).is_empty(), "a node no edge has touched");
    }
}
