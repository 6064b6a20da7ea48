use super::compact::Compact;
use super::{
    Edge, EdgeKind, Evidence, List, Node, NodeKind, Reach, RecordRef, StatementRef, Text, Undecided,
};
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use std::hash::BuildHasher;
use std::sync::Arc;

mod edges;
mod names;

/// The graph's nodes, in petgraph for its stable numbering; their edges are kept apart
/// ([`edges::Edges`]).
type Nodes = StableDiGraph<Node, (), u32>;

/// What an overlay added to the graph.
#[derive(Debug, Default)]
pub struct Journal {
    pub nodes: Vec<NodeId>,
    pub edges: Vec<EdgeId>,
}

/// A node of [`Graph`]. Stays valid when edges or nodes are removed (what-if overlays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(NodeIndex<u32>);

/// An edge of [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeId(EdgeIndex<u32>);

impl NodeId {
    pub fn index(self) -> usize {
        self.0.index()
    }

    /// The node at a dense index of the graph's compact form.
    pub(crate) fn from_index(index: usize) -> Self {
        NodeId(NodeIndex::new(index))
    }
}

impl EdgeId {
    pub fn index(self) -> usize {
        self.0.index()
    }

    /// The edge at an index of the graph's compact form.
    pub(crate) fn from_index(index: usize) -> Self {
        EdgeId(EdgeIndex::new(index))
    }
}

/// An edge as the graph keeps it: its evidence by number in the graph's table of distinct
/// evidence. 8 bytes, 16 with the edge's endpoints in the graph's list; a graph of an
/// organisation holds tens of millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub kind: EdgeKind,
    pub reach: Reach,
    evidence: u32,
}

/// An edge read from a graph: its kind, its reach and its evidence, shared with every edge
/// whose evidence is equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeView<'g> {
    pub kind: EdgeKind,
    pub reach: Reach,
    pub evidence: &'g Evidence,
}

impl EdgeView<'_> {
    /// The edge on its own, to add to a graph again.
    pub fn to_edge(&self) -> Edge {
        Edge {
            kind: self.kind,
            reach: self.reach,
            evidence: Arc::new(self.evidence.clone()),
        }
    }
}

/// The typed reachability graph: nodes in a petgraph `StableGraph`, edges in a list of their
/// own, an index from provider-native ids and short names to nodes, and the compact rows the
/// queries walk.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: Nodes,
    edges: edges::Edges,
    /// Nodes and edges added since [`Graph::start_journal`], so that an overlay (what-if) can be
    /// taken back without copying the graph.
    journal: Option<Journal>,
    /// Edges hidden from queries by an overlay, without removing them (ids stay stable).
    masked: std::collections::HashSet<EdgeId>,
    by_key: names::Keys,
    /// Short names (label, user or role name), compared without case, to the nodes that
    /// bear them.
    by_name: names::Names,
    /// The adjacency as compressed rows for queries, built on first use and dropped by every
    /// change to the nodes, edges or mask.
    compact: std::sync::OnceLock<Compact>,
    /// While an overlay is on (edges masked, or nodes and edges added under a journal and not
    /// yet removed): the compact adjacency of the graph without it, put back when the overlay
    /// is taken off, so that undoing a what-if does not cost a rebuild.
    base: Option<Compact>,
    /// Nodes and edges added under a journal and not yet removed.
    overlay_nodes: std::collections::HashSet<NodeId>,
    overlay_edges: std::collections::HashSet<EdgeId>,
    /// Every distinct evidence text of the edges added, once: see [`Graph::add_edge`].
    texts: Texts,
    /// The accounts of the nodes, each once: a million nodes name a few thousand accounts.
    accounts: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
}

/// Drops the compact adjacency before a change (see [`Graph::changed`]); `unlaid` is whether
/// the graph was without any overlay before it.
fn drop_compact(
    compact: &mut std::sync::OnceLock<Compact>,
    base: &mut Option<Compact>,
    overlay: bool,
    unlaid: bool,
) {
    let current = compact.take();
    if !overlay {
        *base = None;
    } else if unlaid && let Some(current) = current {
        *base = Some(current);
    }
}

/// A graph's index of nodes by key, read while its edges are added: see [`Graph::split`].
#[derive(Clone, Copy)]
pub struct NodeKeys<'g> {
    nodes: &'g Nodes,
    by_key: &'g names::Keys,
}

impl NodeKeys<'_> {
    /// Like [`Graph::find_key`].
    pub fn find_key(&self, key: &str) -> Option<NodeId> {
        self.by_key.find(key, self.nodes)
    }
}

/// Adds edges to a graph whose nodes are read meanwhile through [`NodeKeys`]: see
/// [`Graph::split`].
pub struct EdgeSink<'g> {
    edges: &'g mut edges::Edges,
    texts: &'g mut Texts,
    journal: Option<&'g mut Journal>,
    overlay_edges: &'g mut std::collections::HashSet<EdgeId>,
    /// The compact adjacency to drop when the first edge is added, as [`Graph::changed`]
    /// does.
    change: Option<PendingChange<'g>>,
}

struct PendingChange<'g> {
    compact: &'g mut std::sync::OnceLock<Compact>,
    base: &'g mut Option<Compact>,
    overlay: bool,
    unlaid: bool,
}

impl EdgeSink<'_> {
    /// Like [`Graph::add_edge`].
    pub fn add_edge(&mut self, from: NodeId, to: NodeId, edge: Edge) -> EdgeId {
        let evidence = self.texts.share_edge_evidence(edge.evidence);
        self.insert(from, to, edge.kind, edge.reach, evidence)
    }

    fn insert(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: EdgeKind,
        reach: Reach,
        evidence: u32,
    ) -> EdgeId {
        if let Some(change) = self.change.take() {
            drop_compact(change.compact, change.base, change.overlay, change.unlaid);
        }
        let edge = Slot {
            kind,
            reach,
            evidence,
        };
        let index = self
            .edges
            .add(from.0.index() as u32, to.0.index() as u32, edge);
        let id = EdgeId::from_index(index as usize);
        if let Some(journal) = &mut self.journal {
            journal.edges.push(id);
            self.overlay_edges.insert(id);
        }
        id
    }
}

/// The evidence texts and lists a graph's edges share.
#[derive(Debug, Default)]
struct Texts {
    /// Every distinct text, once.
    by_text: std::collections::HashSet<Text, foldhash::fast::RandomState>,
    /// The addresses of those copies: a text the lowering made once and cites on many edges
    /// is found by its address without hashing its words again. An address stays taken while
    /// `by_text` holds the text.
    by_address: std::collections::HashSet<usize, foldhash::fast::RandomState>,
    statements: Lists<StatementRef>,
    undecided: Lists<Undecided>,
    notes: Lists<Text>,
    /// Every distinct evidence, once, by its number in `table`, filed by the hash of its
    /// [`evidence_key`]: edges with equal evidence hold one number.
    evidence: hashbrown::HashTable<u32>,
    evidence_hashes: foldhash::fast::RandomState,
    /// The evidence of the edges by number.
    table: Vec<Evidence>,
}

impl Texts {
    /// Makes `text` the graph's copy of its string, keeping it as that copy when it is new.
    fn share(&mut self, text: &mut Text) {
        if self.by_address.contains(&text.address()) {
            return;
        }
        match self.by_text.get(text) {
            Some(found) => *text = found.clone(),
            None => {
                self.by_address.insert(text.address());
                self.by_text.insert(text.clone());
            }
        }
    }

    fn is_shared(&self, text: &Text) -> bool {
        self.by_address.contains(&text.address())
    }

    /// Shares every text of `evidence` with the edges before it, then its lists of
    /// citations, conditions and notes.
    fn share_evidence(&mut self, evidence: &mut Evidence) {
        let Evidence {
            mechanism,
            rule,
            statements,
            records: _,
            undecided,
            notes,
            session_max_secs: _,
        } = evidence;
        self.share(mechanism);
        if let Some(rule) = rule {
            self.share(rule);
        }
        if undecided
            .iter()
            .any(|u| !self.is_shared(&u.key) || !self.is_shared(&u.reason))
        {
            let items: Vec<Undecided> = undecided
                .iter()
                .map(|u| {
                    let mut u = u.clone();
                    self.share(&mut u.key);
                    self.share(&mut u.reason);
                    u
                })
                .collect();
            *undecided = items.into();
        }
        if notes.iter().any(|n| !self.is_shared(n)) {
            let items: Vec<Text> = notes
                .iter()
                .map(|n| {
                    let mut n = n.clone();
                    self.share(&mut n);
                    n
                })
                .collect();
            *notes = items.into();
        }
        self.statements.share(statements);
        self.undecided.share(undecided);
        self.notes.share(notes);
    }

    /// The number of the graph's copy of `evidence`, its texts and lists shared first.
    fn share_edge_evidence(&mut self, mut evidence: Arc<Evidence>) -> u32 {
        // A fresh edge holds the only handle: its texts are shared in place, without a copy.
        self.share_evidence(Arc::make_mut(&mut evidence));
        self.number(evidence)
    }

    /// The number of `evidence` in the table, which keeps it when it is new.
    fn number(&mut self, evidence: Arc<Evidence>) -> u32 {
        let Texts {
            evidence: numbers,
            evidence_hashes: state,
            table,
            ..
        } = self;
        let key = evidence_key(&evidence);
        let hash = state.hash_one(key);
        if let Some(&number) = numbers.find(hash, |&n| evidence_key(&table[n as usize]) == key) {
            return number;
        }
        // No more distinct evidences than edges, and petgraph numbers edges in a u32.
        let number = table.len() as u32;
        table.push(Arc::unwrap_or_clone(evidence));
        numbers.insert_unique(hash, number, |&n| {
            state.hash_one(evidence_key(&table[n as usize]))
        });
        number
    }

    fn get(&self, number: u32) -> &Evidence {
        &self.table[number as usize]
    }
}

/// What tells two shared evidences apart. Once its texts and lists are shared, equal evidence
/// is made of the same allocations, so it is known by a few addresses; the session limit and
/// the records (unshared, and on few edges) are compared by value.
fn evidence_key(evidence: &Evidence) -> ([usize; 5], Option<u32>, &[RecordRef]) {
    let Evidence {
        mechanism,
        rule,
        statements,
        records,
        undecided,
        notes,
        session_max_secs,
    } = evidence;
    let addresses = [
        mechanism.address(),
        rule.as_ref().map_or(0, Text::address),
        statements.address(),
        undecided.address(),
        notes.address(),
    ];
    // Records tell apart evidence whose every other part is the same (one key listing per
    // key of a user): hashed by their words, or such edges would share one bucket.
    (addresses, *session_max_secs, records)
}

/// An item of a list the graph shares, known by the allocations it is made of: once texts
/// are shared, equal items are the same allocations, so a list is found by hashing a few
/// addresses instead of its words.
trait Addressed {
    fn addresses(&self) -> [usize; 2];
}

impl Addressed for Text {
    fn addresses(&self) -> [usize; 2] {
        [self.address(), 0]
    }
}

impl Addressed for StatementRef {
    fn addresses(&self) -> [usize; 2] {
        [self.address(), 0]
    }
}

impl Addressed for Undecided {
    fn addresses(&self) -> [usize; 2] {
        [self.key.address(), self.reason.address()]
    }
}

/// A list compared and hashed by the addresses of its items. The set holding it keeps the
/// items alive, so an address it holds is not reused for another item.
#[derive(Debug)]
struct ByItems<T>(List<T>);

impl<T: Addressed> std::hash::Hash for ByItems<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for item in self.0.iter() {
            let [a, b] = item.addresses();
            state.write_usize(a);
            state.write_usize(b);
        }
    }
}

impl<T: Addressed> PartialEq for ByItems<T> {
    fn eq(&self, other: &ByItems<T>) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0.iter())
                .all(|(a, b)| a.addresses() == b.addresses())
    }
}

impl<T: Addressed> Eq for ByItems<T> {}

/// The lists of one kind the graph's edges share: many edges carry the same conditions, the
/// same notes or the same citations.
#[derive(Debug)]
struct Lists<T>(std::collections::HashSet<ByItems<T>, foldhash::fast::RandomState>);

impl<T> Default for Lists<T> {
    fn default() -> Self {
        Lists(std::collections::HashSet::default())
    }
}

impl<T: Addressed> Lists<T> {
    /// Makes `list` the graph's copy of a list of the same items, keeping it when it is new.
    fn share(&mut self, list: &mut List<T>) {
        if list.is_empty() {
            return;
        }
        let key = ByItems(list.clone());
        match self.0.get(&key) {
            Some(found) => {
                if found.0.address() != list.address() {
                    *list = found.0.clone();
                }
            }
            None => {
                self.0.insert(key);
            }
        }
    }
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node, or returns the existing one with the same key (keys are unique).
    pub fn add_node(&mut self, mut node: Node) -> NodeId {
        if let Some(id) = self.by_key.find(&node.key, &self.nodes) {
            return id;
        }
        let overlay = self.journal.is_some();
        self.changed(overlay);
        if let Some(account) = &mut node.account {
            match self.accounts.get(account) {
                Some(shared) => *account = shared.clone(),
                None => {
                    self.accounts.insert(account.clone());
                }
            }
        }
        let id = NodeId(self.nodes.add_node(node));
        self.by_key.insert(id, &self.nodes);
        self.by_name.add_label(id, &self.nodes);
        if let Some(journal) = &mut self.journal {
            journal.nodes.push(id);
            self.overlay_nodes.insert(id);
        }
        id
    }

    /// Starts recording what is added, for [`Graph::take_journal`].
    pub fn start_journal(&mut self) {
        self.journal = Some(Journal::default());
    }

    /// Stops recording and returns what was added since [`Graph::start_journal`].
    pub fn take_journal(&mut self) -> Journal {
        self.journal.take().unwrap_or_default()
    }

    /// Hides an edge from every query until [`Graph::clear_mask`].
    pub fn mask_edge(&mut self, id: EdgeId) {
        self.changed(true);
        self.masked.insert(id);
    }

    pub fn clear_mask(&mut self) {
        if self.masked.is_empty() {
            return;
        }
        self.changed(true);
        self.masked.clear();
        self.settle();
    }

    /// Whether the graph is as it is without any overlay: nothing masked, nothing added under
    /// a journal left in.
    fn unlaid(&self) -> bool {
        self.masked.is_empty() && self.overlay_nodes.is_empty() && self.overlay_edges.is_empty()
    }

    /// Drops the compact adjacency before a change: the graph will no longer match it. A
    /// change an overlay makes (`overlay`) keeps the compact form of the graph without
    /// overlays, to put back when the overlay is taken off; any other change drops that too.
    fn changed(&mut self, overlay: bool) {
        let unlaid = self.unlaid();
        drop_compact(&mut self.compact, &mut self.base, overlay, unlaid);
    }

    /// After a change that may have taken the last of an overlay off: the graph is again the
    /// one `base` was built for.
    fn settle(&mut self) {
        if self.unlaid()
            && let Some(base) = self.base.take()
        {
            self.compact = std::sync::OnceLock::from(base);
        }
    }

    /// The adjacency as compressed rows (masked edges left out), built on first use after a
    /// change: O(V + E) once, then shared by every query until the graph changes again.
    pub fn compact(&self) -> &Compact {
        self.compact.get_or_init(|| match &self.base {
            // Under an overlay: the form without it, changed by the overlay alone.
            Some(base) => Compact::overlaid(base, self),
            None => Compact::new(self),
        })
    }

    /// Nodes and edges added under a journal and not yet removed.
    pub(crate) fn overlay_nodes(&self) -> &std::collections::HashSet<NodeId> {
        &self.overlay_nodes
    }

    pub(crate) fn overlay_edges(&self) -> &std::collections::HashSet<EdgeId> {
        &self.overlay_edges
    }

    /// Edges hidden by an overlay.
    pub(crate) fn masked(&self) -> &std::collections::HashSet<EdgeId> {
        &self.masked
    }

    /// Removes an edge, returning its endpoints and payload (to put it back later).
    pub fn remove_edge(&mut self, id: EdgeId) -> Option<(NodeId, NodeId, Edge)> {
        self.edges.get(id.index() as u32)?;
        let overlay = self.overlay_edges.remove(&id);
        self.changed(overlay);
        let entry = self.edges.remove(id.index() as u32)?;
        self.settle();
        Some((
            NodeId::from_index(entry.from as usize),
            NodeId::from_index(entry.to as usize),
            self.view(entry.slot).to_edge(),
        ))
    }

    /// Removes a node and its edges, and forgets its key and names.
    pub fn remove_node(&mut self, id: NodeId) -> Option<Node> {
        self.nodes.node_weight(id.0)?;
        // The node's edges go with it: an overlay's node has only the overlay's edges (and
        // none left once the overlay's edges are taken out, so nothing is searched).
        let edges = self.edges.touching(id.index() as u32);
        let mut overlay = self.overlay_nodes.remove(&id);
        for &e in &edges {
            overlay &= self.overlay_edges.remove(&EdgeId::from_index(e as usize));
        }
        self.changed(overlay);
        for e in edges {
            self.edges.remove(e);
        }
        self.by_key.remove(id, &self.nodes[id.0].key);
        self.by_name.remove(id, &self.nodes);
        let node = self.nodes.remove_node(id.0)?;
        self.settle();
        Some(node)
    }

    /// Registers another short name a selector may use for a node (`ci-deployer` for a user).
    pub fn add_alias(&mut self, id: NodeId, name: &str) {
        self.by_name.add_alias(id, name, &self.nodes);
    }

    /// Adds an edge. Its evidence, and each of its texts and lists, becomes the graph's shared
    /// copy: an edge equal to another is told apart by its endpoints, not by allocations of
    /// the same words.
    pub fn add_edge(&mut self, from: NodeId, to: NodeId, edge: Edge) -> EdgeId {
        self.split().1.add_edge(from, to, edge)
    }

    /// The node index, to read, and the edges, to add to, at the same time: a build looks up
    /// the nodes of the next principals on some threads while it adds the edges of the last
    /// ones on another.
    pub fn split(&mut self) -> (NodeKeys<'_>, EdgeSink<'_>) {
        let unlaid = self.unlaid();
        let overlay = self.journal.is_some();
        (
            NodeKeys {
                nodes: &self.nodes,
                by_key: &self.by_key,
            },
            EdgeSink {
                edges: &mut self.edges,
                texts: &mut self.texts,
                journal: self.journal.as_mut(),
                overlay_edges: &mut self.overlay_edges,
                change: Some(PendingChange {
                    compact: &mut self.compact,
                    base: &mut self.base,
                    overlay,
                    unlaid,
                }),
            },
        )
    }

    /// [`Graph::add_edge`] for a caller whose edges share their texts already (an index
    /// decodes each distinct text once): the texts are not looked up, only the whole evidence.
    pub(crate) fn add_shared_edge(&mut self, from: NodeId, to: NodeId, edge: Edge) -> EdgeId {
        let evidence = self.texts.number(edge.evidence);
        self.split()
            .1
            .insert(from, to, edge.kind, edge.reach, evidence)
    }

    /// Adds an edge whose evidence is that of the edge `like`, for a caller that knows them
    /// equal (an index repeats an earlier edge's evidence bytes): nothing is looked up.
    pub(crate) fn add_edge_like(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: EdgeKind,
        reach: Reach,
        like: EdgeId,
    ) -> EdgeId {
        let evidence = self.slot(like).evidence;
        self.split().1.insert(from, to, kind, reach, evidence)
    }

    /// Makes room for `additional` more edges at once, for a caller that knows how many it
    /// adds (reading an index): the edge list is then not grown and copied step by step.
    pub fn reserve_edges(&mut self, additional: usize) {
        self.edges.reserve_exact(additional);
    }

    pub fn node(&self, id: NodeId) -> &Node {
        // Every NodeId is handed out by this graph and nodes are never removed through it.
        &self.nodes[id.0]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        // The caller may change the node's kind, which the compact form records.
        self.changed(false);
        &mut self.nodes[id.0]
    }

    pub fn edge(&self, id: EdgeId) -> EdgeView<'_> {
        self.view(self.slot(id))
    }

    fn slot(&self, id: EdgeId) -> Slot {
        match self.edges.get(id.index() as u32) {
            Some(entry) => entry.slot,
            None => unreachable_edge(id),
        }
    }

    fn view(&self, slot: Slot) -> EdgeView<'_> {
        EdgeView {
            kind: slot.kind,
            reach: slot.reach,
            evidence: self.texts.get(slot.evidence),
        }
    }

    /// Source and target of an edge, `None` for an index no edge holds.
    pub fn edge_endpoints(&self, id: EdgeId) -> Option<(NodeId, NodeId)> {
        let entry = self.edges.get(id.index() as u32)?;
        Some((
            NodeId::from_index(entry.from as usize),
            NodeId::from_index(entry.to as usize),
        ))
    }

    /// Source and target of an edge.
    pub fn endpoints(&self, id: EdgeId) -> (NodeId, NodeId) {
        match self.edge_endpoints(id) {
            Some(ends) => ends,
            None => unreachable_edge(id),
        }
    }

    pub fn find_key(&self, key: &str) -> Option<NodeId> {
        self.by_key.find(key, &self.nodes)
    }

    /// Nodes bearing a short name, compared without case.
    pub fn find_name(&self, name: &str) -> Vec<NodeId> {
        self.by_name.find(name, &self.nodes)
    }

    /// How many short names bear at least one node.
    pub fn name_count(&self) -> usize {
        self.by_name.all(&self.nodes).len()
    }

    /// Every key and (lower-cased) name a selector could have meant, for "did you mean".
    pub fn selector_candidates(&self) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
        self.by_key
            .all(&self.nodes)
            .map(std::borrow::Cow::Borrowed)
            .chain(self.by_name.all(&self.nodes))
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes.node_indices().map(NodeId)
    }

    pub fn nodes_of_kind(&self, kind: NodeKind) -> impl Iterator<Item = NodeId> + '_ {
        self.node_ids()
            .filter(move |&id| self.node(id).kind == kind)
    }

    /// Outgoing edges of a node, in insertion order, masked edges left out (read from the
    /// compact rows, built first if the graph changed since they were).
    pub fn out_edges(&self, id: NodeId) -> impl Iterator<Item = (EdgeId, NodeId)> + '_ {
        self.compact().out_edges(id).map(|s| (s.edge, s.node))
    }

    /// Incoming edges of a node, in insertion order, masked edges left out.
    pub fn in_edges(&self, id: NodeId) -> impl Iterator<Item = (EdgeId, NodeId)> + '_ {
        self.compact().in_edges(id).map(|s| (s.edge, s.node))
    }

    /// Every edge, masked ones included, in order of index: (edge, source, target, slot).
    pub(crate) fn edge_entries(&self) -> impl Iterator<Item = (EdgeId, NodeId, NodeId, Slot)> + '_ {
        self.edges.iter().map(|(i, e)| {
            (
                EdgeId::from_index(i as usize),
                NodeId::from_index(e.from as usize),
                NodeId::from_index(e.to as usize),
                e.slot,
            )
        })
    }

    /// A node's edges, outgoing (with their targets) or incoming (with their sources), masked
    /// ones left out, found by a scan of every edge: the reference the compact rows that
    /// [`Graph::out_edges`] and [`Graph::in_edges`] read are tested against.
    #[cfg(test)]
    pub(crate) fn edges_by_scan(&self, id: NodeId, outgoing: bool) -> Vec<(EdgeId, NodeId)> {
        self.edge_entries()
            .filter(|(e, ..)| !self.masked.contains(e))
            .filter_map(|(e, from, to, _)| match outgoing {
                true => (from == id).then_some((e, to)),
                false => (to == id).then_some((e, from)),
            })
            .collect()
    }

    /// Every edge, masked ones included, in order of index.
    pub fn edge_ids(&self) -> impl Iterator<Item = EdgeId> + '_ {
        self.edges
            .iter()
            .map(|(i, _)| EdgeId::from_index(i as usize))
    }

    /// Upper bound of edge indices, for dense per-edge arrays.
    pub fn edge_bound(&self) -> usize {
        self.edges.bound()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Upper bound of node indices, for dense per-node arrays in queries.
    pub fn node_bound(&self) -> usize {
        use petgraph::visit::NodeIndexable;
        self.nodes.node_bound()
    }
}

#[cold]
fn unreachable_edge(id: EdgeId) -> ! {
    // An EdgeId is only handed out by `add_edge` and edges are never removed in place.
    unreachable!("edge {} does not belong to this graph", id.index())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{EdgeKind, Evidence};

    fn principal(key: &str, label: &str) -> Node {
        Node::new(NodeKind::Principal, "test", "user", key, label)
    }

    #[test]
    fn keys_are_unique() {
        let mut g = Graph::new();
        let a = g.add_node(principal("k1", "alice"));
        let b = g.add_node(principal("k1", "alice again"));
        assert_eq!(a, b);
        assert_eq!(g.node_count(), 1);
    }

    #[test]
    fn names_are_found_without_case() {
        let mut g = Graph::new();
        let a = g.add_node(principal("k1", "Alice"));
        g.add_alias(a, "alice.admin");
        assert_eq!(g.find_name("ALICE"), &[a]);
        assert_eq!(g.find_name("Alice.Admin"), &[a]);
        assert!(g.find_name("bob").is_empty());
    }

    #[test]
    fn names_answer_in_the_order_given_and_go_with_their_node() {
        let mut g = Graph::new();
        let a = g.add_node(principal("k1", "deploy"));
        let b = g.add_node(principal("k2", "user/b"));
        g.add_alias(b, "Deploy");
        g.add_alias(b, "DEPLOY");
        let c = g.add_node(principal("k3", "Deploy"));
        g.add_alias(a, "deploy");
        // Labels and aliases of one name, in the order given; an alias given twice once.
        assert_eq!(g.find_name("deploy"), &[a, b, c]);
        // A label that lower-cases beyond ASCII.
        let d = g.add_node(principal("k4", "user/ÄRGER"));
        assert_eq!(g.find_name("User/Ärger"), &[d]);
        assert_eq!(g.name_count(), 3);
        let mut names: Vec<String> = g.selector_candidates().map(|c| c.into_owned()).collect();
        names.sort();
        assert_eq!(
            names,
            ["deploy", "k1", "k2", "k3", "k4", "user/b", "user/ärger"]
        );

        g.remove_node(b);
        assert_eq!(g.find_name("deploy"), &[a, c]);
        assert!(g.find_name("user/b").is_empty());
        assert_eq!(g.find_key("k2"), None);
        // A node added after the removal may take its number; the old names stay gone.
        let e = g.add_node(principal("k5", "other"));
        assert!(g.find_name("deploy").iter().all(|&x| x != e));
        assert_eq!(g.find_key("k5"), Some(e));
        assert_eq!(g.find_key("k1"), Some(a));
    }

    #[test]
    fn out_edges_keep_insertion_order() {
        let mut g = Graph::new();
        let a = g.add_node(principal("a", "a"));
        let b = g.add_node(principal("b", "b"));
        let c = g.add_node(principal("c", "c"));
        g.add_edge(a, b, Edge::new(EdgeKind::MemberOf, Evidence::new("x")));
        g.add_edge(a, c, Edge::new(EdgeKind::MemberOf, Evidence::new("y")));
        let targets: Vec<_> = g.out_edges(a).map(|(_, t)| t).collect();
        assert_eq!(targets, vec![b, c]);
    }

    /// Edges added through a split graph are the graph's like any other: their evidence is
    /// shared, a journal records them, and the compact rows built before are dropped.
    #[test]
    fn edges_added_while_nodes_are_read_are_the_graphs() {
        let mut g = Graph::new();
        let a = g.add_node(principal("a", "a"));
        let b = g.add_node(principal("b", "b"));
        g.add_edge(a, b, Edge::new(EdgeKind::MemberOf, Evidence::new("x")));
        assert_eq!(g.compact().out_edges(a).count(), 1);
        g.start_journal();
        let (keys, mut sink) = g.split();
        assert_eq!(keys.find_key("b"), Some(b));
        assert_eq!(keys.find_key("c"), None);
        let added = sink.add_edge(b, a, Edge::new(EdgeKind::MemberOf, Evidence::new("x")));
        assert_eq!(
            g.compact().out_edges(b).count(),
            1,
            "the rows are built again"
        );
        assert_eq!(g.take_journal().edges, [added]);
        let first = g.out_edges(a).map(|(e, _)| e).next();
        assert!(first.is_some());
        let Some(first) = first else { return };
        assert!(std::ptr::eq(g.edge(first).evidence, g.edge(added).evidence));
        // A split that adds nothing leaves the rows as they were.
        let rows = std::ptr::from_ref(g.compact());
        let _ = g.split();
        assert!(std::ptr::eq(rows, g.compact()));
    }

    #[test]
    fn a_kept_edge_is_eight_bytes() {
        // Tens of millions of edges in an organisation's graph: each byte is tens of megabytes.
        assert_eq!(std::mem::size_of::<Slot>(), 8);
        assert_eq!(std::mem::size_of::<Option<Slot>>(), 8);
    }

    #[test]
    fn equal_evidence_is_one_allocation() {
        let mut g = Graph::new();
        let a = g.add_node(principal("a", "a"));
        let [b, c, d, e] = ["b", "c", "d", "e"].map(|k| g.add_node(principal(k, k)));
        // Made apart, from words allocated apart, as two decisions of the lowering make them.
        let evidence = || {
            let mut evidence = Evidence::new(String::from("technique"));
            evidence.rule = Some(String::from("rule").into());
            evidence.notes.push(String::from("note").into());
            evidence
        };
        let mut with_record = evidence();
        with_record
            .records
            .push(RecordRef::new("f", "/0", "key listing"));
        let mut with_limit = evidence();
        with_limit.session_max_secs = Some(3600);
        let ids = [
            (b, evidence()),
            (c, evidence()),
            (d, with_record),
            (e, with_limit),
        ]
        .map(|(to, ev)| g.add_edge(a, to, Edge::new(EdgeKind::EscalatesTo, ev)));
        let evidence_of = |i: usize| g.edge(ids[i]).evidence;
        assert!(std::ptr::eq(evidence_of(0), evidence_of(1)));
        assert!(
            !std::ptr::eq(evidence_of(0), evidence_of(2)),
            "a record tells it apart"
        );
        assert!(
            !std::ptr::eq(evidence_of(0), evidence_of(3)),
            "a session limit tells it apart"
        );
        assert_eq!(evidence_of(2).records.len(), 1);
        // Evidence told apart by its records alone hashes apart too: a user's keys each have
        // one, and a build must not put them all in one bucket.
        use std::hash::BuildHasher;
        let state = foldhash::fast::RandomState::default();
        let mut other = evidence_of(2).clone();
        other.records = vec![RecordRef::new("f", "/1", "key listing")].into();
        assert_ne!(
            state.hash_one(evidence_key(evidence_of(2))),
            state.hash_one(evidence_key(&other))
        );
        assert_eq!(evidence_of(3).session_max_secs, Some(3600));
    }
}
