//! The payload of an index: a built [`Analysis`] as bytes, and back.
//!
//! Layout (integers are LEB128 varints unless said otherwise; `str` is an index into the
//! string table, `opt str` is 0 for none or the index plus one):
//!
//! ```text
//! strings   count, then each: byte length, UTF-8 bytes       every distinct string once
//! citations count, then each: file, pointer, policy str,     every distinct statement
//!           sid opt str, effect str                          citation once
//! nodes     count, then each in node-id order:
//!           kind (u8), key str, provider str, class str, label str, account opt str,
//!           attrs: count, then (name str, value str)
//! names     count, then each: name str, count, node ids       the graph's selector names
//! edges     count, then each in edge-id order:
//!           source node, target node, kind (u8), reach (u8), evidence:
//!           mechanism str, rule opt str,
//!           statements: count, then citation numbers,
//!           records: count, then (file, pointer, what str),
//!           undecided: count, then (key, reason str),
//!           notes: count, then str,
//!           session limit (0 for none, seconds plus one)
//! missing   count, then each: source, reason, may-hide str
//! ```
//!
//! The graph is rebuilt through its public API, so node and edge ids come out as they were
//! only if they were dense; [`encode`] refuses a graph with removed nodes or edges, and
//! [`decode`] checks every id it gets back.

use crate::analysis::Analysis;
use crate::graph::{
    Citation, Edge, EdgeId, EdgeKind, EdgeView, Evidence, Graph, List, Node, NodeId, NodeKind,
    Reach, RecordRef, StatementRef, Text, Undecided,
};
use crate::snapshot::MissingSource;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Why a graph cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("the graph has removed nodes or edges: its ids would not survive a rebuild")]
    NotDense,
    #[error("the graph has more than 2^32 strings or statement citations")]
    TooManyStrings,
}

/// Why a payload is not an analysis. Every variant means the index is corrupt.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

fn corrupt<T>(what: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(what.into()))
}

/// The value made from string `i` of the table, made on its first use and shared after:
/// every reference to a string decodes to one allocation.
fn made_once<T: Clone>(
    strings: &[&str],
    made: &mut [Option<T>],
    i: usize,
    make: impl FnOnce(&str) -> T,
) -> Result<T, DecodeError> {
    let (Some(s), Some(slot)) = (strings.get(i), made.get_mut(i)) else {
        return corrupt(format!("string {i} is not in the table"));
    };
    Ok(slot.get_or_insert_with(|| make(s)).clone())
}

pub fn encode(analysis: &Analysis) -> Result<Vec<u8>, EncodeError> {
    let graph = &analysis.graph;
    let mut w = Writer::default();

    let nodes: Vec<NodeId> = graph.node_ids().collect();
    if nodes.iter().enumerate().any(|(i, id)| id.index() != i) {
        return Err(EncodeError::NotDense);
    }
    w.len(nodes.len());
    for &id in &nodes {
        w.node(graph.node(id))?;
    }

    let names = names_of(graph);
    w.len(names.len());
    for (name, ids) in &names {
        w.str(name)?;
        w.len(ids.len());
        for &id in ids {
            w.len(id);
        }
    }

    if graph.edge_bound() != graph.edge_count() {
        return Err(EncodeError::NotDense);
    }
    w.len(graph.edge_count());
    for (e, from, to, _) in graph.edge_entries() {
        w.len(from.index());
        w.len(to.index());
        w.edge(graph.edge(e))?;
    }

    w.len(analysis.missing.len());
    for m in &analysis.missing {
        let MissingSource {
            source,
            reason,
            may_hide,
        } = m;
        w.str(source)?;
        w.str(reason)?;
        w.str(may_hide)?;
    }

    Ok(w.finish())
}

/// Every selector name of the graph with the nodes bearing it, in the order the graph keeps
/// them (the order `find_name` answers in). The graph offers its names only mixed with its
/// keys, so each candidate is asked back; names are lower-case already.
fn names_of(graph: &Graph) -> BTreeMap<String, Vec<usize>> {
    let mut out = BTreeMap::new();
    for candidate in graph.selector_candidates() {
        let name = candidate.to_lowercase();
        if out.contains_key(&name) {
            continue;
        }
        let ids = graph.find_name(&name);
        if !ids.is_empty() {
            out.insert(name, ids.iter().map(|id| id.index()).collect());
        }
    }
    out
}

/// Writes the body while collecting the string table, which goes first, and the table of
/// statement citations, which follows it.
#[derive(Default)]
struct Writer<'a> {
    body: Vec<u8>,
    strings: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
    /// The citation table: its entries, and each citation's number.
    citations: Vec<u8>,
    citation_count: u32,
    citation_index: HashMap<&'a Citation, u32>,
}

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

impl<'a> Writer<'a> {
    fn len(&mut self, n: usize) {
        varint(&mut self.body, n as u64);
    }

    fn byte(&mut self, b: u8) {
        self.body.push(b);
    }

    fn str_id(&mut self, s: &'a str) -> Result<u64, EncodeError> {
        if let Some(&i) = self.index.get(s) {
            return Ok(u64::from(i));
        }
        let i = u32::try_from(self.strings.len()).map_err(|_| EncodeError::TooManyStrings)?;
        self.strings.push(s);
        self.index.insert(s, i);
        Ok(u64::from(i))
    }

    fn str(&mut self, s: &'a str) -> Result<(), EncodeError> {
        let i = self.str_id(s)?;
        varint(&mut self.body, i);
        Ok(())
    }

    fn opt_str(&mut self, s: Option<&'a str>) -> Result<(), EncodeError> {
        let v = match s {
            Some(s) => self.str_id(s)? + 1,
            None => 0,
        };
        varint(&mut self.body, v);
        Ok(())
    }

    fn node(&mut self, node: &'a Node) -> Result<(), EncodeError> {
        let Node {
            kind,
            key,
            provider,
            class,
            label,
            account,
            attrs,
        } = node;
        self.byte(node_kind_code(*kind));
        self.str(key)?;
        self.str(provider)?;
        self.str(class)?;
        self.str(label)?;
        self.opt_str(account.as_deref())?;
        self.len(attrs.len());
        for (name, value) in attrs.iter() {
            self.str(name)?;
            self.str(value)?;
        }
        Ok(())
    }

    fn edge(&mut self, edge: EdgeView<'a>) -> Result<(), EncodeError> {
        let EdgeView {
            kind,
            reach,
            evidence,
        } = edge;
        self.byte(edge_kind_code(kind));
        self.byte(match reach {
            Reach::Definite => 0,
            Reach::Conditional => 1,
        });
        let Evidence {
            mechanism,
            rule,
            statements,
            records,
            undecided,
            notes,
            session_max_secs,
        } = evidence;
        self.str(mechanism)?;
        self.opt_str(rule.as_deref())?;
        self.len(statements.len());
        for s in statements {
            let i = self.citation(s)?;
            varint(&mut self.body, u64::from(i));
        }
        self.len(records.len());
        for r in records {
            let RecordRef {
                file,
                pointer,
                what,
            } = r;
            self.str(file)?;
            self.str(pointer)?;
            self.str(what)?;
        }
        self.len(undecided.len());
        for u in undecided {
            let Undecided { key, reason } = u;
            self.str(key)?;
            self.str(reason)?;
        }
        self.len(notes.len());
        for n in notes {
            self.str(n)?;
        }
        varint(
            &mut self.body,
            session_max_secs.map_or(0, |s| u64::from(s) + 1),
        );
        Ok(())
    }

    /// The number of a statement citation in the table, adding it when it is new.
    fn citation(&mut self, s: &'a Citation) -> Result<u32, EncodeError> {
        if let Some(&i) = self.citation_index.get(s) {
            return Ok(i);
        }
        let Citation {
            file,
            pointer,
            policy,
            sid,
            effect,
        } = s;
        let ids = [
            self.str_id(file)?,
            self.str_id(pointer)?,
            self.str_id(policy)?,
            match sid {
                Some(sid) => self.str_id(sid)? + 1,
                None => 0,
            },
            self.str_id(effect)?,
        ];
        for id in ids {
            varint(&mut self.citations, id);
        }
        let i = self.citation_count;
        self.citation_count = i.checked_add(1).ok_or(EncodeError::TooManyStrings)?;
        self.citation_index.insert(s, i);
        Ok(i)
    }

    fn finish(self) -> Vec<u8> {
        let table: usize = self.strings.iter().map(|s| s.len() + 2).sum();
        let mut out = Vec::with_capacity(table + self.citations.len() + self.body.len() + 16);
        varint(&mut out, self.strings.len() as u64);
        for s in &self.strings {
            varint(&mut out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        varint(&mut out, u64::from(self.citation_count));
        out.extend_from_slice(&self.citations);
        out.extend_from_slice(&self.body);
        out
    }
}

fn node_kind_code(kind: NodeKind) -> u8 {
    match kind {
        NodeKind::Credential => 0,
        NodeKind::Principal => 1,
        NodeKind::Session => 2,
        NodeKind::Permission => 3,
        NodeKind::Resource => 4,
        NodeKind::AccountControl => 5,
    }
}

fn node_kind(code: u8) -> Result<NodeKind, DecodeError> {
    Ok(match code {
        0 => NodeKind::Credential,
        1 => NodeKind::Principal,
        2 => NodeKind::Session,
        3 => NodeKind::Permission,
        4 => NodeKind::Resource,
        5 => NodeKind::AccountControl,
        _ => return corrupt(format!("unknown node kind {code}")),
    })
}

fn edge_kind_code(kind: EdgeKind) -> u8 {
    match kind {
        EdgeKind::AuthenticatesAs => 0,
        EdgeKind::MemberOf => 1,
        EdgeKind::Assumes => 2,
        EdgeKind::Mints => 3,
        EdgeKind::ActsAs => 4,
        EdgeKind::ExchangedFor => 5,
        EdgeKind::Granted => 6,
        EdgeKind::Administers => 7,
        EdgeKind::Controls => 8,
        EdgeKind::CreatesCredentialFor => 9,
        EdgeKind::EscalatesTo => 10,
        EdgeKind::Stores => 11,
        EdgeKind::Accesses => 12,
    }
}

fn edge_kind(code: u8) -> Result<EdgeKind, DecodeError> {
    Ok(match code {
        0 => EdgeKind::AuthenticatesAs,
        1 => EdgeKind::MemberOf,
        2 => EdgeKind::Assumes,
        3 => EdgeKind::Mints,
        4 => EdgeKind::ActsAs,
        5 => EdgeKind::ExchangedFor,
        6 => EdgeKind::Granted,
        7 => EdgeKind::Administers,
        8 => EdgeKind::Controls,
        9 => EdgeKind::CreatesCredentialFor,
        10 => EdgeKind::EscalatesTo,
        11 => EdgeKind::Stores,
        12 => EdgeKind::Accesses,
        _ => return corrupt(format!("unknown edge kind {code}")),
    })
}

/// Strings the graph types hold as `&'static str` (provider, class, attribute names, statement
/// effects). The lowering writes them as literals; a decoded index can only hand out leaked
/// copies. They are few and the same in every index, so each distinct one is leaked once per
/// process, and a payload that would need more than [`STATIC_LIMIT`] is refused.
static STATICS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
const STATIC_LIMIT: usize = 4096;

fn intern(s: &str) -> Result<&'static str, DecodeError> {
    let mut set = STATICS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&found) = set.get(s) {
        return Ok(found);
    }
    if set.len() >= STATIC_LIMIT {
        return corrupt("too many distinct provider, class, attribute or effect names");
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(leaked);
    Ok(leaked)
}

/// The lists an index's edges hold, by their bytes in the payload.
type Seen<'a, T> = HashMap<&'a [u8], List<T>, foldhash::fast::RandomState>;

#[derive(Default)]
struct Lists<'a> {
    statements: Seen<'a, StatementRef>,
    records: Seen<'a, RecordRef>,
    undecided: Seen<'a, Undecided>,
    notes: Seen<'a, Text>,
    /// The first edge of each evidence's bytes: a later edge with equal bytes takes that
    /// edge's evidence, shared as the build shares it, without decoding or looking it up.
    evidence: HashMap<&'a [u8], EdgeId, foldhash::fast::RandomState>,
}

/// An edge as read: with evidence not seen before, or with that of an earlier edge.
enum ReadEdge<'a> {
    New(Edge, &'a [u8]),
    Like(EdgeKind, Reach, EdgeId),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    strings: Vec<&'a str>,
    statics: Vec<Option<&'static str>>,
    /// Strings evidence shares (statement files, pointers, policy names), made once each as
    /// the build shares them.
    shared: Vec<Option<Arc<str>>>,
    /// Evidence texts (mechanisms, rules, conditions, notes), made once each: the graph
    /// shares them between edges as a build does.
    texts: Vec<Option<Text>>,
    /// The citation table: every edge citing a statement shares its entry.
    citations: Vec<StatementRef>,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => corrupt("payload ends early"),
        }
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return corrupt("integer overflows");
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        corrupt("integer overflows")
    }

    fn usize(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(self.varint()?).or_else(|_| corrupt("integer overflows"))
    }

    /// A count of items taking at least `min_bytes` each: more than the rest of the payload
    /// could hold is corrupt (and would otherwise allocate without bound).
    fn count(&mut self, min_bytes: usize) -> Result<usize, DecodeError> {
        let n = self.usize()?;
        if n.saturating_mul(min_bytes.max(1)) > self.remaining() {
            return corrupt("a count exceeds the payload");
        }
        Ok(n)
    }

    fn read_citations(&mut self) -> Result<(), DecodeError> {
        let n = self.count(5)?;
        let mut citations = Vec::with_capacity(n);
        for _ in 0..n {
            citations.push(StatementRef::new(Citation {
                file: self.shared()?,
                pointer: self.shared()?,
                policy: self.shared()?,
                sid: self.opt_shared()?,
                effect: self.static_str()?,
            }));
        }
        self.citations = citations;
        Ok(())
    }

    fn citation(&mut self) -> Result<StatementRef, DecodeError> {
        let i = self.usize()?;
        match self.citations.get(i) {
            Some(found) => Ok(found.clone()),
            None => corrupt(format!("citation {i} is not in the table")),
        }
    }

    fn read_table(&mut self) -> Result<(), DecodeError> {
        let n = self.count(1)?;
        let mut strings = Vec::with_capacity(n);
        for _ in 0..n {
            let len = self.usize()?;
            let end = self
                .pos
                .checked_add(len)
                .filter(|&end| end <= self.buf.len());
            let Some(end) = end else {
                return corrupt("a string runs past the payload");
            };
            let s = std::str::from_utf8(&self.buf[self.pos..end])
                .or_else(|_| corrupt("a string is not UTF-8"))?;
            strings.push(s);
            self.pos = end;
        }
        self.statics = vec![None; strings.len()];
        self.shared = vec![None; strings.len()];
        self.texts = vec![None; strings.len()];
        self.strings = strings;
        Ok(())
    }

    fn str_ref(&mut self) -> Result<&'a str, DecodeError> {
        let i = self.usize()?;
        match self.strings.get(i) {
            Some(s) => Ok(s),
            None => corrupt(format!("string {i} is not in the table")),
        }
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        Ok(self.str_ref()?.to_owned())
    }

    fn shared(&mut self) -> Result<Arc<str>, DecodeError> {
        let i = self.usize()?;
        self.shared_at(i)
    }

    fn opt_shared(&mut self) -> Result<Option<Arc<str>>, DecodeError> {
        match self.usize()? {
            0 => Ok(None),
            i => self.shared_at(i - 1).map(Some),
        }
    }

    fn shared_at(&mut self, i: usize) -> Result<Arc<str>, DecodeError> {
        made_once(&self.strings, &mut self.shared, i, |s| Arc::from(s))
    }

    fn text(&mut self) -> Result<Text, DecodeError> {
        let i = self.usize()?;
        self.text_at(i)
    }

    fn opt_text(&mut self) -> Result<Option<Text>, DecodeError> {
        match self.usize()? {
            0 => Ok(None),
            i => self.text_at(i - 1).map(Some),
        }
    }

    fn text_at(&mut self, i: usize) -> Result<Text, DecodeError> {
        made_once(&self.strings, &mut self.texts, i, |s| Text::from(s))
    }

    fn opt_string(&mut self) -> Result<Option<String>, DecodeError> {
        match self.usize()? {
            0 => Ok(None),
            i => match self.strings.get(i - 1) {
                Some(s) => Ok(Some((*s).to_owned())),
                None => corrupt(format!("string {} is not in the table", i - 1)),
            },
        }
    }

    fn static_str(&mut self) -> Result<&'static str, DecodeError> {
        let i = self.usize()?;
        let Some(s) = self.strings.get(i) else {
            return corrupt(format!("string {i} is not in the table"));
        };
        if let Some(Some(found)) = self.statics.get(i) {
            return Ok(found);
        }
        let found = intern(s)?;
        self.statics[i] = Some(found);
        Ok(found)
    }

    fn node(&mut self) -> Result<Node, DecodeError> {
        let kind = node_kind(self.byte()?)?;
        let key = self.string()?;
        let provider = self.static_str()?;
        let class = self.static_str()?;
        let label = self.string()?;
        let account = self.opt_string()?;
        let mut attrs = crate::graph::Attrs::default();
        for _ in 0..self.count(2)? {
            let name = self.static_str()?;
            let value = self.string()?;
            attrs.insert(name, value);
        }
        Ok(Node {
            kind,
            key,
            provider,
            class,
            label,
            account: account.map(Arc::from),
            attrs,
        })
    }

    /// The bytes of the list starting here, of `per_item` integers per item, without
    /// reading past them.
    fn list_bytes(&self, per_item: usize) -> Result<&'a [u8], DecodeError> {
        let mut at = self.pos;
        skip_list(self.buf, &mut at, per_item)?;
        Ok(&self.buf[self.pos..at])
    }

    /// The bytes of the edge evidence starting here (see the layout above), without reading
    /// past them or decoding them.
    fn evidence_bytes(&self) -> Result<&'a [u8], DecodeError> {
        let buf = self.buf;
        let mut at = self.pos;
        skip_varint(buf, &mut at)?; // mechanism
        skip_varint(buf, &mut at)?; // rule
        for per_item in [1, 3, 2, 1] {
            // statements, records, undecided, notes
            skip_list(buf, &mut at, per_item)?;
        }
        skip_varint(buf, &mut at)?; // session limit
        Ok(&buf[self.pos..at])
    }

    /// A list of the evidence, the same list as every earlier edge's with the same bytes:
    /// equal bytes name equal items, so edges share lists as a build makes them share.
    fn list<T>(
        &mut self,
        seen: &mut Seen<'a, T>,
        per_item: usize,
        item: impl Fn(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<List<T>, DecodeError> {
        let bytes = self.list_bytes(per_item)?;
        if let Some(found) = seen.get(bytes) {
            self.pos += bytes.len();
            return Ok(found.clone());
        }
        let n = self.count(per_item)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(item(self)?);
        }
        let list = List::from(items);
        if n > 0 {
            seen.insert(bytes, list.clone());
        }
        Ok(list)
    }

    fn edge(&mut self, lists: &mut Lists<'a>) -> Result<ReadEdge<'a>, DecodeError> {
        let kind = edge_kind(self.byte()?)?;
        let reach = match self.byte()? {
            0 => Reach::Definite,
            1 => Reach::Conditional,
            other => return corrupt(format!("unknown reach {other}")),
        };
        // Most edges repeat an earlier edge's evidence: equal bytes are found before decoding.
        let bytes = self.evidence_bytes()?;
        if let Some(&like) = lists.evidence.get(bytes) {
            self.pos += bytes.len();
            return Ok(ReadEdge::Like(kind, reach, like));
        }
        let mechanism = self.text()?;
        let rule = self.opt_text()?;
        let statements = self.list(&mut lists.statements, 1, |r| r.citation())?;
        let records = self.list(&mut lists.records, 3, |r| {
            Ok(RecordRef {
                file: r.string()?,
                pointer: r.string()?,
                what: r.string()?,
            })
        })?;
        let undecided = self.list(&mut lists.undecided, 2, |r| {
            Ok(Undecided {
                key: r.text()?,
                reason: r.text()?,
            })
        })?;
        let notes = self.list(&mut lists.notes, 1, |r| r.text())?;
        let session_max_secs = match self.varint()? {
            0 => None,
            v => Some(u32::try_from(v - 1).or_else(|_| corrupt("session limit overflows"))?),
        };
        let evidence = Evidence {
            mechanism,
            rule,
            statements,
            records,
            undecided,
            notes,
            session_max_secs,
        };
        let edge = Edge {
            kind,
            reach,
            evidence: Arc::new(evidence),
        };
        Ok(ReadEdge::New(edge, bytes))
    }
}

/// Moves `at` past the integer there.
fn skip_varint(buf: &[u8], at: &mut usize) -> Result<u64, DecodeError> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let Some(&b) = buf.get(*at) else {
            return corrupt("payload ends early");
        };
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    corrupt("integer overflows")
}

/// Moves `at` past the list there, of `per_item` integers per item.
fn skip_list(buf: &[u8], at: &mut usize, per_item: usize) -> Result<(), DecodeError> {
    let n = skip_varint(buf, at)?;
    let integers = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(per_item))
        .filter(|&k| k <= buf.len() - *at);
    let Some(integers) = integers else {
        return corrupt("a count exceeds the payload");
    };
    for _ in 0..integers {
        skip_varint(buf, at)?;
    }
    Ok(())
}

pub fn decode(payload: &[u8]) -> Result<Analysis, DecodeError> {
    let mut r = Reader {
        buf: payload,
        pos: 0,
        strings: Vec::new(),
        statics: Vec::new(),
        shared: Vec::new(),
        texts: Vec::new(),
        citations: Vec::new(),
    };
    r.read_table()?;
    r.read_citations()?;

    let n = r.count(7)?;
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        nodes.push(r.node()?);
    }

    let n = r.count(2)?;
    let mut names: Vec<(&str, Vec<usize>)> = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str_ref()?;
        let k = r.count(1)?;
        let mut ids = Vec::with_capacity(k);
        for _ in 0..k {
            let id = r.usize()?;
            if id >= nodes.len() {
                return corrupt("a name refers to a node that does not exist");
            }
            ids.push(id);
        }
        names.push((name, ids));
    }
    let (mut graph, ids) = rebuild_nodes(nodes, &names)?;

    // Edges go straight into the graph: no second copy of the largest part.
    let n = r.count(12)?;
    graph.reserve_edges(n);
    let mut lists = Lists::default();
    for i in 0..n {
        let from = r.usize()?;
        let to = r.usize()?;
        let (Some(&from), Some(&to)) = (ids.get(from), ids.get(to)) else {
            return corrupt("an edge names a node that does not exist");
        };
        let id = match r.edge(&mut lists)? {
            ReadEdge::New(edge, bytes) => {
                let id = graph.add_shared_edge(from, to, edge);
                lists.evidence.insert(bytes, id);
                id
            }
            ReadEdge::Like(kind, reach, like) => graph.add_edge_like(from, to, kind, reach, like),
        };
        if id.index() != i {
            return corrupt("edge ids do not come back as they were");
        }
    }

    let n = r.count(3)?;
    let mut missing = Vec::with_capacity(n);
    for _ in 0..n {
        missing.push(MissingSource::new(r.string()?, r.string()?, r.string()?));
    }
    if r.remaining() != 0 {
        return corrupt("bytes after the end of the payload");
    }

    // Every name of the index bears the same nodes in the same order, and the graph has no
    // other name.
    let same = graph.name_count() == names.len()
        && names.iter().all(|(name, list)| {
            let found = graph.find_name(name);
            found.len() == list.len() && found.iter().zip(list).all(|(id, &i)| id.index() == i)
        });
    if !same {
        return corrupt("the rebuilt graph's names differ from the index");
    }
    Ok(Analysis { graph, missing })
}

/// Adds the nodes and names back in the order that gives every node and every name's list of
/// nodes the id and order they had.
///
/// `add_node` files a node under its lower-cased label at once; other names come from
/// `add_alias`, which the lowering may have called before a later node with that label was
/// added. So before each node goes in, the names its label starts are brought up to the
/// node's place in their list, and the rest of every list is added at the end.
fn rebuild_nodes(
    nodes: Vec<Node>,
    names: &[(&str, Vec<usize>)],
) -> Result<(Graph, Vec<NodeId>), DecodeError> {
    let mut graph = Graph::new();
    let mut ids: Vec<NodeId> = Vec::with_capacity(nodes.len());
    let mut cursor: HashMap<&str, (usize, &[usize])> = names
        .iter()
        .map(|(name, list)| (*name, (0, list.as_slice())))
        .collect();
    for (i, node) in nodes.into_iter().enumerate() {
        let label = node.label.to_lowercase();
        if let Some((at, list)) = cursor.get_mut(label.as_str()) {
            while *at < list.len() && list[*at] != i {
                alias(&mut graph, &ids, list[*at], &label)?;
                *at += 1;
            }
            if *at == list.len() {
                return corrupt("a node is missing from the list of its label");
            }
            *at += 1;
        } else {
            return corrupt("a node's label is not among the names");
        }
        let id = graph.add_node(node);
        if id.index() != i {
            return corrupt("node ids do not come back as they were (a repeated key?)");
        }
        ids.push(id);
    }
    for (name, list) in names {
        let at = cursor.get(name).map_or(0, |(at, _)| *at);
        for &node in &list[at..] {
            alias(&mut graph, &ids, node, name)?;
        }
    }
    Ok((graph, ids))
}

fn alias(graph: &mut Graph, ids: &[NodeId], node: usize, name: &str) -> Result<(), DecodeError> {
    match ids.get(node) {
        Some(&id) => {
            graph.add_alias(id, name);
            Ok(())
        }
        None => corrupt("a name is given to a node before the node exists"),
    }
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::rules::RuleSet;
    use crate::snapshot::Snapshot;
    use std::path::Path;

    pub(crate) fn assert_same(a: &Analysis, b: &Analysis) {
        let (ga, gb) = (&a.graph, &b.graph);
        assert_eq!(ga.node_count(), gb.node_count());
        assert_eq!(ga.edge_count(), gb.edge_count());
        for (x, y) in ga.node_ids().zip(gb.node_ids()) {
            assert_eq!(x, y);
            assert_eq!(ga.node(x), gb.node(y));
            assert_eq!(ga.find_key(&ga.node(x).key), Some(x));
            assert_eq!(gb.find_key(&gb.node(y).key), Some(y));
            let out_a: Vec<_> = ga.out_edges(x).collect();
            let out_b: Vec<_> = gb.out_edges(y).collect();
            assert_eq!(out_a, out_b);
            for (e, _) in out_a {
                assert_eq!(ga.edge(e), gb.edge(e));
                assert_eq!(ga.endpoints(e), gb.endpoints(e));
            }
            let in_a: Vec<_> = ga.in_edges(x).collect();
            let in_b: Vec<_> = gb.in_edges(y).collect();
            assert_eq!(in_a, in_b);
        }
        assert_eq!(names_of(ga), names_of(gb));
        let mut ca: Vec<_> = ga.selector_candidates().collect();
        let mut cb: Vec<_> = gb.selector_candidates().collect();
        ca.sort_unstable();
        cb.sort_unstable();
        assert_eq!(ca, cb);
        assert_eq!(a.missing, b.missing);
    }

    fn example(name: &str) -> Analysis {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        let snapshot = Snapshot::open(&path).unwrap();
        crate::analysis::build(&snapshot, &RuleSet::builtin().unwrap())
    }

    #[test]
    fn examples_round_trip() {
        for name in ["acme", "acme-org", "iam-vulnerable"] {
            let built = example(name);
            assert!(built.graph.edge_count() > 0, "{name}");
            let bytes = encode(&built).unwrap();
            let decoded = decode(&bytes).unwrap();
            assert_same(&built, &decoded);
            // Deterministic: the same graph gives the same bytes.
            assert_eq!(encode(&decoded).unwrap(), bytes, "{name}");
        }
    }

    fn node(key: &str, label: &str) -> Node {
        Node::new(NodeKind::Principal, "test", "user", key, label)
            .with_attr("user_id", "AIDAEXAMPLE")
            .in_account("111122223333")
    }

    #[test]
    fn name_order_survives_aliases_added_before_a_later_label() {
        let mut g = Graph::new();
        let a = g.add_node(node("k1", "user/a"));
        g.add_alias(a, "deploy");
        let b = g.add_node(node("k2", "deploy"));
        g.add_alias(b, "user/a");
        let c = g.add_node(node("k3", "c"));
        g.add_alias(c, "deploy");
        let mut evidence = Evidence::new("test");
        evidence.rule = Some("r".into());
        evidence.session_max_secs = Some(3600);
        evidence.undecided.push(Undecided {
            key: "aws:SourceIp".into(),
            reason: "unknown".into(),
        });
        evidence.statements.push(StatementRef::new(Citation {
            file: "f".into(),
            pointer: "/0".into(),
            policy: "p".into(),
            sid: None,
            effect: "allow",
        }));
        g.add_edge(a, b, Edge::new(EdgeKind::Assumes, evidence));
        g.add_edge(b, c, Edge::new(EdgeKind::EscalatesTo, Evidence::new("x")));
        let analysis = Analysis {
            graph: g,
            missing: vec![MissingSource::new("s", "r", "h")],
        };
        let decoded = decode(&encode(&analysis).unwrap()).unwrap();
        assert_same(&analysis, &decoded);
        assert_eq!(decoded.graph.find_name("deploy"), &[a, b, c]);
        assert_eq!(decoded.graph.find_name("user/a"), &[a, b]);
    }

    #[test]
    fn decoded_edges_share_citations_and_texts() {
        let built = example("acme-org");
        let decoded = decode(&encode(&built).unwrap()).unwrap();
        let g = &decoded.graph;
        let edges: Vec<_> = g
            .node_ids()
            .flat_map(|n| g.out_edges(n).map(|(e, _)| g.edge(e)))
            .collect();
        // Equal citations and equal texts are one allocation each, as after a build.
        let mut citations: HashMap<&Citation, *const Citation> = HashMap::new();
        let mut texts: HashMap<&str, usize> = HashMap::new();
        let mut evidence: Vec<&Evidence> = Vec::new();
        let mut shared = 0;
        for edge in &edges {
            match evidence.iter().find(|e| **e == edge.evidence) {
                Some(first) => assert!(std::ptr::eq(*first, edge.evidence)),
                None => evidence.push(edge.evidence),
            }
            for s in &edge.evidence.statements {
                let at: *const Citation = &**s;
                let first = *citations.entry(&**s).or_insert(at);
                assert_eq!(first, at);
                shared += 1;
            }
            for t in edge.evidence.undecided.iter().map(|u| &u.reason) {
                assert_eq!(*texts.entry(t).or_insert(t.address()), t.address());
            }
            let m = &edge.evidence.mechanism;
            assert_eq!(*texts.entry(m).or_insert(m.address()), m.address());
        }
        assert!(shared > citations.len(), "no citation is cited twice");
        assert!(
            edges.len() > evidence.len(),
            "no two edges have equal evidence"
        );
    }

    #[test]
    fn every_kind_round_trips() {
        for code in 0..=u8::MAX {
            if let Ok(kind) = node_kind(code) {
                assert_eq!(node_kind_code(kind), code);
            }
            if let Ok(kind) = edge_kind(code) {
                assert_eq!(edge_kind_code(kind), code);
            }
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let bytes = encode(&example("acme")).unwrap();
        // Every truncation, and a flipped byte at many places: decoding never panics, and a
        // payload that decodes is the whole payload.
        for end in (0..bytes.len()).step_by(7) {
            assert!(decode(&bytes[..end]).is_err(), "truncated at {end}");
        }
        for at in (0..bytes.len()).step_by(13) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x5a;
            let _ = decode(&flipped);
        }
        assert!(decode(&[0xff; 16]).is_err());
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn a_graph_with_holes_is_refused() {
        let mut g = Graph::new();
        let a = g.add_node(node("k1", "a"));
        let b = g.add_node(node("k2", "b"));
        g.remove_node(a);
        let _ = b;
        let analysis = Analysis {
            graph: g,
            missing: Vec::new(),
        };
        assert!(matches!(encode(&analysis), Err(EncodeError::NotDense)));
    }
}
