//! Lowering: AWS accounts into the cloud-neutral graph. Every edge decided here carries the
//! statements that allowed it and what it depends on.

mod admin;
pub(crate) mod assume;
mod batch;
mod decide;
mod escalation;
mod permissions;
mod reachable;
mod resources;

pub use reachable::lower_reachable;

use crate::aws::authz::Authorizer;
use crate::aws::indexes::Indexes;
use crate::aws::inventory::KeyStatus;
use crate::aws::model::Account;
use crate::aws::organization::{ControlKind, Organization};
use crate::aws::principal::{Entity, PolicyBook, Principal, Seed};
use crate::graph::{
    Edge, EdgeKind, Evidence, Graph, Node, NodeId, NodeKeys, NodeKind, RecordRef, Undecided,
};
use crate::progress::Progress;
use crate::snapshot::MissingSource;
use batch::{Batch, Decided};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub const PROVIDER: &str = "aws";

/// GetSessionToken and GetFederationToken credentials last at most 36 hours.
pub(super) const USER_SESSION_MAX_SECS: u32 = 129_600;

/// Builds the graph of every account in the snapshot. Returns the sources the lowering found
/// missing on the way (attached policies without a document, keys of unknown users).
pub fn lower(
    accounts: &[Arc<Account>],
    organization: Option<&Organization>,
    rules: &[crate::rules::Rule],
    graph: &mut Graph,
) -> Vec<MissingSource> {
    let authz = Authorizer::new(accounts, organization).quiet();
    let book = PolicyBook::new(accounts);
    let mut missing = missing_documents(&book);
    let skeleton = Skeleton::lower(accounts, organization, &book, graph, &mut missing);
    policy_edges(
        accounts,
        organization,
        rules,
        &authz,
        &book,
        &skeleton.principals,
        &skeleton.roles,
        &skeleton.controls,
        None,
        graph,
        &mut missing,
    );
    skeleton.control_edges(accounts, graph);
    missing
}

/// Attached policies whose document the snapshot lacks, sorted by source.
fn missing_documents(book: &PolicyBook) -> Vec<MissingSource> {
    let mut missing: Vec<MissingSource> = book
        .missing()
        .map(|(account, arn)| {
            MissingSource::new(
                format!("aws/{account}/gaad.json#{arn}"),
                "policy attached but its document is not in the snapshot",
                "whatever the policy allows: edges through it are kept as conditional",
            )
        })
        .collect();
    missing.sort_by(|a, b| a.source.cmp(&b.source));
    missing
}

/// The graph before any principal's policies are decided: every node a principal's edges
/// can lead to (principals, groups, keys, sessions, account control), and the edges that
/// need no policy decision (keys, memberships, user sessions, role sessions, external
/// token exchanges).
struct Skeleton<'a> {
    /// Users and roles, in the order their edges are decided.
    principals: Vec<(Seed<'a>, NodeId)>,
    /// The account-control node of each account.
    controls: HashMap<&'a str, NodeId>,
    roles: assume::RoleSessions<'a>,
}

impl<'a> Skeleton<'a> {
    fn lower(
        accounts: &'a [Arc<Account>],
        organization: Option<&Organization>,
        book: &PolicyBook,
        graph: &mut Graph,
        missing: &mut Vec<MissingSource>,
    ) -> Self {
        let mut principals: Vec<(Seed, NodeId)> = Vec::new();
        let mut controls: HashMap<&str, NodeId> = HashMap::new();
        for account in accounts {
            let control = graph.add_node(
                Node::new(
                    NodeKind::AccountControl,
                    PROVIDER,
                    "account",
                    format!("aws:account:{}", account.id),
                    format!("admin of account {}", account.id),
                )
                .in_account(&account.id),
            );
            controls.insert(&account.id, control);
            let mut user_nodes = HashMap::new();
            for user in &account.users {
                let mut node = Node::new(
                    NodeKind::Principal,
                    PROVIDER,
                    "user",
                    &user.arn,
                    format!("user/{}", user.name),
                )
                .in_account(&account.id)
                .with_attr("user_id", &user.id);
                if let Some(row) = account
                    .credential_report
                    .as_ref()
                    .and_then(|r| r.get(&user.name))
                {
                    node = node
                        .with_attr("console_password", row.has_password().to_string())
                        .with_attr("mfa", row.has_mfa().to_string());
                }
                let id = graph.add_node(node);
                graph.add_alias(id, &user.name);
                graph.add_alias(id, &user.id);
                user_nodes.insert(user.name.as_str(), id);
                let entity = Entity::User(user);
                principals.push((Seed { account, entity }, id));
            }
            let mut group_nodes = HashMap::new();
            for group in &account.groups {
                let id = graph.add_node(
                    Node::new(
                        NodeKind::Principal,
                        PROVIDER,
                        "group",
                        &group.arn,
                        format!("group/{}", group.name),
                    )
                    .in_account(&account.id),
                );
                graph.add_alias(id, &group.name);
                group_nodes.insert(group.name.as_str(), id);
            }
            for role in &account.roles {
                let mut node = Node::new(
                    NodeKind::Principal,
                    PROVIDER,
                    "role",
                    &role.arn,
                    format!("role/{}", role.name),
                )
                .in_account(&account.id)
                .with_attr("role_id", &role.id);
                if role.is_service_linked() {
                    node = node.with_attr("service_linked", "true");
                }
                let id = graph.add_node(node);
                graph.add_alias(id, &role.name);
                graph.add_alias(id, &role.id);
                let entity = Entity::Role(role);
                principals.push((Seed { account, entity }, id));
            }
            credentials(account, graph, &user_nodes, missing);
            memberships(account, graph, &user_nodes, &group_nodes);
            user_sessions(account, graph, book, organization, &user_nodes);
        }

        let roles = assume::RoleSessions::create(accounts, graph);
        assume::external_trusts(&roles, graph);
        Skeleton {
            principals,
            controls,
            roles,
        }
    }

    /// Account control reaches every user, group and role of its account that is not
    /// service-linked. These edges start at the control nodes only.
    fn control_edges(&self, accounts: &[Arc<Account>], graph: &mut Graph) {
        for account in accounts {
            if let Some(&control) = self.controls.get(account.id.as_str()) {
                admin::controls(account, control, graph);
            }
        }
    }
}

/// What a what-if change touches: principals whose own policies changed (every edge they
/// make is decided again) and roles whose trust changed (every edge into them is).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub principals: HashSet<String>,
    pub targets: HashSet<String>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.principals.is_empty() && self.targets.is_empty()
    }
}

/// Every edge a principal's policies decide: role assumption, permissions, resource access,
/// administrator control, escalation techniques. With a scope, only the edges it touches.
#[allow(clippy::too_many_arguments)]
fn policy_edges(
    accounts: &[Arc<Account>],
    organization: Option<&Organization>,
    rules: &[crate::rules::Rule],
    authz: &Authorizer,
    book: &PolicyBook,
    principals: &[(Seed, NodeId)],
    roles: &assume::RoleSessions,
    controls: &HashMap<&str, NodeId>,
    scope: Option<&Scope>,
    graph: &mut Graph,
    missing: &mut Vec<MissingSource>,
) {
    let decider = Decider {
        accounts,
        organization,
        authz,
        book,
        roles,
        controls,
        scope,
        escalation: escalation::Escalation::new(rules, authz, book, organization, accounts),
        kinds: resource_kinds(missing),
    };
    let progress = match scope {
        None => Progress::bar(principals.len() as u64, "building graph"),
        Some(_) => Progress::hidden(),
    };
    decider.add(principals, |p| p, graph, &progress, |_, _| {});
    progress.finish();
}

/// The built-in kinds of resources that resource policies may open; none, and a missing
/// source saying so, when they do not parse.
fn resource_kinds(missing: &mut Vec<MissingSource>) -> Vec<resources::ResourceKind> {
    match resources::builtin_kinds() {
        Ok(kinds) => kinds,
        Err(e) => {
            missing.push(MissingSource::new(
                "policies/aws/resource-access.toml",
                format!("the built-in resource kinds do not parse: {e}"),
                "resources reachable through resource policies are not listed",
            ));
            Vec::new()
        }
    }
}

/// Decides the edges of principals and adds them to the graph.
struct Decider<'a> {
    accounts: &'a [Arc<Account>],
    organization: Option<&'a Organization>,
    authz: &'a Authorizer<'a>,
    book: &'a PolicyBook<'a>,
    roles: &'a assume::RoleSessions<'a>,
    controls: &'a HashMap<&'a str, NodeId>,
    scope: Option<&'a Scope>,
    escalation: escalation::Escalation<'a>,
    kinds: Vec<resources::ResourceKind>,
}

impl Decider<'_> {
    /// One principal's edges, in a fixed order (role sessions, permissions, resources,
    /// control, techniques): witnesses pick the first of equally short paths. Every edge
    /// starts at the principal's node.
    fn decide(&self, principal: &Principal, node: NodeId, graph: NodeKeys) -> Option<Decided> {
        let scope = self.scope;
        let changed = scope.is_none_or(|s| s.principals.contains(principal.arn()));
        let only = match scope {
            Some(s) if !changed => {
                if s.targets.is_empty() {
                    return None;
                }
                Some(&s.targets)
            }
            _ => None,
        };
        let mut batch = Batch::new(graph);
        let scps = if principal.is_service_linked() {
            None
        } else {
            self.authz
                .control_levels(ControlKind::Scp, &principal.account.id)
        };
        assume::assume_edges(principal, node, self.roles, self.authz, only, &mut batch);
        let control = self.controls.get(principal.account.id.as_str()).copied();
        if changed {
            permissions::granted(principal, scps.as_deref(), node, &mut batch);
            let one = [(principal.clone(), node)];
            resources::resources(
                self.accounts,
                &self.kinds,
                &one,
                self.authz,
                None,
                &mut batch,
            );
            if let Some(control) = control {
                admin::administers(principal, scps.as_deref(), node, control, &mut batch);
            }
        }
        if let Some(control) = control {
            self.escalation
                .apply(principal, node, control, scps.as_deref(), only, &mut batch);
        }
        Some(batch.into())
    }

    /// Decides the principals `items` stand for and adds their nodes and edges, in the order
    /// of `items`; `added` sees each edge's endpoints as it is added.
    ///
    /// Principals are decided in parallel a chunk at a time against the nodes of the chunks
    /// before, and their nodes and edges added in order, so the graph is the same whatever
    /// the thread count. A chunk's edges are added while the next chunk is decided: adding
    /// them shares their evidence with the graph's, work that cannot be split between threads.
    fn add<'s, T: Sync>(
        &self,
        items: &[T],
        seed: impl Fn(&T) -> &(Seed<'s>, NodeId) + Sync,
        graph: &mut Graph,
        progress: &Progress,
        mut added: impl FnMut(NodeId, NodeId) + Send,
    ) {
        let mut edges: Vec<(NodeId, NodeId, Edge)> = Vec::new();
        for chunk in items.chunks(PRINCIPALS_PER_CHUNK) {
            let (keys, mut sink) = graph.split();
            let (decided, ()) = rayon::join(
                || {
                    chunk
                        .par_iter()
                        .map(|item| {
                            let (seed, node) = seed(item);
                            let principal = seed.principal(self.book, self.organization);
                            self.decide(&principal, *node, keys)
                        })
                        .collect::<Vec<Option<Decided>>>()
                },
                || {
                    for (from, to, edge) in edges.drain(..) {
                        added(from, to);
                        sink.add_edge(from, to, edge);
                    }
                },
            );
            for batch in decided.into_iter().flatten() {
                edges.extend(batch.add_nodes(graph));
            }
            progress.inc(chunk.len() as u64);
        }
        let (_, mut sink) = graph.split();
        for (from, to, edge) in edges {
            added(from, to);
            sink.add_edge(from, to, edge);
        }
    }
}

/// Principals decided between two additions to the graph: enough to keep every thread busy,
/// few enough that their edges do not pile up in memory. Two chunks are in flight (one
/// decided, one added), so a chunk is half the 512 principals that were once decided alone.
const PRINCIPALS_PER_CHUNK: usize = 256;

/// Decides again, into an existing graph, the edges a what-if change touches: the graph must
/// hold the nodes of a full [`lower`] of the same snapshot, and the edges to replace must
/// have been removed.
pub fn relower(
    accounts: &[Arc<Account>],
    organization: Option<&Organization>,
    indexes: &Indexes,
    rules: &[crate::rules::Rule],
    scope: &Scope,
    graph: &mut Graph,
) {
    let authz = Authorizer::with_roles(accounts, organization, indexes.roles()).quiet();
    // Changed principals may assume any role; changed trusts concern their own roles only.
    let target_accounts: HashSet<&str> = scope
        .targets
        .iter()
        .filter_map(|arn| arn.split(':').nth(4))
        .collect();
    let trusts = indexes.trusts();
    let mut roles = if scope.principals.is_empty() {
        assume::RoleSessions::create_for(
            accounts,
            graph,
            |a| target_accounts.contains(a.id.as_str()),
            |r| scope.targets.contains(&r.arn),
        )
    } else if trusts.fits(accounts) {
        // Changed principals may assume any role, and no trust changed: the snapshot's
        // trust index serves, and only the sessions they may assume are looked up below.
        assume::RoleSessions::reuse(accounts, trusts)
    } else {
        assume::RoleSessions::create(accounts, graph)
    };
    // Only principals the change can touch: those it changed; for a changed trust, those it
    // may name, and those of the role's own account (techniques act within their account).
    let trusted = roles.trusted_by(&scope.targets);
    // The accounts of the changed principals: the others have none to look for.
    let principal_accounts: HashSet<&str> = scope
        .principals
        .iter()
        .filter_map(|arn| arn.split(':').nth(4))
        .collect();
    let mut touched: Vec<(&Account, Entity, NodeId)> = Vec::new();
    let mut controls = HashMap::new();
    for account in accounts {
        if let Some(control) = graph.find_key(&format!("aws:account:{}", account.id)) {
            controls.insert(account.id.as_str(), control);
        }
        let trust_changed = !scope.targets.is_empty();
        // A trust naming the whole account names every principal of it; one naming none of
        // its principals spares looking at each.
        let whole = trust_changed
            && (target_accounts.contains(account.id.as_str())
                || trusted.names_account(&account.id));
        let named_here = trust_changed && trusted.may_name_in(&account.id);
        let changed_here = principal_accounts.contains(account.id.as_str());
        if !whole && !named_here && !changed_here {
            continue;
        }
        let is_touched = |arn: &str, id: &str, role: bool| {
            whole
                || (changed_here && scope.principals.contains(arn))
                || (named_here && trusted.names_caller(arn, &account.id, id, role))
        };
        let users = account
            .users
            .iter()
            .filter(|u| is_touched(&u.arn, &u.id, false))
            .filter_map(|u| Some((Entity::User(u), graph.find_key(&u.arn)?)));
        let roles = account
            .roles
            .iter()
            .filter(|r| is_touched(&r.arn, &r.id, true))
            .filter_map(|r| Some((Entity::Role(r), graph.find_key(&r.arn)?)));
        touched.extend(users.chain(roles).map(|(e, n)| (&**account, e, n)));
    }
    // The policies of the accounts touched, not of the whole organisation.
    let touched_accounts: HashSet<&str> = touched.iter().map(|(a, _, _)| a.id.as_str()).collect();
    let book = PolicyBook::of(
        accounts
            .iter()
            .map(|a| &**a)
            .filter(|a| touched_accounts.contains(a.id.as_str())),
    );
    let principals: Vec<(Seed, NodeId)> = touched
        .into_iter()
        .map(|(account, entity, node)| (Seed { account, entity }, node))
        .collect();
    let made: Vec<Principal> = principals
        .iter()
        .map(|(seed, _)| seed.principal(&book, organization))
        .collect();
    roles.resolve(made.iter(), graph);
    drop(made);
    let mut missing = Vec::new();
    policy_edges(
        accounts,
        organization,
        rules,
        &authz,
        &book,
        &principals,
        &roles,
        &controls,
        Some(scope),
        graph,
        &mut missing,
    );
}

/// Access keys authenticate as their user. A key that is not active keeps a conditional
/// edge: it reaches the user again the moment someone reactivates it.
fn credentials(
    account: &Account,
    graph: &mut Graph,
    users: &HashMap<&str, NodeId>,
    missing: &mut Vec<MissingSource>,
) {
    let file = format!("aws/{}/access-keys.json", account.id);
    for key in &account.keys {
        let status = match key.status {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
            KeyStatus::Expired => "Expired",
        };
        let mut node = Node::new(
            NodeKind::Credential,
            PROVIDER,
            "access-key",
            &key.id,
            &key.id,
        )
        .in_account(&account.id)
        .with_attr("status", status)
        .with_attr("user", &key.user);
        if let Some(created) = key.created {
            node = node.with_attr("created", created.0.to_rfc3339());
        }
        if let Some(date) = key.last_used.as_ref().and_then(|l| l.last_used_date) {
            node = node.with_attr("last_used", date.0.to_rfc3339());
        }
        let key_node = graph.add_node(node);
        let Some(&user) = users.get(key.user.as_str()) else {
            missing.push(MissingSource::new(
                format!("{file}#{}", key.pointer),
                format!(
                    "key {} names user `{}`, who is not in gaad.json",
                    key.id, key.user
                ),
                "what the key reaches",
            ));
            continue;
        };
        let mut evidence = Evidence::new("access key of the user");
        evidence
            .records
            .push(RecordRef::new(&file, &key.pointer, "access key listing"));
        if key.status != KeyStatus::Active {
            evidence.undecided.push(Undecided {
                key: "key status".into(),
                reason: format!("the key was {status} when the snapshot was taken; it authenticates again if reactivated").into(),
            });
        }
        graph.add_edge(
            key_node,
            user,
            Edge::new(EdgeKind::AuthenticatesAs, evidence),
        );
    }
}

fn memberships(
    account: &Account,
    graph: &mut Graph,
    users: &HashMap<&str, NodeId>,
    groups: &HashMap<&str, NodeId>,
) {
    for user in &account.users {
        let Some(&user_node) = users.get(user.name.as_str()) else {
            continue;
        };
        for (j, name) in user.groups.iter().enumerate() {
            let Some(&group) = groups.get(name.as_str()) else {
                continue;
            };
            let mut evidence = Evidence::new("group membership");
            evidence.records.push(RecordRef::new(
                &account.gaad_file,
                format!("{}/GroupList/{j}", user.pointer),
                "group list",
            ));
            graph.add_edge(user_node, group, Edge::new(EdgeKind::MemberOf, evidence));
        }
    }
}

/// Sessions an IAM user mints for itself: GetSessionToken (no permission needed) and
/// GetFederationToken (needs `sts:GetFederationToken`).
fn user_sessions(
    account: &Account,
    graph: &mut Graph,
    book: &PolicyBook,
    organization: Option<&Organization>,
    users: &HashMap<&str, NodeId>,
) {
    for user in &account.users {
        let Some(&user_node) = users.get(user.name.as_str()) else {
            continue;
        };
        let token = graph.add_node(
            Node::new(
                NodeKind::Session,
                PROVIDER,
                "session-token",
                format!("{}#session-token", user.arn),
                format!("session token of user/{}", user.name),
            )
            .in_account(&account.id)
            .with_attr("max_duration_secs", USER_SESSION_MAX_SECS.to_string()),
        );
        let mut evidence = Evidence::new("sts:GetSessionToken (no permission needed)")
            .note("session token credentials last up to 36 h (12 h by default) and survive deleting the key");
        evidence.session_max_secs = Some(USER_SESSION_MAX_SECS);
        graph.add_edge(user_node, token, Edge::new(EdgeKind::Mints, evidence));
        graph.add_edge(
            token,
            user_node,
            Edge::new(
                EdgeKind::ActsAs,
                Evidence::new("a session token acts as its user"),
            ),
        );

        let entity = Entity::User(user);
        let principal = Seed { account, entity }.principal(book, organization);
        if let Some(evidence) = assume::federation_token(&principal) {
            let federation = graph.add_node(
                Node::new(
                    NodeKind::Session,
                    PROVIDER,
                    "federation-token",
                    format!("{}#federation-token", user.arn),
                    format!("federation token of user/{}", user.name),
                )
                .in_account(&account.id)
                .with_attr("max_duration_secs", USER_SESSION_MAX_SECS.to_string()),
            );
            graph.add_edge(user_node, federation, Edge::new(EdgeKind::Mints, evidence));
            graph.add_edge(
                federation,
                user_node,
                Edge::new(
                    EdgeKind::ActsAs,
                    Evidence::new("a federation token acts as its user").note("with at most the user's permissions, narrowed by the session policy passed when minting it"),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
