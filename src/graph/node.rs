use serde::Serialize;
use serde::ser::SerializeMap;

/// What a node is, independent of the cloud it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Something that authenticates: an access key (named by id, never by secret), a token.
    Credential,
    /// An identity: user, role, group, service account, external workload, agent.
    Principal,
    /// Temporary credentials a principal can mint: a role session, a session token.
    Session,
    /// An action pattern on a resource pattern, after evaluation, with its conditions.
    Permission,
    /// Something a permission touches, when the snapshot knows it.
    Resource,
    /// Administrator-equivalent control of one account, project or tenant.
    AccountControl,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Credential => "credential",
            NodeKind::Principal => "principal",
            NodeKind::Session => "session",
            NodeKind::Permission => "permission",
            NodeKind::Resource => "resource",
            NodeKind::AccountControl => "account_control",
        }
    }
}

/// A node of the graph. `key` is unique across the whole graph and is the provider-native id
/// (an ARN, an access key id) wherever the provider has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    /// Unique, provider-native id.
    pub key: String,
    /// Provider that owns the node: `aws`, `gcp`, `azure`, `agents`.
    pub provider: &'static str,
    /// Finer kind inside the provider, for people: `user`, `role`, `access-key`, `role-session`.
    pub class: &'static str,
    /// Short human name (`user/ci-deployer`).
    pub label: String,
    /// Account, project or tenant the node lives in, when it has one.
    /// Shared by the nodes of one account (see [`crate::graph::Graph::add_node`]).
    pub account: Option<std::sync::Arc<str>>,
    /// Facts worth showing next to the node (status, creation date, session limits).
    pub attrs: Attrs,
}

impl Node {
    pub fn new(
        kind: NodeKind,
        provider: &'static str,
        class: &'static str,
        key: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Node {
            kind,
            key: key.into(),
            provider,
            class,
            label: label.into(),
            account: None,
            attrs: Attrs::default(),
        }
    }

    pub fn in_account(mut self, account: impl AsRef<str>) -> Self {
        self.account = Some(std::sync::Arc::from(account.as_ref()));
        self
    }

    pub fn with_attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.insert(name, value.into());
        self
    }
}

/// A node's facts by name, kept in name order. A node has a handful at most, and a graph has
/// millions of nodes: a sorted boxed slice costs 40 bytes a fact, where a `BTreeMap` allocates a
/// leaf of about 460 bytes for its first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs(Box<[(&'static str, String)]>);

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&String> {
        self.position(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets `name` to `value`, replacing what it was.
    pub fn insert(&mut self, name: &'static str, value: String) {
        match self.position(name) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                let mut facts = std::mem::take(&mut self.0).into_vec();
                facts.insert(i, (name, value));
                self.0 = facts.into_boxed_slice();
            }
        }
    }

    /// The facts in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &String)> {
        self.0.iter().map(|(name, value)| (*name, value))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| (*n).cmp(name))
    }
}

impl Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_stay_in_name_order_and_replace() {
        let mut attrs = Attrs::default();
        attrs.insert("status", "Active".into());
        attrs.insert("last_used", "2026-11-01".into());
        attrs.insert("user", "ci".into());
        attrs.insert("status", "Inactive".into());
        let names: Vec<&str> = attrs.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["last_used", "status", "user"]);
        assert_eq!(attrs.get("status").map(String::as_str), Some("Inactive"));
        assert!(attrs.contains_key("user") && !attrs.contains_key("mfa"));
        assert_eq!(attrs.len(), 3);
        assert_eq!(
            serde_json::to_string(&attrs).ok().as_deref(),
            Some(r#"{"last_used":"2026-11-01","status":"Inactive","user":"ci"}"#)
        );
    }
}
