//! Strongly connected components of the compact adjacency and the graph they condense into,
//! for computations that run once per component instead of once per node.

use crate::graph::Compact;
use crate::graph::compact::target;

/// The condensation of the graph (over all edges, or definite edges only): components
/// numbered sinks first, so that every component's successors come before it.
///
/// A component's successors are read from its members' rows when asked for
/// ([`Condensed::successors`]), not kept: on an organisation's graph nearly every edge joins
/// two components, and a list of them cost four bytes an edge, tens of millions.
pub(super) struct Condensed<'c> {
    compact: &'c Compact,
    definite_only: bool,
    /// Members of component `c`: `members[member_start[c]..member_start[c + 1]]`.
    member_start: Vec<u32>,
    members: Vec<u32>,
    /// Each node's component (`u32::MAX` for an index no node holds).
    component: Vec<u32>,
    /// The components with no successor.
    sinks: fixedbitset::FixedBitSet,
}

/// What [`Condensed::successors`] needs between calls: the last call that listed each
/// component, to list it once.
pub(super) struct Listing {
    listed: Vec<u32>,
    call: u32,
}

impl Listing {
    pub fn new(condensed: &Condensed<'_>) -> Listing {
        Listing {
            listed: vec![0; condensed.len()],
            call: 0,
        }
    }
}

impl<'c> Condensed<'c> {
    /// Tarjan's algorithm, iterative (a recursive one overflows the stack on long chains).
    /// O(V + E).
    pub fn new(compact: &'c Compact, definite_only: bool) -> Condensed<'c> {
        const NONE: u32 = u32::MAX;
        let bound = compact.bound();
        let mut index = vec![NONE; bound];
        let mut low = vec![0u32; bound];
        let mut on_stack = vec![false; bound];
        let mut component = vec![NONE; bound];
        let mut stack: Vec<u32> = Vec::new();
        // The depth-first search: each node with the position of the next edge to try.
        let mut calls: Vec<(u32, u32)> = Vec::new();
        let mut counter = 0u32;
        let mut components = 0u32;
        for root in 0..bound {
            if index[root] != NONE || compact.kind_at(root).is_none() {
                continue;
            }
            index[root] = counter;
            low[root] = counter;
            counter += 1;
            stack.push(root as u32);
            on_stack[root] = true;
            calls.push((root as u32, 0));
            while let Some(&mut (node, ref mut next)) = calls.last_mut() {
                let v = node as usize;
                if let Some((at, packed)) = compact
                    .raw(v, false, definite_only)
                    .next_from(*next as usize)
                {
                    *next = at as u32 + 1;
                    let w = target(packed) as usize;
                    if index[w] == NONE {
                        index[w] = counter;
                        low[w] = counter;
                        counter += 1;
                        stack.push(w as u32);
                        on_stack[w] = true;
                        calls.push((w as u32, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    let p = parent as usize;
                    low[p] = low[p].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        component[w as usize] = components;
                        if w as usize == v {
                            break;
                        }
                    }
                    components += 1;
                }
            }
        }

        let count = components as usize;
        let (member_start, members) = {
            let mut start = vec![0u32; count + 1];
            for &c in &component {
                if c != NONE {
                    start[c as usize + 1] += 1;
                }
            }
            for i in 0..count {
                start[i + 1] += start[i];
            }
            let mut at = start.clone();
            let mut members = vec![0u32; start[count] as usize];
            for (n, &c) in component.iter().enumerate() {
                if c != NONE {
                    members[at[c as usize] as usize] = n as u32;
                    at[c as usize] += 1;
                }
            }
            (start, members)
        };
        let mut sinks = fixedbitset::FixedBitSet::with_capacity(count);
        for c in 0..count {
            let range = member_start[c] as usize..member_start[c + 1] as usize;
            let leaves = members[range].iter().any(|&n| {
                compact
                    .raw(n as usize, false, definite_only)
                    .neighbours()
                    .any(|packed| component[target(packed) as usize] != c as u32)
            });
            sinks.set(c, !leaves);
        }
        Condensed {
            compact,
            definite_only,
            member_start,
            members,
            component,
            sinks,
        }
    }

    pub fn len(&self) -> usize {
        self.member_start.len().saturating_sub(1)
    }

    pub fn members(&self, c: usize) -> &[u32] {
        slice(&self.member_start, &self.members, c)
    }

    /// Whether component `c` has no successor.
    pub fn is_sink(&self, c: usize) -> bool {
        self.sinks.contains(c)
    }

    /// The distinct successors of component `c` (itself excluded), in order of first edge
    /// from its members, into `out`. O(edges of its members).
    pub fn successors(&self, c: usize, listing: &mut Listing, out: &mut Vec<u32>) {
        out.clear();
        if listing.call == u32::MAX {
            listing.listed.iter_mut().for_each(|l| *l = 0);
            listing.call = 0;
        }
        listing.call += 1;
        let call = listing.call;
        for &n in self.members(c) {
            let row = self.compact.raw(n as usize, false, self.definite_only);
            for packed in row.neighbours() {
                let d = self.component[target(packed) as usize];
                if d != c as u32
                    && let Some(l) = listing.listed.get_mut(d as usize)
                    && *l != call
                {
                    *l = call;
                    out.push(d);
                }
            }
        }
    }
}

fn slice<'a>(start: &[u32], items: &'a [u32], c: usize) -> &'a [u32] {
    match (start.get(c), start.get(c + 1)) {
        (Some(&a), Some(&b)) => items.get(a as usize..b as usize).unwrap_or_default(),
        _ => &[],
    }
}
