//! Every start's radius at once, summarised: the auditor's ranking. The graph is condensed
//! into strongly connected components and the set of nodes each component reaches is
//! computed once, children first: a start then costs a few counts over its component's set
//! instead of a search.
//!
//! The sets are over a universe numbered kind by kind, so that counting one kind is counting
//! the members of one range. A set is a sorted list while it is small and a bitset once it is
//! not; a component that reaches nothing beyond itself (a sink: most permissions, resources
//! and account controls) never gets a set of its own, its members are added where it is
//! reached; and the last component to need a child's bitset takes it over instead of copying
//! it. Memory stays bounded on large organisations: a component's set is dropped as soon as
//! the last component that needs it is done, only components that a start or another
//! component needs get a set at all, and each start is summarised when its own component is.
//! Definite reach is only needed for administrator control, so that closure is kept over
//! account-control nodes alone.

use super::condense::{Condensed, Listing};
use crate::graph::{Compact, Graph, NodeId, NodeKind, Reach};
use fixedbitset::FixedBitSet;

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

/// The kinds in the order the universe numbers them: the counted kinds, then account control.
const KINDS: [NodeKind; 6] = [
    NodeKind::Principal,
    NodeKind::Session,
    NodeKind::Permission,
    NodeKind::Resource,
    NodeKind::Credential,
    NodeKind::AccountControl,
];
const CONTROL: usize = 5;

/// A set of positions in a universe of `width`: a sorted list while small, else a bitset.
#[derive(Debug, Clone)]
enum Set {
    Few(Vec<u32>),
    Many(FixedBitSet),
}

impl Set {
    fn contains(&self, i: u32) -> bool {
        match self {
            Set::Few(items) => items.binary_search(&i).is_ok(),
            Set::Many(bits) => bits.contains(i as usize),
        }
    }

    /// How many positions in `lo..hi`.
    fn count(&self, lo: u32, hi: u32) -> usize {
        match self {
            Set::Few(items) => {
                items.partition_point(|&x| x < hi) - items.partition_point(|&x| x < lo)
            }
            Set::Many(bits) => bits.count_ones(lo as usize..hi as usize),
        }
    }

    /// The positions in `lo..hi`, in order.
    fn within(&self, lo: u32, hi: u32) -> Vec<u32> {
        match self {
            Set::Few(items) => {
                let a = items.partition_point(|&x| x < lo);
                let b = items.partition_point(|&x| x < hi);
                items.get(a..b).unwrap_or_default().to_vec()
            }
            Set::Many(bits) => (lo..hi).filter(|&i| bits.contains(i as usize)).collect(),
        }
    }
}

/// Walks the condensation sinks first and computes, for every component a start or another
/// component needs, the positions (`position[node]`, `u32::MAX` for nodes left out of the
/// universe) of every node it reaches, itself included. Calls `visit(members, set)` for each
/// component holding a start.
fn closure(
    condensed: &Condensed<'_>,
    position: &[u32],
    width: usize,
    is_start: &[bool],
    few: usize,
    mut visit: impl FnMut(&[u32], &Set),
) {
    let count = condensed.len();
    let sink = |c: usize| condensed.is_sink(c);
    // A component's successors are read from the rows twice: here, and when it is reached.
    let mut listing = Listing::new(condensed);
    let mut successors: Vec<u32> = Vec::new();
    // How many components still need each component's set; sinks never get one.
    let mut waiting = vec![0u32; count];
    for c in 0..count {
        condensed.successors(c, &mut listing, &mut successors);
        for &d in &successors {
            if !sink(d as usize) {
                waiting[d as usize] += 1;
            }
        }
    }
    let mut sets: Vec<Option<Set>> = vec![None; count];
    let mut scratch: Vec<u32> = Vec::new();
    for c in 0..count {
        let members = condensed.members(c);
        let holds_start = members.iter().any(|&n| is_start[n as usize]);
        let needed = waiting[c] > 0 || holds_start;
        condensed.successors(c, &mut listing, &mut successors);
        if !needed {
            for &d in &successors {
                let d = d as usize;
                if !sink(d) {
                    waiting[d] -= 1;
                    if waiting[d] == 0 {
                        sets[d] = None;
                    }
                }
            }
            continue;
        }
        scratch.clear();
        let add = |nodes: &[u32], scratch: &mut Vec<u32>| {
            for &n in nodes {
                let p = position[n as usize];
                if p != u32::MAX {
                    scratch.push(p);
                }
            }
        };
        add(members, &mut scratch);
        // The child bitset to start from: one no other component needs (taken over, not
        // copied) if there is one, else a copy of any.
        let mut base: Option<(usize, bool)> = None;
        for &d in &successors {
            let d = d as usize;
            if sink(d) {
                add(condensed.members(d), &mut scratch);
            } else if let Some(Set::Many(_)) = &sets[d] {
                let last = waiting[d] == 1;
                if base.is_none_or(|(_, taken)| last && !taken) {
                    base = Some((d, last));
                }
            }
        }
        let mut set = match base {
            Some((d, true)) => sets[d].take(),
            Some((d, false)) => sets[d].clone(),
            None => None,
        };
        match &mut set {
            Some(Set::Many(bits)) => {
                for &d in &successors {
                    let d = d as usize;
                    if base.is_some_and(|(b, _)| b == d) {
                        continue;
                    }
                    match &sets[d] {
                        Some(Set::Many(child)) => bits.union_with(child),
                        Some(Set::Few(child)) => {
                            child.iter().for_each(|&p| bits.insert(p as usize))
                        }
                        None => {}
                    }
                }
                scratch.iter().for_each(|&p| bits.insert(p as usize));
            }
            _ => {
                for &d in &successors {
                    if let Some(Set::Few(child)) = &sets[d as usize] {
                        scratch.extend_from_slice(child);
                    }
                }
                scratch.sort_unstable();
                scratch.dedup();
                set = Some(if scratch.len() <= few {
                    Set::Few(scratch.clone())
                } else {
                    let mut bits = FixedBitSet::with_capacity(width);
                    scratch.iter().for_each(|&p| bits.insert(p as usize));
                    Set::Many(bits)
                });
            }
        }
        for &d in &successors {
            let d = d as usize;
            if !sink(d) {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    sets[d] = None;
                }
            }
        }
        let Some(set) = set else { continue };
        if holds_start {
            visit(members, &set);
        }
        if waiting[c] > 0 {
            sets[c] = Some(set);
        }
    }
}

/// The summaries of every node `starts` keeps, most dangerous first: definite admin, then
/// conditional admin, then by principals and sessions reached.
///
/// O(V + E) for the two condensations, plus the unions: each component's set is the union of
/// its successors' (a list merge while small, O(V / 64) words once a bitset).
pub fn summarise_all(graph: &Graph, starts: impl Fn(NodeId) -> bool) -> Vec<Summary> {
    // Above this many positions a list costs more than a bitset (a list entry takes 32 bits, a
    // merge touches every entry; a union of bitsets touches width / 64 words).
    summarise(graph, starts, |width| (width / 64).max(16))
}

/// [`summarise_all`], with the size above which a set becomes a bitset as a function of the
/// universe's width (tests make every set a bitset).
fn summarise(
    graph: &Graph,
    starts: impl Fn(NodeId) -> bool,
    few: impl Fn(usize) -> usize,
) -> Vec<Summary> {
    let compact: &Compact = graph.compact();
    let bound = compact.bound();
    // The universe, kind by kind: `range[k]` holds the positions of `KINDS[k]`.
    let mut position = vec![u32::MAX; bound];
    let mut range = [(0u32, 0u32); KINDS.len()];
    let mut next = 0u32;
    let mut controls: Vec<NodeId> = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let lo = next;
        for (n, p) in position.iter_mut().enumerate() {
            if compact.kind_at(n) == Some(*kind) {
                *p = next;
                next += 1;
                if k == CONTROL {
                    controls.push(NodeId::from_index(n));
                }
            }
        }
        range[k] = (lo, next);
    }
    let mut is_start = vec![false; bound];
    for id in graph.node_ids().filter(|&n| starts(n)) {
        is_start[id.index()] = true;
    }

    // Definite reach over account controls alone: for each start, the controls it reaches by
    // definite edges, as positions counted from the first control.
    let (control_lo, control_hi) = range[CONTROL];
    let control_position: Vec<u32> = position
        .iter()
        .map(|&p| {
            if (control_lo..control_hi).contains(&p) {
                p - control_lo
            } else {
                u32::MAX
            }
        })
        .collect();
    let mut surely: Vec<Option<std::rc::Rc<Set>>> = vec![None; bound];
    let definite = Condensed::new(compact, true);
    closure(
        &definite,
        &control_position,
        controls.len(),
        &is_start,
        few(controls.len()),
        |members, set| {
            let shared = std::rc::Rc::new(set.clone());
            for &n in members {
                if is_start[n as usize] {
                    surely[n as usize] = Some(shared.clone());
                }
            }
        },
    );
    drop(definite);

    let any = Condensed::new(compact, false);
    let mut out = Vec::new();
    closure(
        &any,
        &position,
        next as usize,
        &is_start,
        few(next as usize),
        |members, set| {
            let counts: Vec<usize> = range.iter().map(|&(lo, hi)| set.count(lo, hi)).collect();
            let reached_controls = set.within(control_lo, control_hi);
            for &n in members {
                if !is_start[n as usize] {
                    continue;
                }
                // A start is not part of its own radius, even on a cycle back to it.
                let own = position[n as usize];
                let count = |k: usize| {
                    let (lo, hi) = range[k];
                    counts[k] - usize::from((lo..hi).contains(&own))
                };
                let sure = surely[n as usize].as_deref();
                let admin = reached_controls
                    .iter()
                    .filter(|&&p| p != own)
                    .map(|&p| {
                        let i = p - control_lo;
                        let reach = if sure.is_some_and(|s| s.contains(i)) {
                            Reach::Definite
                        } else {
                            Reach::Conditional
                        };
                        (controls[i as usize], reach)
                    })
                    .collect();
                out.push(Summary {
                    start: NodeId::from_index(n as usize),
                    admin,
                    principals: count(0),
                    sessions: count(1),
                    permissions: count(2),
                    resources: count(3),
                    credentials: count(4),
                });
            }
        },
    );
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
        /// The shared computation agrees with one radius per start, with sets as lists and
        /// as bitsets, for every start or some of them.
        #[test]
        fn summaries_equal_one_radius_per_start(
            n in 1usize..14,
            raw in prop::collection::vec((0usize..14, 0usize..14, any::<bool>()), 0..40),
            kinds in prop::collection::vec(0u8..6, 14),
            some in any::<bool>(),
        ) {
            let mut g = Graph::new();
            let ids: Vec<NodeId> = (0..n)
                .map(|i| {
                    let kind = match kinds[i] {
                        0 => NodeKind::Principal,
                        1 => NodeKind::Session,
                        2 => NodeKind::Permission,
                        3 => NodeKind::Resource,
                        4 => NodeKind::Credential,
                        _ => NodeKind::AccountControl,
                    };
                    g.add_node(Node::new(kind, "test", "x", i.to_string(), i.to_string()))
                })
                .collect();
            for (s, t, d) in raw.into_iter().filter(|(s, t, _)| *s < n && *t < n) {
                g.add_edge(ids[s], ids[t], edge(d));
            }
            let starts = |x: NodeId| !some || x.index() % 3 != 1;
            let as_lists = summarise(&g, starts, |_| usize::MAX);
            let as_bits = summarise(&g, starts, |_| 0);
            prop_assert_eq!(&as_lists, &as_bits);
            prop_assert_eq!(&as_lists, &summarise_all(&g, starts));
            prop_assert_eq!(as_lists.len(), ids.iter().filter(|&&x| starts(x)).count());
            for s in as_lists {
                let r = radius(&g, s.start);
                let count = |k: NodeKind| r.reached.iter().filter(|x| g.node(x.node).kind == k).count();
                prop_assert_eq!(s.principals, count(NodeKind::Principal));
                prop_assert_eq!(s.sessions, count(NodeKind::Session));
                prop_assert_eq!(s.permissions, count(NodeKind::Permission));
                prop_assert_eq!(s.resources, count(NodeKind::Resource));
                prop_assert_eq!(s.credentials, count(NodeKind::Credential));
                let mut admin: Vec<(NodeId, Reach)> = r.reached.iter().filter(|x| g.node(x.node).kind == NodeKind::AccountControl).map(|x| (x.node, x.reach)).collect();
                admin.sort();
                prop_assert_eq!(s.admin, admin);
            }
        }
    }
}
