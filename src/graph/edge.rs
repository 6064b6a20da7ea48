use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// How reach flows along an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// A credential authenticates as a principal.
    AuthenticatesAs,
    /// A principal is a member of a group.
    MemberOf,
    /// A principal can assume a role: the edge leads to the role's session.
    Assumes,
    /// A principal can mint a session of its own (session token, federation token).
    Mints,
    /// A session acts as its principal.
    ActsAs,
    /// An external token is exchanged for a principal's session (OIDC, SAML, federation).
    ExchangedFor,
    /// A principal is granted a permission.
    Granted,
    /// A principal holds administrator-equivalent control of an account.
    Administers,
    /// Control of an account reaches every principal in it.
    Controls,
    /// A principal can create a credential for another principal.
    CreatesCredentialFor,
    /// A principal can escalate to another through a technique named in the evidence.
    EscalatesTo,
    /// A resource stores a credential.
    Stores,
    /// A principal may act on a resource (the actions are in the evidence).
    Accesses,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::AuthenticatesAs => "authenticates_as",
            EdgeKind::MemberOf => "member_of",
            EdgeKind::Assumes => "assumes",
            EdgeKind::Mints => "mints",
            EdgeKind::ActsAs => "acts_as",
            EdgeKind::ExchangedFor => "exchanged_for",
            EdgeKind::Granted => "granted",
            EdgeKind::Administers => "administers",
            EdgeKind::Controls => "controls",
            EdgeKind::CreatesCredentialFor => "creates_credential_for",
            EdgeKind::EscalatesTo => "escalates_to",
            EdgeKind::Stores => "stores",
            EdgeKind::Accesses => "accesses",
        }
    }

    /// Words for a person reading a path.
    pub fn phrase(self) -> &'static str {
        match self {
            EdgeKind::AuthenticatesAs => "authenticates as",
            EdgeKind::MemberOf => "is a member of",
            EdgeKind::Assumes => "assumes",
            EdgeKind::Mints => "mints",
            EdgeKind::ActsAs => "acts as",
            EdgeKind::ExchangedFor => "is exchanged for",
            EdgeKind::Granted => "is granted",
            EdgeKind::Administers => "administers",
            EdgeKind::Controls => "controls",
            EdgeKind::CreatesCredentialFor => "creates a credential for",
            EdgeKind::EscalatesTo => "escalates to",
            EdgeKind::Stores => "stores",
            EdgeKind::Accesses => "can act on",
        }
    }
}

/// Whether an edge holds whatever the request context is, or only under conditions the
/// analyzer could not decide. The order matters: `Definite < Conditional`, so the weaker of two
/// is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    Definite,
    Conditional,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Definite => "definite",
            Reach::Conditional => "conditional",
        }
    }

    /// The weaker of two: a path is only as definite as its least definite edge.
    pub fn and(self, other: Reach) -> Reach {
        self.max(other)
    }
}

/// Text of evidence: immutable and cheap to clone. The same mechanism, condition, reason or
/// note recurs on thousands of edges (one technique to every role of an account, one
/// undecided condition key on every edge a policy allows); [`crate::graph::Graph::add_edge`]
/// makes equal texts share one allocation, and the index decodes each distinct string once.
///
/// One pointer wide (the string sits behind the shared allocation): every edge holds a
/// mechanism and most a rule id, and a built graph holds millions of edges.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(Arc<String>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the text's shared allocation is: equal for clones of one text.
    pub(crate) fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl From<String> for Text {
    fn from(mut s: String) -> Self {
        s.shrink_to_fit();
        Text(Arc::new(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(Arc::new(s.as_str().to_owned()))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Arc::new(s.to_owned()))
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text::from(&*s)
    }
}

impl From<&Text> for Text {
    fn from(s: &Text) -> Self {
        s.clone()
    }
}

impl From<Text> for String {
    fn from(s: Text) -> Self {
        Arc::unwrap_or_clone(s.0)
    }
}

impl From<&Text> for String {
    fn from(s: &Text) -> Self {
        s.0.as_str().to_owned()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A list of evidence items: one pointer where a `Vec` takes three, no allocation when
/// empty, no spare capacity, and cheap to clone, so that edges with the same conditions,
/// notes or citations share one list ([`crate::graph::Graph::add_edge`] and the index make
/// them share). Most edges carry none or one item of each kind, and a built graph holds
/// millions of edges. Reads as a slice; a push copies the items into a new list, which is
/// cheap for the few an edge has.
pub struct List<T>(Option<Arc<Vec<T>>>);

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        List(self.0.clone())
    }
}

impl<T> List<T> {
    pub fn new() -> Self {
        List(None)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn slice(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Where the list's shared allocation is (0 when empty): equal for clones of one list.
    pub(crate) fn address(&self) -> usize {
        self.0
            .as_ref()
            .map_or(0, |items| Arc::as_ptr(items) as usize)
    }
}

impl<T: Clone> List<T> {
    pub fn push(&mut self, item: T) {
        self.extend(std::iter::once(item));
    }

    /// Removes consecutive repeated items, as [`Vec::dedup`].
    pub fn dedup(&mut self)
    where
        T: PartialEq,
    {
        if self.slice().windows(2).any(|w| w[0] == w[1]) {
            let mut items = self.slice().to_vec();
            items.dedup();
            *self = List::from(items);
        }
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.slice()
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(mut items: Vec<T>) -> Self {
        if items.is_empty() {
            List(None)
        } else {
            items.shrink_to_fit();
            List(Some(Arc::new(items)))
        }
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        List::from(items.into_iter().collect::<Vec<T>>())
    }
}

impl<T: Clone> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            return;
        }
        let mut all = self.slice().to_vec();
        all.extend(items);
        *self = List::from(all);
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.slice().iter()
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &List<T>) -> bool {
        self.slice() == other.slice()
    }
}

impl<T: Eq> Eq for List<T> {}

impl<T: std::hash::Hash> std::hash::Hash for List<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.slice().hash(state);
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.slice()).finish()
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.slice().serialize(serializer)
    }
}

/// A policy statement that took part in a decision: the snapshot file, a JSON pointer to the
/// statement inside it, and the policy's name. Made once per statement when its policy is
/// parsed; every decision and edge citing the statement holds the same [`Citation`], one
/// pointer wide.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StatementRef(Arc<Citation>);

/// What a [`StatementRef`] cites; its fields are read through the reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Citation {
    pub file: Arc<str>,
    pub pointer: Arc<str>,
    pub policy: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    /// `allow` or `deny`.
    pub effect: &'static str,
}

impl StatementRef {
    pub fn new(citation: Citation) -> Self {
        StatementRef(Arc::new(citation))
    }

    /// Where the citation is: equal for references to one citation.
    pub(crate) fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

impl From<Citation> for StatementRef {
    fn from(citation: Citation) -> Self {
        StatementRef::new(citation)
    }
}

impl std::ops::Deref for StatementRef {
    type Target = Citation;
    fn deref(&self) -> &Citation {
        &self.0
    }
}

impl fmt::Debug for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Citation {
            file,
            pointer,
            policy,
            sid,
            effect,
        } = &*self.0;
        f.debug_struct("StatementRef")
            .field("file", file)
            .field("pointer", pointer)
            .field("policy", policy)
            .field("sid", sid)
            .field("effect", effect)
            .finish()
    }
}

/// A non-policy record that supports an edge: a key listing, a group list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RecordRef {
    pub file: String,
    pub pointer: String,
    pub what: String,
}

impl RecordRef {
    pub fn new(
        file: impl Into<String>,
        pointer: impl Into<String>,
        what: impl Into<String>,
    ) -> Self {
        RecordRef {
            file: file.into(),
            pointer: pointer.into(),
            what: what.into(),
        }
    }
}

/// A condition the analyzer could not decide, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Undecided {
    /// The condition key (`sts:ExternalId`) or element that decides it.
    pub key: Text,
    /// Why it is undecided.
    pub reason: Text,
}

/// Why an edge exists: the mechanism, the statements that allowed it, what it depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The rule or mechanism, e.g. `sts:AssumeRole (trust names the principal)`.
    pub mechanism: Text,
    /// The escalation rule's id, for an edge a technique of `policies/` creates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Text>,
    pub statements: List<StatementRef>,
    #[serde(skip_serializing_if = "List::is_empty")]
    pub records: List<RecordRef>,
    /// What a conditional edge depends on; empty on definite edges.
    #[serde(skip_serializing_if = "List::is_empty")]
    pub undecided: List<Undecided>,
    /// Further facts: session duration limits, partial denies, boundaries that narrow.
    #[serde(skip_serializing_if = "List::is_empty")]
    pub notes: List<Text>,
    /// For an edge that mints a session: the longest the session can live, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_max_secs: Option<u32>,
}

impl Evidence {
    pub fn new(mechanism: impl Into<Text>) -> Self {
        Evidence {
            mechanism: mechanism.into(),
            rule: None,
            statements: List::new(),
            records: List::new(),
            undecided: List::new(),
            notes: List::new(),
            session_max_secs: None,
        }
    }

    pub fn note(mut self, note: impl Into<Text>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// An edge of the graph.
///
/// The evidence is shared: one technique allowed to one actor reaches every role of an
/// account with the same evidence, and [`crate::graph::Graph::add_edge`] keeps one copy of
/// each distinct evidence, so an edge costs a pointer for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub kind: EdgeKind,
    pub reach: Reach,
    pub evidence: Arc<Evidence>,
}

impl Edge {
    /// An edge whose reach follows from its evidence: conditional exactly when something is
    /// undecided.
    pub fn new(kind: EdgeKind, evidence: Evidence) -> Self {
        let reach = if evidence.undecided.is_empty() {
            Reach::Definite
        } else {
            Reach::Conditional
        };
        Edge {
            kind,
            reach,
            evidence: Arc::new(evidence),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edge_stays_small() {
        // A built graph holds millions of edges: every byte here is megabytes there.
        assert!(
            std::mem::size_of::<Edge>() <= 16,
            "{}",
            std::mem::size_of::<Edge>()
        );
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<List<Undecided>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn lists_read_and_grow_like_vectors() {
        let mut list: List<Text> = List::new();
        assert!(list.is_empty());
        assert_eq!(list.address(), 0);
        list.push("a".into());
        list.extend(["b".into(), "b".into()]);
        let copy = list.clone();
        assert_eq!(copy.address(), list.address());
        list.dedup();
        assert_eq!(
            list.iter().map(Text::as_str).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(
            copy.len(),
            3,
            "a clone keeps its items when the original changes"
        );
        assert_eq!(List::<Text>::from(Vec::new()), List::new());
    }
}
