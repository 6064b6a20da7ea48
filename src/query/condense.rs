//! Strongly connected components of the compact adjacency and the graph they condense into,
//! for computations that run once per component instead of once per node.

use crate::graph::Compact;
use crate::graph::compact::target;

/// The condensation of the graph (over all edges, or definite edges only): components
/// numbered sinks first, so that every component's successors come before it.
pub(super) struct Condensed {
    /// Members of component `c`: `members[member_start[c]..member_start[c + 1]]`.
    member_start: Vec<u32>,
    members: Vec<u32>,
    /// Distinct successors of component `c` (itself excluded), in the same layout.
    successor_start: Vec<u32>,
    successors: Vec<u32>,
}

impl Condensed {
    /// Tarjan's algorithm, iterative (a recursive one overflows the stack on long chains).
    /// O(V + E).
    pub fn new(compact: &Compact, definite_only: bool) -> Condensed {
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
        let mut successor_start = Vec::with_capacity(count + 1);
        let mut successors = Vec::new();
        // The last component that listed each successor, to list it once.
        let mut listed = vec![NONE; count];
        successor_start.push(0);
        for c in 0..count {
            let range = member_start[c] as usize..member_start[c + 1] as usize;
            for &n in &members[range] {
                for packed in compact.raw(n as usize, false, definite_only).neighbours() {
                    let d = component[target(packed) as usize];
                    if d != c as u32 && listed[d as usize] != c as u32 {
                        listed[d as usize] = c as u32;
                        successors.push(d);
                    }
                }
            }
            successor_start.push(successors.len() as u32);
        }
        Condensed {
            member_start,
            members,
            successor_start,
            successors,
        }
    }

    pub fn len(&self) -> usize {
        self.member_start.len().saturating_sub(1)
    }

    pub fn members(&self, c: usize) -> &[u32] {
        slice(&self.member_start, &self.members, c)
    }

    pub fn successors(&self, c: usize) -> &[u32] {
        slice(&self.successor_start, &self.successors, c)
    }
}

fn slice<'a>(start: &[u32], items: &'a [u32], c: usize) -> &'a [u32] {
    match (start.get(c), start.get(c + 1)) {
        (Some(&a), Some(&b)) => items.get(a as usize..b as usize).unwrap_or_default(),
        _ => &[],
    }
}
