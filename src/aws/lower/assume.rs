//! Role assumption: who may assume which role, under which conditions, and the sessions it
//! yields. Trust policies are indexed by the principals they name so that each principal is
//! checked only against the roles that could trust it.

use super::PROVIDER;
use super::batch::Batch;
use super::decide::{Decision, may_on_pattern};
use crate::aws::authz::{Authorizer, ManyResources};
use crate::aws::model::{Account, Role};
use crate::aws::policy::document::{Effect, PrincipalSet, Principals, Resources};
use crate::aws::policy::eval::action_matches;
use crate::aws::policy::{Tri, condition, pattern, statement_ref};
use crate::aws::principal::Principal;
use crate::graph::{Edge, EdgeKind, Evidence, Graph, Node, NodeId, NodeKind, Text, Undecided};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The longest MaxSessionDuration a role can have; assumed when the snapshot lacks it.
const ROLE_SESSION_MAX_SECS: u32 = 43_200;

/// Role chaining caps a session at one hour whatever the role's maximum.
const CHAINED_SESSION_MAX_SECS: u32 = 3_600;

/// The action every role assumption is decided for.
pub(super) const ASSUME_ROLE: &str = "sts:AssumeRole";

/// Trust policies indexed by the principals they name, over roles given by their positions in
/// the accounts. Made once per snapshot for what-ifs whose changes leave trusts alone (see
/// [`TrustIndex::fits`]); a build makes its own.
#[derive(Debug)]
pub struct TrustIndex {
    /// The accounts indexed, kept alive so that pointer equality with them means "unchanged".
    accounts: Vec<Arc<Account>>,
    /// (account position, role position) of every role indexed, in snapshot order.
    roles: Vec<(u32, u32)>,
    /// Lower-cased principal names (ARN, unique id, account id, root ARN, assumed-role
    /// prefix) to the roles whose trust names them.
    by_name: HashMap<String, Vec<usize>, foldhash::fast::RandomState>,
    /// Roles whose trust names everyone (`*`) or uses `NotPrincipal`.
    open: Vec<usize>,
}

impl TrustIndex {
    /// Every role of every account.
    pub fn of(accounts: &[Arc<Account>]) -> Self {
        Self::of_some(accounts, |_| true, |_| true)
    }

    /// The roles `keep` accepts, of the accounts `in_account` accepts.
    fn of_some(
        accounts: &[Arc<Account>],
        in_account: impl Fn(&Account) -> bool,
        keep: impl Fn(&Role) -> bool,
    ) -> Self {
        let mut index = TrustIndex {
            accounts: accounts.to_vec(),
            roles: Vec::new(),
            by_name: HashMap::default(),
            open: Vec::new(),
        };
        for (a, account) in accounts.iter().enumerate() {
            if !in_account(account) {
                continue;
            }
            for (r, role) in account.roles.iter().enumerate() {
                if keep(role) {
                    let position = index.roles.len();
                    index.roles.push((a as u32, r as u32));
                    index.add_trust(position, role);
                }
            }
        }
        index
    }

    fn add_trust(&mut self, index: usize, role: &Role) {
        let Some(trust) = &role.trust else { return };
        for statement in &trust.statements {
            if statement.effect != Effect::Allow {
                continue;
            }
            match statement.principal.as_deref() {
                Some(Principals::Only(set))
                    if !set.everyone && !set.aws.iter().any(|n| n == "*") =>
                {
                    for name in &set.aws {
                        let key = index_key(name);
                        let roles = self.by_name.entry(key).or_default();
                        if roles.last() != Some(&index) {
                            roles.push(index);
                        }
                    }
                }
                Some(_) if self.open.last() != Some(&index) => self.open.push(index),
                _ => {}
            }
        }
    }

    /// Whether the index describes `accounts`: the same accounts in the same order, each
    /// either the very one indexed or a copy whose roles have the same ARNs and trusts in the
    /// same order (a what-if that changed a principal's policies copies its account).
    pub fn fits(&self, accounts: &[Arc<Account>]) -> bool {
        crate::aws::indexes::roles_alike(&self.accounts, accounts, |a, b| {
            a.arn == b.arn && a.trust == b.trust
        })
    }
}

/// Roles with their session nodes, and the index of their trusts.
pub struct RoleSessions<'a> {
    accounts_model: &'a [Arc<Account>],
    trusts: Arc<TrustIndex>,
    /// The session node of each indexed role; `None` for a role without a node, and in a
    /// reused set for a role no principal asked about.
    sessions: Vec<Option<NodeId>>,
    /// Whether the sessions are looked up on demand ([`Self::reuse`]).
    lazy: bool,
    accounts: HashSet<&'a str>,
}

impl<'a> RoleSessions<'a> {
    pub fn create(accounts: &'a [Arc<Account>], graph: &mut Graph) -> Self {
        Self::create_for(accounts, graph, |_| true, |_| true)
    }

    /// Like [`Self::create`], for the roles `keep` accepts only, of the accounts `in_account`
    /// accepts (a what-if that changed trusts and nothing else needs no other).
    pub fn create_for(
        accounts: &'a [Arc<Account>],
        graph: &mut Graph,
        in_account: impl Fn(&Account) -> bool,
        keep: impl Fn(&Role) -> bool,
    ) -> Self {
        let trusts = TrustIndex::of_some(accounts, in_account, |role| {
            keep(role) && graph.find_key(&role.arn).is_some()
        });
        let sessions = trusts
            .roles
            .iter()
            .map(|&(a, r)| {
                let account = &accounts[a as usize];
                let role = &account.roles[r as usize];
                let role_node = graph.find_key(&role.arn)?;
                Some(session_node(account, role, role_node, graph))
            })
            .collect();
        RoleSessions {
            accounts_model: accounts,
            trusts: Arc::new(trusts),
            sessions,
            lazy: false,
            accounts: accounts.iter().map(|a| a.id.as_str()).collect(),
        }
    }

    /// For a what-if over a graph that holds every role's session already, with a trust index
    /// made before that [fits](TrustIndex::fits) `accounts`: no session is known until
    /// [`Self::resolve`] looks up those its principals may assume.
    pub fn reuse(accounts: &'a [Arc<Account>], trusts: Arc<TrustIndex>) -> Self {
        RoleSessions {
            accounts_model: accounts,
            sessions: vec![None; trusts.roles.len()],
            lazy: true,
            trusts,
            accounts: accounts.iter().map(|a| a.id.as_str()).collect(),
        }
    }

    /// Looks up the sessions of the roles `principals` may assume (see [`Self::reuse`]); the
    /// sessions of a created set are all known already.
    pub fn resolve<'p>(
        &mut self,
        principals: impl IntoIterator<Item = &'p Principal<'p>>,
        graph: &Graph,
    ) {
        if !self.lazy {
            return;
        }
        for principal in principals {
            for (index, _) in self.candidates(principal) {
                if self.sessions[index].is_some() {
                    continue;
                }
                let (account, role) = self.role(index);
                self.sessions[index] = graph
                    .find_key(&role.arn)
                    .and_then(|_| graph.find_key(&session_key(account, role)));
            }
        }
    }

    /// The account and role at a position of the trust index.
    fn role(&self, index: usize) -> (&'a Account, &'a Role) {
        let (a, r) = self.trusts.roles[index];
        let account: &'a Account = &self.accounts_model[a as usize];
        (account, &account.roles[r as usize])
    }

    /// Every indexed role with its session node.
    fn with_sessions(&self) -> impl Iterator<Item = (&'a Account, &'a Role, NodeId)> + '_ {
        self.sessions.iter().enumerate().filter_map(|(i, session)| {
            let (account, role) = self.role(i);
            Some((account, role, (*session)?))
        })
    }

    /// Roles whose trust may name `principal`, in snapshot order, each with whether the trust
    /// names the caller itself (or everyone) rather than only its account.
    fn candidates(&self, principal: &Principal) -> Vec<(usize, bool)> {
        let caller = &principal.caller;
        let (named, account) = caller_names(
            &caller.arn,
            &caller.account,
            caller.unique_id.as_deref(),
            caller.role_session_of.as_deref(),
        );
        let trusts = &*self.trusts;
        let mut out: BTreeMap<usize, bool> = trusts.open.iter().map(|&i| (i, true)).collect();
        for name in &named {
            for &index in trusts.by_name.get(name).into_iter().flatten() {
                out.insert(index, true);
            }
        }
        for name in &account {
            for &index in trusts.by_name.get(name).into_iter().flatten() {
                out.entry(index).or_insert(false);
            }
        }
        out.into_iter().collect()
    }

    /// What the trusts of the roles `arns` name: a principal none of whose names is in it
    /// cannot assume them, before or after a change to those trusts.
    pub fn trusted_by(&self, arns: &HashSet<String>) -> TrustedNames {
        let wanted: HashSet<usize> = (0..self.trusts.roles.len())
            .filter(|&i| arns.contains(&self.role(i).1.arn))
            .collect();
        TrustedNames {
            everyone: self.trusts.open.iter().any(|i| wanted.contains(i)),
            names: self
                .trusts
                .by_name
                .iter()
                .filter(|(_, roles)| roles.iter().any(|i| wanted.contains(i)))
                .map(|(name, _)| name.clone())
                .collect(),
        }
    }
}

/// Names some trusts give to principals (lower-cased, as indexed), or everyone.
pub struct TrustedNames {
    everyone: bool,
    names: HashSet<String>,
}

impl TrustedNames {
    /// Whether the trusts name everyone, or the account itself (its id or root).
    pub fn names_account(&self, account: &str) -> bool {
        self.everyone
            || self.names.contains(account)
            || self.names.contains(&format!("arn:aws:iam::{account}:root"))
    }

    /// Whether the trusts may name some principal of `account` by itself: a name holding
    /// the account id, or a unique id (which holds none).
    pub fn may_name_in(&self, account: &str) -> bool {
        self.everyone
            || self
                .names
                .iter()
                .any(|n| n.contains(account) || !n.starts_with("arn:"))
    }

    /// Whether the trusts may name the user or role `arn` itself (`role` set for a role).
    pub fn names_caller(&self, arn: &str, account: &str, unique_id: &str, role: bool) -> bool {
        if self.everyone {
            return true;
        }
        let (named, _) = caller_names(arn, account, Some(unique_id), role.then_some(arn));
        named.iter().any(|n| self.names.contains(n))
    }
}

/// How trusts may name a caller: by itself (ARN, unique id, its role's sessions) and by its
/// account (id, root ARN), lower-cased as [`index_key`] stores them.
fn caller_names(
    arn: &str,
    account: &str,
    unique_id: Option<&str>,
    role_session_of: Option<&str>,
) -> (Vec<String>, [String; 2]) {
    let mut named = vec![arn.to_lowercase()];
    if let Some(id) = unique_id {
        named.push(id.to_lowercase());
    }
    if let Some(name) = role_session_of.and_then(|r| r.rsplit('/').next()) {
        named.push(format!("arn:aws:sts::{account}:assumed-role/{name}/").to_lowercase());
    }
    (
        named,
        [account.to_string(), format!("arn:aws:iam::{account}:root")],
    )
}

/// The role ARN patterns on which a principal's identity policies may allow `sts:AssumeRole`.
/// A trust that names only the caller's account (its id or root) delegates to those policies,
/// so a role none of them can match is not assumable and needs no full decision.
struct AssumeGrants<'p> {
    /// A policy without a document, `NotResource`, or `*`: any role may match.
    any: bool,
    patterns: Vec<&'p str>,
}

impl<'p> AssumeGrants<'p> {
    fn of(principal: &Principal<'p>) -> Self {
        let mut grants = AssumeGrants {
            any: false,
            patterns: Vec::new(),
        };
        for policy in &principal.identity {
            if policy.missing_document {
                grants.any = true;
            }
            for statement in &policy.statements {
                if statement.effect != Effect::Allow
                    || !action_matches(&statement.actions, ASSUME_ROLE)
                {
                    continue;
                }
                match &statement.resources {
                    Some(Resources::Only(list)) => {
                        grants.patterns.extend(list.iter().map(String::as_str))
                    }
                    Some(Resources::AllBut(_)) | None => grants.any = true,
                }
            }
        }
        grants
    }

    /// Whether some pattern may match `arn`. Policy variables are resolved per request, so a
    /// pattern holding one is taken to match; case is ignored, which can only widen.
    fn may_match(&self, arn: &str) -> bool {
        self.any
            || self
                .patterns
                .iter()
                .any(|p| p.contains("${") || pattern::matches(p, arn, true))
    }
}

/// The key of the node standing for every session of a role.
fn session_key(account: &Account, role: &Role) -> String {
    format!("arn:aws:sts::{}:assumed-role/{}/*", account.id, role.name)
}

/// The session node of a role, added with its edge to the role when the graph lacks it.
fn session_node(account: &Account, role: &Role, role_node: NodeId, graph: &mut Graph) -> NodeId {
    let key = session_key(account, role);
    // Built again for a what-if overlay: the session and its edge exist already.
    if let Some(session) = graph.find_key(&key) {
        return session;
    }
    // Between 1 h (the default) and 12 h when unknown: plan for the longest.
    let max = role
        .max_session_duration
        .unwrap_or(ROLE_SESSION_MAX_SECS)
        .to_string();
    let session = graph.add_node(
        Node::new(
            NodeKind::Session,
            PROVIDER,
            "role-session",
            key,
            format!("session of role/{}", role.name),
        )
        .in_account(&account.id)
        .with_attr("max_duration_secs", max),
    );
    graph.add_edge(
        session,
        role_node,
        Edge::new(
            EdgeKind::ActsAs,
            Evidence::new("a role session acts as its role"),
        ),
    );
    session
}

/// How a trust names a principal, normalised for the index: assumed-role session ARNs are
/// cut after the role name, since the caller picks the session name.
fn index_key(name: &str) -> String {
    let lower = name.to_lowercase();
    if let Some(rest) = lower.strip_prefix("arn:aws:sts::") {
        if let Some((account, tail)) = rest.split_once(":assumed-role/") {
            if let Some((role, _session)) = tail.split_once('/') {
                return format!("arn:aws:sts::{account}:assumed-role/{role}/");
            }
        }
    }
    lower
}

/// `principal` assumes every role whose trust and its own policies allow it.
pub fn assume_edges(
    principal: &Principal,
    node: NodeId,
    roles: &RoleSessions,
    authz: &Authorizer,
    only: Option<&std::collections::HashSet<String>>,
    met: super::Met,
    graph: &mut Batch,
) {
    let grants = AssumeGrants::of(principal);
    // The trust differs per role; the caller's side is shared between the roles its
    // statements cannot tell apart.
    let mut assume =
        ManyResources::new(authz, principal, ASSUME_ROLE, &[], true).per_resource_policy();
    for (index, named) in roles.candidates(principal) {
        let (account, role) = roles.role(index);
        // A role no principal asked about, or without a session in the graph.
        let Some(session) = roles.sessions[index] else {
            continue;
        };
        if only.is_some_and(|o| !o.contains(&role.arn)) || met.has(session) {
            continue;
        }
        if !named && !grants.may_match(&role.arn) {
            continue;
        }
        if role.arn == principal.arn() {
            // A role may trust itself; assuming it adds nothing to what its session reaches.
            continue;
        }
        let _ = account;
        if let Some(edge) = decide_assume(&mut assume, principal, role) {
            graph.add_edge(node, session, edge);
        }
    }
    if only.is_none() {
        outside_snapshot(principal, node, roles, graph);
    }
}

fn decide_assume(assume: &mut ManyResources, principal: &Principal, role: &Role) -> Option<Edge> {
    if role.is_service_linked() || role.trust.is_none() {
        return None;
    }
    let decision = assume.decide(&role.arn, false);
    if !decision.value.possible() {
        return None;
    }
    let identity_used = decision.resource_names_caller != Tri::True;
    let mechanism = if principal.account.id != role.arn.split(':').nth(4).unwrap_or_default() {
        format!(
            "sts:AssumeRole across accounts: the trust policy of role/{} and the caller's identity policies allow it",
            role.name
        )
    } else if identity_used {
        format!(
            "sts:AssumeRole: the trust policy of role/{} trusts account {} and the caller's identity policies allow it",
            role.name, principal.account.id
        )
    } else {
        format!(
            "sts:AssumeRole: the trust policy of role/{} names the {}",
            role.name,
            if principal.is_user() { "user" } else { "role" }
        )
    };
    let mut notes = Vec::new();
    if principal.is_user() {
        notes.push(match role.max_session_duration {
            Some(secs) => format!(
                "the session lasts up to {} (MaxSessionDuration)",
                hours(secs)
            ),
            None => {
                "the session lasts up to 1 h to 12 h (MaxSessionDuration is not in the snapshot)"
                    .to_string()
            }
        });
    } else {
        notes.push(format!(
            "role chaining: the session lasts at most {}",
            hours(CHAINED_SESSION_MAX_SECS)
        ));
    }
    let mut evidence = Evidence::new(mechanism);
    evidence.statements = decision.allowed_by.iter().cloned().collect();
    if decision.value == Tri::Unknown && !decision.denied_by.is_empty() {
        notes.push("a deny statement applies unless its conditions are false".to_string());
        evidence
            .statements
            .extend(decision.denied_by.iter().cloned());
    }
    evidence.undecided = decision.undecided.iter().cloned().collect();
    if decision.value == Tri::Unknown && evidence.undecided.is_empty() {
        evidence.undecided.push(Undecided {
            key: "policy".into(),
            reason: "the policies involved could not be fully decided".into(),
        });
    }
    evidence.notes = notes.into_iter().map(Text::from).collect();
    evidence.session_max_secs = Some(if principal.is_user() {
        role.max_session_duration.unwrap_or(ROLE_SESSION_MAX_SECS)
    } else {
        CHAINED_SESSION_MAX_SECS
    });
    Some(Edge::new(EdgeKind::Assumes, evidence))
}

fn hours(secs: u32) -> String {
    if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} min", secs / 60)
    }
}

/// Identity policies that let the principal assume roles the snapshot does not hold (another
/// account's, or any account's): an edge to a node standing for those roles, conditional on
/// trust policies the snapshot cannot show.
fn outside_snapshot(principal: &Principal, node: NodeId, roles: &RoleSessions, graph: &mut Batch) {
    let mut patterns = BTreeSet::new();
    for policy in &principal.identity {
        if policy.missing_document {
            // A policy the snapshot does not hold may allow sts:AssumeRole on anything.
            patterns.insert("*".to_string());
        }
        for statement in &policy.statements {
            if statement.effect != Effect::Allow || !action_matches(&statement.actions, ASSUME_ROLE)
            {
                continue;
            }
            match &statement.resources {
                Some(Resources::Only(list)) => patterns.extend(list.iter().cloned()),
                Some(Resources::AllBut(_)) | None => {
                    patterns.insert("*".to_string());
                }
            }
        }
    }
    for pattern in patterns {
        let account = foreign_account(&pattern);
        let Some(account) = account.filter(|a| !roles.accounts.contains(a.as_str())) else {
            continue;
        };
        let allowed = may_on_pattern(principal, ASSUME_ROLE, &pattern);
        if !allowed.value.possible() {
            continue;
        }
        let where_ = if account == "*" {
            "any account outside the snapshot".to_string()
        } else {
            format!("account {account}, which is not in the snapshot")
        };
        let mut undecided = allowed.undecided;
        undecided.push(Undecided {
            key: "trust policy".into(),
            reason: format!(
                "`{pattern}` names roles in {where_}: reach depends on their trust policies"
            )
            .into(),
        });
        let decision = Decision {
            value: Tri::Unknown,
            statements: allowed.statements,
            undecided,
        };
        let target = graph.add_node(
            Node::new(
                NodeKind::Principal,
                PROVIDER,
                "external-role",
                format!("aws:external-role:{pattern}"),
                external_label(&pattern, &account),
            )
            .with_attr("pattern", &pattern),
        );
        if let Some(edge) = decision.edge(
            EdgeKind::Assumes,
            "sts:AssumeRole on roles outside the snapshot: an identity policy allows it",
            vec![],
        ) {
            graph.add_edge(node, target, edge);
        }
    }
}

fn external_label(pattern: &str, account: &str) -> String {
    match pattern.rsplit_once(":role/") {
        Some((_, name)) if !crate::aws::policy::pattern::has_wildcard(pattern) => {
            format!("role/{name} in account {account} (outside the snapshot)")
        }
        _ => format!("roles matching {pattern} (outside the snapshot)"),
    }
}

/// The account part of a role ARN pattern, `*` when any account matches; `None` when the
/// pattern cannot name a role.
fn foreign_account(pattern: &str) -> Option<String> {
    if pattern == "*" {
        return Some("*".into());
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if parts.len() < 6 || !crate::aws::policy::pattern::intersects(parts[2], "iam", true) {
        return None;
    }
    if !crate::aws::policy::pattern::intersects(parts[5], "role/*", false) {
        return None;
    }
    let account = parts[4];
    if crate::aws::policy::pattern::has_wildcard(account) {
        Some("*".into())
    } else {
        Some(account.to_string())
    }
}

/// Services and identity providers a trust policy lets in: nodes with edges into the role's
/// session, so that reverse queries and escalation rules can start from them.
pub fn external_trusts(roles: &RoleSessions, graph: &mut Graph) {
    for (account, role, session) in roles.with_sessions() {
        let Some(trust) = &role.trust else { continue };
        for statement in &trust.statements {
            let Some(Principals::Only(set)) = statement.principal.as_deref() else {
                continue;
            };
            if statement.effect != Effect::Allow {
                continue;
            }
            let (value, undecided) =
                condition::evaluate_all(&statement.conditions, &crate::aws::policy::Context::new());
            if !value.possible() {
                continue;
            }
            let evidence = |mechanism: String| {
                let mut e = Evidence::new(mechanism);
                e.statements.push(statement_ref(trust, statement));
                e.undecided = undecided.clone().into();
                e
            };
            for service in services(set) {
                let from = graph.add_node(Node::new(
                    NodeKind::Principal,
                    PROVIDER,
                    "service",
                    format!("aws:service:{service}"),
                    format!("service {service}"),
                ));
                graph.add_edge(
                    from,
                    session,
                    Edge::new(
                        EdgeKind::Assumes,
                        evidence(format!(
                            "the trust policy of role/{} lets the service {service} assume it",
                            role.name
                        )),
                    ),
                );
            }
            for provider in &set.federated {
                let action = if action_matches(&statement.actions, "sts:AssumeRoleWithWebIdentity")
                {
                    "sts:AssumeRoleWithWebIdentity"
                } else {
                    "sts:AssumeRoleWithSAML"
                };
                let from = graph.add_node(
                    Node::new(
                        NodeKind::Principal,
                        PROVIDER,
                        "identity-provider",
                        provider.clone(),
                        format!("identity provider {}", short_provider(provider)),
                    )
                    .in_account(&account.id),
                );
                graph.add_edge(from, session, Edge::new(EdgeKind::ExchangedFor, evidence(format!("{action}: tokens of this provider are exchanged for sessions of role/{}", role.name))));
            }
        }
    }
}

fn services(set: &PrincipalSet) -> impl Iterator<Item = &String> {
    set.service.iter()
}

fn short_provider(arn: &str) -> &str {
    arn.split_once(":oidc-provider/")
        .or_else(|| arn.split_once(":saml-provider/"))
        .map(|(_, p)| p)
        .unwrap_or(arn)
}

/// GetFederationToken needs `sts:GetFederationToken` on the federated user the holder names.
pub fn federation_token(principal: &Principal) -> Option<Evidence> {
    let pattern = format!("arn:aws:sts::{}:federated-user/*", principal.account.id);
    let decision = may_on_pattern(principal, "sts:GetFederationToken", &pattern);
    decision
        .edge(
            EdgeKind::Mints,
            "sts:GetFederationToken: an identity policy allows it",
            vec![
                "federation token credentials last up to 36 h and survive deleting the key".into(),
            ],
        )
        .map(|e| std::sync::Arc::unwrap_or_clone(e.evidence))
}
