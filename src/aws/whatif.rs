//! `what-if`: a change to the snapshot's policies, and the radius before and after. The
//! change is applied to a copy of the account model (not of the graph); only the edges it
//! touches are masked and decided again, and the graph is put back as it was afterwards:
//! the mask taken off, the edges and nodes the overlay added removed.

use super::indexes::Indexes;
use super::lower::{Scope, relower};
use super::model::Account;
use super::organization::{ControlKind, Organization};
use super::policy::{Effect, Policy, PolicySource};
use crate::graph::{EdgeKind, Graph, NodeId, NodeKind};
use crate::query::{Radius, radius};
use crate::rules::Rule;
use crate::snapshot::Snapshot;
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::Arc;

/// One hypothetical change. In a `--changes` file: `{"changes": [{"delete_key": "AKIA..."},
/// {"detach_policy": {"principal": "...", "policy": "arn:..."}}, ...]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    DeleteKey(String),
    DetachPolicy {
        principal: String,
        policy: String,
    },
    RemoveStatement {
        policy: String,
        statement: String,
    },
    RemoveTrust {
        role: String,
        principal: String,
    },
    AddBoundary {
        principal: String,
        policy: serde_json::Value,
    },
    AddScp {
        target: String,
        policy: serde_json::Value,
    },
    AddDeny {
        principal: String,
        action: String,
        resource: String,
    },
}

impl Change {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Change::DeleteKey(k) => format!("delete key {k}"),
            Change::DetachPolicy { principal, policy } => {
                format!("detach {policy} from {principal}")
            }
            Change::RemoveStatement { policy, statement } => {
                format!("remove statement {statement} of {policy}")
            }
            Change::RemoveTrust { role, principal } => {
                format!("remove {principal} from the trust of {role}")
            }
            Change::AddBoundary { principal, .. } => {
                format!("add a permission boundary to {principal}")
            }
            Change::AddScp { target, .. } => format!("attach an SCP to {target}"),
            Change::AddDeny {
                principal,
                action,
                resource,
            } => format!("deny {action} on {resource} to {principal}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("what-if change `{change}`: {message}")]
pub struct WhatIfError {
    pub change: String,
    pub message: String,
}

/// The snapshot's model with the changes applied, and what they touch.
pub struct Applied {
    pub accounts: Vec<Arc<Account>>,
    pub organization: Option<Organization>,
    pub scope: Scope,
    pub deleted_keys: Vec<String>,
    /// The snapshot's indexes of its roles: the changes add, remove and rename no role, so
    /// the index by ARN fits the changed accounts too, and the trust index does while no
    /// trust changed.
    pub indexes: Arc<Indexes>,
}

/// Applies the changes to a copy of the account model.
pub fn apply(snapshot: &Snapshot, changes: &[Change]) -> Result<Applied, WhatIfError> {
    let mut accounts = snapshot.aws_accounts.clone();
    let mut organization = snapshot.organization.clone();
    let mut scope = Scope::default();
    let mut deleted_keys = Vec::new();
    for (n, change) in changes.iter().enumerate() {
        let fail = |message: String| WhatIfError {
            change: change.describe(),
            message,
        };
        match change {
            Change::DeleteKey(id) => {
                let id = id.trim();
                if !accounts.iter().any(|a| a.keys.iter().any(|k| k.id == id)) {
                    return Err(fail("no such access key in the snapshot".into()));
                }
                deleted_keys.push(id.to_string());
            }
            Change::DetachPolicy { principal, policy } => {
                let holder = find_holder(&accounts, principal)
                    .ok_or_else(|| fail(format!("no user, role or group `{principal}`")))?;
                let removed = with_attached(&mut accounts, &holder, |attached| {
                    let before = attached.len();
                    attached.retain(|a| a != policy);
                    before != attached.len()
                });
                if !removed {
                    return Err(fail(format!("`{policy}` is not attached to it")));
                }
                scope
                    .principals
                    .extend(affected_by_holder(&accounts, &holder));
            }
            Change::RemoveStatement { policy, statement } => {
                let mut found = false;
                for account in &mut accounts {
                    // Copied only when it holds the policy: the other accounts stay shared.
                    if !account.managed.contains_key(policy) {
                        continue;
                    }
                    if let Some(p) = Arc::make_mut(account).managed.get_mut(policy) {
                        let before = p.statements.len();
                        let index = statement.parse::<usize>().ok();
                        let mut i = 0;
                        p.retain_statements(|s| {
                            let keep =
                                !(s.sid.as_deref() == Some(statement.as_str()) || index == Some(i));
                            i += 1;
                            keep
                        });
                        found |= before != p.statements.len();
                    }
                }
                if !found {
                    return Err(fail(
                        "no such policy, or no statement with that Sid or index".into(),
                    ));
                }
                for account in &accounts {
                    for user in &account.users {
                        let via_group = user.groups.iter().any(|g| {
                            account
                                .groups
                                .iter()
                                .any(|x| &x.name == g && x.attached.contains(policy))
                        });
                        if user.attached.contains(policy)
                            || user.boundary.as_ref() == Some(policy)
                            || via_group
                        {
                            scope.principals.insert(user.arn.clone());
                        }
                    }
                    for role in &account.roles {
                        if role.attached.contains(policy) || role.boundary.as_ref() == Some(policy)
                        {
                            scope.principals.insert(role.arn.clone());
                        }
                    }
                }
            }
            Change::RemoveTrust { role, principal } => {
                // A trust names a user or role by ARN; accept its unique name too.
                let named = find_holder(&accounts, principal)
                    .map(|h| h.arn)
                    .filter(|arn| arn != principal);
                let is_role = |r: &super::model::Role| &r.arn == role || &r.name == role;
                let owner = accounts
                    .iter_mut()
                    .find(|a| a.roles.iter().any(is_role))
                    .ok_or_else(|| fail(format!("no role `{role}`")))?;
                let target = Arc::make_mut(owner)
                    .roles
                    .iter_mut()
                    .find(|r| is_role(r))
                    .ok_or_else(|| fail(format!("no role `{role}`")))?;
                let Some(trust) = target.trust.as_mut() else {
                    return Err(fail("the role has no trust policy".into()));
                };
                let mut removed = false;
                for statement in &mut trust.statements {
                    if let Some(super::policy::document::Principals::Only(set)) =
                        statement.principal.as_deref_mut()
                    {
                        for list in [&mut set.aws, &mut set.service, &mut set.federated] {
                            let before = list.len();
                            list.retain(|p| p != principal && Some(p) != named.as_ref());
                            removed |= before != list.len();
                        }
                    }
                }
                // A statement left naming no one grants nothing.
                trust.retain_statements(|s| match s.principal.as_deref() {
                    Some(super::policy::document::Principals::Only(set)) => {
                        s.effect == Effect::Deny
                            || set.everyone
                            || !(set.aws.is_empty()
                                && set.service.is_empty()
                                && set.federated.is_empty()
                                && set.canonical_user.is_empty())
                    }
                    _ => true,
                });
                if !removed {
                    return Err(fail(format!(
                        "the trust policy does not name `{principal}`"
                    )));
                }
                scope.targets.insert(target.arn.clone());
            }
            Change::AddBoundary { principal, policy } => {
                let holder = find_holder(&accounts, principal)
                    .ok_or_else(|| fail(format!("no user or role `{principal}`")))?;
                let arn = format!(
                    "arn:aws:iam::{}:policy/what-if-boundary-{n}",
                    holder.account
                );
                let parsed = parse(policy, &arn).map_err(fail)?;
                let account = accounts
                    .iter_mut()
                    .find(|a| a.id == holder.account)
                    .map(Arc::make_mut)
                    .ok_or_else(|| fail("no account".into()))?;
                account.managed.insert(arn.clone(), parsed);
                match holder.kind {
                    HolderKind::User => account
                        .users
                        .iter_mut()
                        .filter(|u| u.arn == holder.arn)
                        .for_each(|u| u.boundary = Some(arn.clone())),
                    HolderKind::Role => account
                        .roles
                        .iter_mut()
                        .filter(|r| r.arn == holder.arn)
                        .for_each(|r| r.boundary = Some(arn.clone())),
                    HolderKind::Group => {
                        return Err(fail("a group takes no permission boundary".into()));
                    }
                }
                scope.principals.insert(holder.arn.clone());
            }
            Change::AddScp { target, policy } => {
                let org = organization
                    .as_mut()
                    .ok_or_else(|| fail("the snapshot has no aws/organizations.json".into()))?;
                if !org.knows(target) {
                    return Err(fail(format!(
                        "`{target}` is not a root, OU or account of the organisation"
                    )));
                }
                let parsed = parse(policy, &format!("what-if SCP {n}")).map_err(fail)?;
                org.attach(ControlKind::Scp, parsed, target);
                for account in &accounts {
                    let under = org
                        .levels(&account.id, ControlKind::Scp)
                        .is_some_and(|levels| levels.iter().any(|l| l.target == target));
                    if under {
                        scope
                            .principals
                            .extend(account.users.iter().map(|u| u.arn.clone()));
                        scope
                            .principals
                            .extend(account.roles.iter().map(|r| r.arn.clone()));
                    }
                }
            }
            Change::AddDeny {
                principal,
                action,
                resource,
            } => {
                let holder = find_holder(&accounts, principal)
                    .ok_or_else(|| fail(format!("no user, role or group `{principal}`")))?;
                let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}]});
                let parsed = parse(&doc, &format!("what-if deny {n}")).map_err(fail)?;
                let account = accounts
                    .iter_mut()
                    .find(|a| a.id == holder.account)
                    .map(Arc::make_mut)
                    .ok_or_else(|| fail("no account".into()))?;
                match holder.kind {
                    HolderKind::User => account
                        .users
                        .iter_mut()
                        .filter(|u| u.arn == holder.arn)
                        .for_each(|u| u.inline.push(parsed.clone())),
                    HolderKind::Role => account
                        .roles
                        .iter_mut()
                        .filter(|r| r.arn == holder.arn)
                        .for_each(|r| r.inline.push(parsed.clone())),
                    HolderKind::Group => account
                        .groups
                        .iter_mut()
                        .filter(|g| g.arn == holder.arn)
                        .for_each(|g| g.inline.push(parsed.clone())),
                }
                scope
                    .principals
                    .extend(affected_by_holder(&accounts, &holder));
            }
        }
    }
    Ok(Applied {
        accounts,
        organization,
        scope,
        deleted_keys,
        indexes: snapshot.indexes(),
    })
}

fn parse(document: &serde_json::Value, name: &str) -> Result<Policy, String> {
    let source = PolicySource {
        file: Arc::from("(what-if)"),
        pointer: String::new(),
        name: name.to_string(),
    };
    Policy::parse(source, document).map_err(|e| format!("the policy does not parse: {e}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HolderKind {
    User,
    Role,
    Group,
}

struct Holder {
    account: String,
    arn: String,
    kind: HolderKind,
}

fn find_holder(accounts: &[Arc<Account>], wanted: &str) -> Option<Holder> {
    let wanted = wanted.trim();
    for a in accounts {
        if let Some(u) = a.users.iter().find(|u| u.arn == wanted || u.name == wanted) {
            return Some(Holder {
                account: a.id.clone(),
                arn: u.arn.clone(),
                kind: HolderKind::User,
            });
        }
        if let Some(r) = a.roles.iter().find(|r| r.arn == wanted || r.name == wanted) {
            return Some(Holder {
                account: a.id.clone(),
                arn: r.arn.clone(),
                kind: HolderKind::Role,
            });
        }
        if let Some(g) = a
            .groups
            .iter()
            .find(|g| g.arn == wanted || g.name == wanted)
        {
            return Some(Holder {
                account: a.id.clone(),
                arn: g.arn.clone(),
                kind: HolderKind::Group,
            });
        }
    }
    None
}

fn with_attached(
    accounts: &mut [Arc<Account>],
    holder: &Holder,
    edit: impl FnOnce(&mut Vec<String>) -> bool,
) -> bool {
    let Some(account) = accounts.iter_mut().find(|a| a.id == holder.account) else {
        return false;
    };
    let account = Arc::make_mut(account);
    match holder.kind {
        HolderKind::User => account
            .users
            .iter_mut()
            .find(|u| u.arn == holder.arn)
            .map(|u| edit(&mut u.attached)),
        HolderKind::Role => account
            .roles
            .iter_mut()
            .find(|r| r.arn == holder.arn)
            .map(|r| edit(&mut r.attached)),
        HolderKind::Group => account
            .groups
            .iter_mut()
            .find(|g| g.arn == holder.arn)
            .map(|g| edit(&mut g.attached)),
    }
    .unwrap_or(false)
}

/// The principals whose policies a change to `holder` changes: itself, or a group's members.
fn affected_by_holder(accounts: &[Arc<Account>], holder: &Holder) -> Vec<String> {
    match holder.kind {
        HolderKind::User | HolderKind::Role => vec![holder.arn.clone()],
        HolderKind::Group => {
            let Some(account) = accounts.iter().find(|a| a.id == holder.account) else {
                return Vec::new();
            };
            let Some(group) = account.groups.iter().find(|g| g.arn == holder.arn) else {
                return Vec::new();
            };
            account
                .users
                .iter()
                .filter(|u| u.groups.contains(&group.name))
                .map(|u| u.arn.clone())
                .collect()
        }
    }
}

/// What a radius reached, comparable across the overlay: nodes of the graph by id (their ids
/// stay the same under an overlay), nodes only the overlay added by value, since they are
/// gone once it is taken off. A wide radius reaches a hundred thousand nodes, and copying
/// every key and label was a third of a what-if.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachedKey {
    pub node: ReachedNode,
    pub kind: NodeKind,
    pub reach: crate::graph::Reach,
    pub hops: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReachedNode {
    /// A node of the graph without the overlay.
    Kept(NodeId),
    /// A node the overlay added.
    Added { key: String, label: String },
}

impl ReachedKey {
    /// The node's key; `graph` is the one the radius was taken on, with the overlay off.
    pub fn key<'a>(&'a self, graph: &'a Graph) -> &'a str {
        match &self.node {
            ReachedNode::Kept(id) => &graph.node(*id).key,
            ReachedNode::Added { key, .. } => key,
        }
    }

    pub fn label<'a>(&'a self, graph: &'a Graph) -> &'a str {
        match &self.node {
            ReachedNode::Kept(id) => &graph.node(*id).label,
            ReachedNode::Added { label, .. } => label,
        }
    }
}

fn keyed(graph: &Graph, r: &Radius) -> Vec<ReachedKey> {
    let added = graph.overlay_nodes();
    r.reached
        .iter()
        .map(|x| {
            let n = graph.node(x.node);
            ReachedKey {
                node: if added.contains(&x.node) {
                    ReachedNode::Added {
                        key: n.key.clone(),
                        label: n.label.clone(),
                    }
                } else {
                    ReachedNode::Kept(x.node)
                },
                kind: n.kind,
                reach: x.reach,
                hops: x.hops,
            }
        })
        .collect()
}

/// The radius of `start` with the changes overlaid, the graph restored afterwards. Its
/// [`ReachedKey`]s are read with the restored graph.
pub fn radius_after(
    graph: &mut Graph,
    start_key: &str,
    applied: &Applied,
    rules: &[Rule],
) -> Vec<ReachedKey> {
    with_changes(graph, applied, rules, |graph| {
        graph
            .find_key(start_key)
            .map(|start| keyed(graph, &radius(graph, start)))
            .unwrap_or_default()
    })
}

/// Runs `look` on the graph with the changes overlaid, then restores the graph exactly.
pub fn with_changes<R>(
    graph: &mut Graph,
    applied: &Applied,
    rules: &[Rule],
    look: impl FnOnce(&Graph) -> R,
) -> R {
    const POLICY_EDGES: [EdgeKind; 5] = [
        EdgeKind::Assumes,
        EdgeKind::Granted,
        EdgeKind::Administers,
        EdgeKind::EscalatesTo,
        EdgeKind::Accesses,
    ];
    // Edges the change touches are masked, not removed: ids stay stable, and taking the mask
    // off puts the graph back exactly.
    let take = |graph: &mut Graph, edges: Vec<crate::graph::EdgeId>| {
        for e in edges {
            graph.mask_edge(e);
        }
    };
    for key in &applied.deleted_keys {
        if let Some(node) = graph.find_key(key) {
            let edges = graph.out_edges(node).map(|(e, _)| e).collect();
            take(graph, edges);
        }
    }
    for arn in &applied.scope.principals {
        if let Some(node) = graph.find_key(arn) {
            let edges = graph
                .out_edges(node)
                .filter(|(e, _)| POLICY_EDGES.contains(&graph.edge(*e).kind))
                .map(|(e, _)| e)
                .collect();
            take(graph, edges);
        }
    }
    let targets: HashSet<&String> = applied.scope.targets.iter().collect();
    // The roles in scope and their sessions: the assumptions and escalations into them from
    // users and roles are decided again. Found in one scan of the edge list, not through
    // `Graph::in_edges`, which would build the incoming rows (8 bytes an edge) for a few nodes.
    let into: Vec<NodeId> = targets
        .iter()
        .flat_map(|arn| {
            let session = arn.split_once(":role/").map(|(head, name)| {
                let account = head.rsplit(':').next().unwrap_or_default();
                let short = name.rsplit('/').next().unwrap_or(name);
                format!("arn:aws:sts::{account}:assumed-role/{short}/*")
            });
            [
                session.and_then(|s| graph.find_key(&s)),
                graph.find_key(arn),
            ]
        })
        .flatten()
        .collect();
    if !into.is_empty() {
        // A flag per node: the scan tests every edge of the graph.
        let mut wanted = vec![false; graph.node_bound()];
        for n in &into {
            wanted[n.index()] = true;
        }
        let edges = graph
            .edge_entries()
            .filter(|&(_, from, to, slot)| {
                wanted[to.index()]
                    && matches!(slot.kind, EdgeKind::Assumes | EdgeKind::EscalatesTo)
                    && matches!(graph.node(from).class, "user" | "role")
            })
            .map(|(e, ..)| e)
            .collect();
        take(graph, edges);
    }
    graph.start_journal();
    if !applied.scope.is_empty() {
        relower(
            &applied.accounts,
            applied.organization.as_ref(),
            &applied.indexes,
            rules,
            &applied.scope,
            graph,
        );
    }
    let after = look(graph);
    // Put the graph back: what the overlay added out, what it removed in.
    let journal = graph.take_journal();
    for e in journal.edges {
        graph.remove_edge(e);
    }
    for n in journal.nodes {
        graph.remove_node(n);
    }
    graph.clear_mask();
    after
}

/// The radius of `start` on the graph as it is.
pub fn radius_before(graph: &Graph, start_key: &str) -> Vec<ReachedKey> {
    graph
        .find_key(start_key)
        .map(|start| keyed(graph, &radius(graph, start)))
        .unwrap_or_default()
}
