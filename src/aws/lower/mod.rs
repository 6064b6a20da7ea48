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
mod skeleton;

pub use reachable::lower_reachable;

use crate::aws::authz::Authorizer;
use crate::aws::indexes::Indexes;
use crate::aws::model::Account;
use crate::aws::organization::{ControlKind, Organization};
use crate::aws::principal::{Entity, PolicyBook, Principal, Seed};
use crate::graph::{Edge, Graph, NodeId, NodeKeys, Reach};
use crate::progress::Progress;
use crate::snapshot::MissingSource;
use batch::{Batch, Decided};
use rayon::prelude::*;
use skeleton::Skeleton;
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
    decider.add(principals, |p| p, graph, &progress, None, |_, _, _| {});
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

/// What a search has met already (see `reachable`): a principal decided for that search
/// need not decide its role assumptions, permission grants, administrator check and
/// techniques into those nodes. Nothing for a full build.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Met<'a> {
    /// By node.
    nodes: &'a [bool],
    /// By account-control node: whether the search has met the control and every user,
    /// group and role it controls, every node a technique of that account can lead to.
    full: &'a [bool],
}

impl Met<'_> {
    pub fn is_empty(self) -> bool {
        self.nodes.is_empty()
    }

    pub fn has(self, node: NodeId) -> bool {
        self.nodes.get(node.index()).copied().unwrap_or(false)
    }

    /// Whether the account of this control node is met in full.
    pub fn has_account(self, control: NodeId) -> bool {
        self.full.get(control.index()).copied().unwrap_or(false)
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
    fn decide(
        &self,
        principal: &Principal,
        node: NodeId,
        graph: NodeKeys,
        met: Met,
    ) -> Option<Decided> {
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
        assume::assume_edges(
            principal, node, self.roles, self.authz, only, met, &mut batch,
        );
        let control = self.controls.get(principal.account.id.as_str()).copied();
        if changed {
            permissions::granted(principal, scps.as_deref(), node, met, &mut batch);
            let one = [(principal.clone(), node)];
            resources::resources(
                self.accounts,
                &self.kinds,
                &one,
                self.authz,
                None,
                &mut batch,
            );
            if let Some(control) = control.filter(|&c| !met.has(c)) {
                admin::administers(principal, scps.as_deref(), node, control, &mut batch);
            }
        }
        if let Some(control) = control {
            self.escalation.apply(
                principal,
                node,
                control,
                scps.as_deref(),
                only,
                met,
                &mut batch,
            );
        }
        Some(batch.into())
    }

    /// Decides the principals `items` stand for and adds their nodes and edges, in the order
    /// of `items`; `added` sees each edge's endpoints and reach as it is added.
    ///
    /// With `met` (a search's, see `reachable`), edges into the nodes it holds are left
    /// undecided where that saves work, and the targets of each chunk's edges are added to it
    /// before a later chunk is decided: a principal's edges into nodes that principals before
    /// it have reached already change no search.
    ///
    /// Principals are decided in parallel a chunk at a time against the nodes of the chunks
    /// before, and their nodes and edges added in order, so the graph is the same whatever
    /// the thread count. A chunk's edges are added while the next chunk is decided: adding
    /// them shares their evidence with the graph's, work that cannot be split between threads.
    #[allow(clippy::too_many_arguments)]
    fn add<'s, T: Sync>(
        &self,
        items: &[T],
        seed: impl Fn(&T) -> &(Seed<'s>, NodeId) + Sync,
        graph: &mut Graph,
        progress: &Progress,
        mut met: Option<&mut reachable::Meeting>,
        mut added: impl FnMut(NodeId, NodeId, Reach) + Send,
    ) {
        let mut edges: Vec<(NodeId, NodeId, Edge)> = Vec::new();
        let tracking = met.is_some();
        let size = match tracking {
            true => MEETING_PRINCIPALS_PER_CHUNK,
            false => PRINCIPALS_PER_CHUNK,
        };
        for chunk in items.chunks(size) {
            let (keys, mut sink) = graph.split();
            let view = met.as_deref().map(|m| m.view()).unwrap_or_default();
            let (decided, reached) = rayon::join(
                || {
                    chunk
                        .par_iter()
                        .map(|item| {
                            let (seed, node) = seed(item);
                            let principal = seed.principal(self.book, self.organization);
                            self.decide(&principal, *node, keys, view)
                        })
                        .collect::<Vec<Option<Decided>>>()
                },
                || {
                    let mut reached = Vec::new();
                    for (from, to, edge) in edges.drain(..) {
                        added(from, to, edge.reach);
                        if tracking {
                            reached.push(to);
                        }
                        sink.add_edge(from, to, edge);
                    }
                    reached
                },
            );
            if let Some(met) = met.as_deref_mut() {
                met.mark(reached);
            }
            for batch in decided.into_iter().flatten() {
                edges.extend(batch.add_nodes(graph));
            }
            progress.inc(chunk.len() as u64);
        }
        let (_, mut sink) = graph.split();
        for (from, to, edge) in edges {
            added(from, to, edge.reach);
            sink.add_edge(from, to, edge);
        }
    }
}

/// Principals decided between two additions to the graph: enough to keep every thread busy,
/// few enough that their edges do not pile up in memory. Two chunks are in flight (one
/// decided, one added), so a chunk is half the 512 principals that were once decided alone.
/// The unit tests use chunks of three, so that their small snapshots span several.
const PRINCIPALS_PER_CHUNK: usize = if cfg!(test) { 3 } else { 256 };

/// For a search that leaves out what it has met: smaller chunks, so that what a level's
/// first principals reach spares the decisions of the next ones sooner. A level's principals
/// come account by account, some twenty to an account on a large organisation; on it the
/// widest radius took 10.8 s with chunks of 256, 9.2 s with 16 and 9.9 s with 4.
const MEETING_PRINCIPALS_PER_CHUNK: usize = if cfg!(test) { 3 } else { 16 };

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

#[cfg(test)]
mod tests;
