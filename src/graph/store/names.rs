//! The graph's look-ups by key and by short name, without a second copy of either string: a
//! table of node numbers by the hash of the string, each candidate checked against the string
//! where the graph keeps it (the node's key or label, or the list of aliases). An
//! organisation's graph has over a million nodes; copies of their keys and lower-cased labels
//! in maps of strings cost about 250 bytes a node.

use super::{NodeId, Nodes};
use hashbrown::HashTable;
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Nodes by their unique key.
#[derive(Debug, Default)]
pub(super) struct Keys {
    table: HashTable<NodeId>,
    state: foldhash::fast::RandomState,
}

impl Keys {
    pub fn find(&self, key: &str, nodes: &Nodes) -> Option<NodeId> {
        let hash = self.state.hash_one(key);
        self.table.find(hash, |&id| nodes[id.0].key == key).copied()
    }

    /// Files `id` under its key; the node must be in `nodes` already.
    pub fn insert(&mut self, id: NodeId, nodes: &Nodes) {
        let state = &self.state;
        let hash = state.hash_one(nodes[id.0].key.as_str());
        self.table
            .insert_unique(hash, id, |&x| state.hash_one(nodes[x.0].key.as_str()));
    }

    pub fn remove(&mut self, id: NodeId, key: &str) {
        let hash = self.state.hash_one(key);
        if let Ok(entry) = self.table.find_entry(hash, |&x| x == id) {
            entry.remove();
        }
    }

    /// Every key, in no particular order.
    pub fn all<'n>(&'n self, nodes: &'n Nodes) -> impl Iterator<Item = &'n str> + 'n {
        self.table.iter().map(|&id| nodes[id.0].key.as_str())
    }
}

/// What bears a name: a node's label, or an alias given to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bearer {
    Label(NodeId),
    Alias(u32),
}

/// One name given to one node, numbered in the order names were given: a name's nodes are
/// answered in that order.
#[derive(Debug, Clone, Copy)]
struct Entry {
    order: u32,
    bearer: Bearer,
}

/// Nodes by short name, compared without case: every node's label, and the aliases given to
/// nodes (a user's name and id).
#[derive(Debug, Default)]
pub(super) struct Names {
    table: HashTable<Entry>,
    /// Aliases, lower-cased, with their node. An alias of a removed node stays here, no
    /// longer filed in `table`.
    aliases: Vec<(NodeId, Box<str>)>,
    given: u32,
    state: foldhash::fast::RandomState,
}

impl Names {
    /// Files a node under its label; the node must be in `nodes` already.
    pub fn add_label(&mut self, id: NodeId, nodes: &Nodes) {
        let hash = self.hash_lower(&nodes[id.0].label);
        self.insert(hash, Bearer::Label(id), nodes);
    }

    /// Files a node under another name, once.
    pub fn add_alias(&mut self, id: NodeId, name: &str, nodes: &Nodes) {
        let name = name.to_lowercase();
        let hash = self.hash(&name);
        if self.bearing(hash, &name, nodes).any(|(_, x)| x == id) {
            return;
        }
        let index = self.aliases.len() as u32;
        self.aliases.push((id, name.into_boxed_str()));
        self.insert(hash, Bearer::Alias(index), nodes);
    }

    /// The nodes bearing `name` (compared without case), in the order they were given it.
    pub fn find(&self, name: &str, nodes: &Nodes) -> Vec<NodeId> {
        let name = name.to_lowercase();
        let mut found: Vec<(u32, NodeId)> = self.bearing(self.hash(&name), &name, nodes).collect();
        found.sort_unstable_by_key(|&(order, _)| order);
        found.into_iter().map(|(_, id)| id).collect()
    }

    /// Forgets every name of a node about to be removed from `nodes`.
    pub fn remove(&mut self, id: NodeId, nodes: &Nodes) {
        let hash = self.hash_lower(&nodes[id.0].label);
        if let Ok(entry) = self
            .table
            .find_entry(hash, |e| e.bearer == Bearer::Label(id))
        {
            entry.remove();
        }
        for (index, (node, name)) in self.aliases.iter().enumerate() {
            if *node != id {
                continue;
            }
            let hash = self.state.hash_one(&**name);
            let alias = Bearer::Alias(index as u32);
            if let Ok(entry) = self.table.find_entry(hash, |e| e.bearer == alias) {
                entry.remove();
            }
        }
    }

    /// Every name that bears a node, once each, lower-cased, in no particular order.
    pub fn all<'n>(&'n self, nodes: &'n Nodes) -> Vec<Cow<'n, str>> {
        let mut names: Vec<(u64, Cow<'n, str>)> = self
            .table
            .iter()
            .map(|e| {
                let name = self.name(e.bearer, nodes);
                (self.hash(&name), name)
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(|(_, name)| name).collect()
    }

    fn insert(&mut self, hash: u64, bearer: Bearer, nodes: &Nodes) {
        let order = self.given;
        self.given += 1;
        let Names {
            table,
            aliases,
            state,
            ..
        } = self;
        table.insert_unique(hash, Entry { order, bearer }, |e| match e.bearer {
            Bearer::Label(id) => hash_lower(state, &nodes[id.0].label),
            Bearer::Alias(index) => state.hash_one(&*aliases[index as usize].1),
        });
    }

    /// The entries filed under `hash` that bear `name` (lower-case), with their nodes.
    fn bearing<'s>(
        &'s self,
        hash: u64,
        name: &'s str,
        nodes: &'s Nodes,
    ) -> impl Iterator<Item = (u32, NodeId)> + 's {
        self.table.iter_hash(hash).filter_map(move |e| {
            let (id, bears) = match e.bearer {
                Bearer::Label(id) => (id, lower_equals(&nodes[id.0].label, name)),
                Bearer::Alias(index) => {
                    let (id, alias) = &self.aliases[index as usize];
                    (*id, **alias == *name)
                }
            };
            bears.then_some((e.order, id))
        })
    }

    fn name<'n>(&'n self, bearer: Bearer, nodes: &'n Nodes) -> Cow<'n, str> {
        match bearer {
            Bearer::Label(id) => lower(&nodes[id.0].label),
            Bearer::Alias(index) => Cow::Borrowed(&*self.aliases[index as usize].1),
        }
    }

    fn hash(&self, lower_case: &str) -> u64 {
        self.state.hash_one(lower_case)
    }

    fn hash_lower(&self, text: &str) -> u64 {
        hash_lower(&self.state, text)
    }
}

/// The hash of `text` lower-cased, as `str::to_lowercase` does it.
fn hash_lower(state: &foldhash::fast::RandomState, text: &str) -> u64 {
    state.hash_one(&*lower(text))
}

/// `text` lower-cased, without a copy when it has nothing to lower.
fn lower(text: &str) -> Cow<'_, str> {
    if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// Whether `text` lower-cased is `lower_case`.
fn lower_equals(text: &str, lower_case: &str) -> bool {
    if text.is_ascii() {
        // `lower_case` is lower-case already: equal without case is equal once lowered.
        text.eq_ignore_ascii_case(lower_case)
    } else {
        text.to_lowercase() == lower_case
    }
}
