//! The edges of one principal, decided away from the graph so that principals can be lowered
//! on several threads, then added in principal order: the graph comes out the same, node and
//! edge ids included, as when each principal wrote into it directly.

use crate::graph::{Edge, Graph, Node, NodeId, NodeKeys};
use std::collections::HashMap;

/// A node an edge of the batch starts or ends at: one the graph already holds, or one the
/// batch adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Existing(NodeId),
    Added(usize),
}

impl From<NodeId> for End {
    fn from(id: NodeId) -> Self {
        End::Existing(id)
    }
}

/// Nodes and edges to add, read against a graph whose nodes do not change while they are
/// decided.
pub struct Batch<'g> {
    graph: NodeKeys<'g>,
    nodes: Vec<Node>,
    by_key: HashMap<String, usize>,
    edges: Vec<(End, End, Edge)>,
}

impl<'g> Batch<'g> {
    pub fn new(graph: NodeKeys<'g>) -> Self {
        Batch {
            graph,
            nodes: Vec::new(),
            by_key: HashMap::new(),
            edges: Vec::new(),
        }
    }

    /// A node of the graph as it was when the batch started.
    pub fn find_key(&self, key: &str) -> Option<NodeId> {
        self.graph.find_key(key)
    }

    /// Like [`Graph::add_node`]: the node with the same key when there is one.
    pub fn add_node(&mut self, node: Node) -> End {
        if let Some(id) = self.graph.find_key(&node.key) {
            return End::Existing(id);
        }
        if let Some(&index) = self.by_key.get(&node.key) {
            return End::Added(index);
        }
        let index = self.nodes.len();
        self.by_key.insert(node.key.clone(), index);
        self.nodes.push(node);
        End::Added(index)
    }

    pub fn add_edge(&mut self, from: impl Into<End>, to: impl Into<End>, edge: Edge) {
        self.edges.push((from.into(), to.into(), edge));
    }
}

/// What a batch decided, detached from the graph it read.
pub struct Decided {
    nodes: Vec<Node>,
    edges: Vec<(End, End, Edge)>,
}

impl From<Batch<'_>> for Decided {
    fn from(batch: Batch<'_>) -> Self {
        Decided {
            nodes: batch.nodes,
            edges: batch.edges,
        }
    }
}

impl Decided {
    /// Adds the nodes in the order they were decided, and returns the edges between the
    /// graph's nodes, for the caller to add in that order. A node an earlier batch added
    /// meanwhile is found by its key, as [`Graph::add_node`] does.
    pub fn add_nodes(
        self,
        graph: &mut Graph,
    ) -> impl Iterator<Item = (NodeId, NodeId, Edge)> + use<> {
        let added: Vec<NodeId> = self.nodes.into_iter().map(|n| graph.add_node(n)).collect();
        let resolve = move |end: End| match end {
            End::Existing(id) => id,
            End::Added(index) => added[index],
        };
        self.edges
            .into_iter()
            .map(move |(from, to, edge)| (resolve(from), resolve(to), edge))
    }
}
