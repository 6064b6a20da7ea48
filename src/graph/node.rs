use serde::Serialize;
use std::collections::BTreeMap;

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
    pub account: Option<String>,
    /// Facts worth showing next to the node (status, creation date, session limits).
    pub attrs: BTreeMap<&'static str, String>,
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
            attrs: BTreeMap::new(),
        }
    }

    pub fn in_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    pub fn with_attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.insert(name, value.into());
        self
    }
}
