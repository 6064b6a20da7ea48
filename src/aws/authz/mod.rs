//! The complete decision for one request, as AWS documents its policy evaluation logic:
//! explicit deny anywhere wins; RCPs and SCPs must allow at every level; a resource-based
//! policy or the identity policies allow (both across accounts; role trust and KMS key
//! policies must allow in any case); permission boundaries and session policies limit.
//! Every step is three-valued, so an undecidable condition yields `conditional`, never a
//! guess.

use super::indexes::RoleIndex;
use super::model::{Account, Role};
use super::organization::{ControlKind, Organization};
use super::policy::{Context, Grant, Hit, Policy, Request, Tri, Verdict, evaluate};
use super::principal::Principal;
use crate::graph::{StatementRef, Undecided};
use std::collections::HashMap;
use std::sync::Arc;

mod many;
pub use many::ManyResources;

/// Services whose resources RCPs govern (AWS Organizations User Guide, "Resource control
/// policies"). Kept to the documented list: applying an RCP where AWS does not could hide reach.
const RCP_SERVICES: &[&str] = &["s3", "sts", "kms", "sqs", "secretsmanager"];

/// Services whose resources can carry a resource-based policy. For others the absence of a
/// policy is certain; for these it is only certain when the owner's policies were collected.
pub const RESOURCE_POLICY_SERVICES: &[&str] = &[
    "s3",
    "kms",
    "secretsmanager",
    "sqs",
    "sns",
    "lambda",
    "ecr",
    "glacier",
    "es",
    "backup",
    "events",
    "logs",
    "codeartifact",
    "execute-api",
    "dynamodb",
    "kinesis",
    "elasticfilesystem",
    "sts",
];

/// One question to the authorizer.
#[derive(Clone, Copy)]
struct Ask<'q> {
    action: &'q str,
    resource: &'q str,
    session_policy: Option<&'q Policy>,
    resource_is_pattern: bool,
    request_keys: &'q [(&'q str, &'q str)],
    unknown_policy_may_grant: bool,
}

impl<'q> Ask<'q> {
    fn new(action: &'q str, resource: &'q str) -> Self {
        Ask {
            action,
            resource,
            session_policy: None,
            resource_is_pattern: false,
            request_keys: &[],
            unknown_policy_may_grant: true,
        }
    }
}

/// The steps of one decision, built only when asked for.
struct Steps {
    on: bool,
    list: Vec<Step>,
}

impl Steps {
    fn add(&mut self, stage: &'static str, outcome: &'static str, detail: impl FnOnce() -> String) {
        if self.on {
            self.list.push(Step {
                stage,
                outcome,
                detail: detail(),
            });
        }
    }
}

/// One step of a decision, for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub stage: &'static str,
    pub outcome: &'static str,
    pub detail: String,
}

/// The answer to "may this principal do this action on this resource?".
#[derive(Debug, Clone)]
pub struct Decision {
    /// True: allowed; False: denied; Unknown: depends on `undecided`.
    pub value: Tri,
    /// Whether an explicit deny certainly applies.
    pub explicit_deny: bool,
    /// Whether an explicit deny applies, three-valued.
    pub deny: Tri,
    pub allowed_by: Vec<StatementRef>,
    pub denied_by: Vec<StatementRef>,
    pub undecided: Vec<Undecided>,
    pub steps: Vec<Step>,
    /// Whether the resource-based policy (a trust policy) names the caller itself rather
    /// than its account.
    pub resource_names_caller: Tri,
}

/// What a request's caller side decides: its context and the verdicts of the identity
/// policies, the boundary and every SCP and RCP level. Only the resource's own policy is
/// left to decide.
struct CallerSide<'a> {
    context: Context,
    identity: Verdict,
    boundary: Option<Verdict>,
    /// The levels evaluated, from the root down, and their verdicts in that order.
    scp_levels: Option<Levels<'a>>,
    scps: Vec<Verdict>,
    rcp_levels: Option<Levels<'a>>,
    rcps: Vec<Verdict>,
}

/// What the snapshot says about a resource's resource-based policy.
enum ResourcePolicy<'a> {
    Found(&'a Policy),
    /// Certainly none (an IAM user, a resource type without policies, or a collected account
    /// that lists none for it).
    None,
    /// Not in the snapshot: it may grant anything.
    Unknown(String),
}

pub struct Authorizer<'a> {
    /// Whether decisions list their steps (for `can`); the graph build needs none.
    explain: bool,
    accounts: &'a [Arc<Account>],
    /// Accounts by id and roles by ARN: every role assumption looks up its trust.
    account_by_id: Map<&'a str, &'a Account>,
    roles: Arc<RoleIndex>,
    organization: Option<&'a Organization>,
    by_arn: Map<&'a str, (&'a Account, &'a Policy)>,
    /// The SCP and RCP levels of every member, walked once: a build asks for them on every
    /// request.
    scp_levels: Map<&'a str, Levels<'a>>,
    rcp_levels: Map<&'a str, Levels<'a>>,
    /// `aws:ResourceOrgPaths` of every member, walked once for the same reason.
    org_paths: Map<&'a str, String>,
}

/// The authorizer's indexes hash with foldhash: a what-if makes them again over the whole
/// organisation (50,000 role ARNs on the large generated one).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The control-policy levels from the root down to an account: each target with its policies.
pub type Levels<'a> = std::sync::Arc<[(String, Vec<&'a Policy>)]>;

/// The levels of `kind` for every member of the organisation that they apply to.
fn all_levels<'a>(
    organization: Option<&'a Organization>,
    kind: ControlKind,
) -> Map<&'a str, Levels<'a>> {
    let Some(org) = organization.filter(|o| o.has(kind)) else {
        return Map::default();
    };
    org.members()
        .filter(|account| org.management_account.as_deref() != Some(*account))
        .filter_map(|account| {
            let levels = org.levels(account, kind)?;
            let levels: Levels<'a> = levels
                .into_iter()
                .map(|l| (l.target.to_string(), l.policies))
                .collect();
            Some((account, levels))
        })
        .collect()
}

impl<'a> Authorizer<'a> {
    pub fn new(accounts: &'a [Arc<Account>], organization: Option<&'a Organization>) -> Self {
        Self::with_roles(accounts, organization, Arc::new(RoleIndex::of(accounts)))
    }

    /// An authorizer that looks roles up in `roles`, an index made before (a what-if reuses
    /// its snapshot's); made again here when it does not fit the accounts.
    pub fn with_roles(
        accounts: &'a [Arc<Account>],
        organization: Option<&'a Organization>,
        roles: Arc<RoleIndex>,
    ) -> Self {
        let roles = if roles.fits(accounts) {
            roles
        } else {
            Arc::new(RoleIndex::of(accounts))
        };
        let mut by_arn = Map::default();
        for account in accounts {
            for (arn, policy) in account.resource_policies.iter().flatten() {
                by_arn.insert(arn.as_str(), (&**account, policy));
            }
        }
        Authorizer {
            explain: true,
            accounts,
            account_by_id: accounts
                .iter()
                .rev()
                .map(|a| (a.id.as_str(), &**a))
                .collect(),
            roles,
            organization,
            by_arn,
            scp_levels: all_levels(organization, ControlKind::Scp),
            rcp_levels: all_levels(organization, ControlKind::Rcp),
            org_paths: organization
                .map(|org| {
                    org.members()
                        .filter_map(|account| Some((account, org.path_of(account)?)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// An authorizer whose decisions skip the steps people read: building a graph makes
    /// hundreds of thousands of them.
    pub fn quiet(mut self) -> Self {
        self.explain = false;
        self
    }

    /// The account that owns a resource: the ARN's account field; for S3 (whose ARNs have
    /// none) the account whose resource policies list the bucket; otherwise the caller's own,
    /// the choice that can only widen what is allowed.
    fn owner<'r>(&'r self, resource: &'r str, caller_account: &'r str) -> (&'r str, bool) {
        if let Some(account) = resource
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
        {
            return (account, true);
        }
        let holder = policy_holder(resource);
        if let Some((account, _)) = self.by_arn.get(&*holder) {
            return (&account.id, true);
        }
        if let Some(account) = self
            .accounts
            .iter()
            .find(|a| a.resources_without_policy.iter().any(|r| *r == *holder))
        {
            return (&account.id, true);
        }
        (caller_account, false)
    }

    fn role(&self, arn: &str) -> Option<&'a Role> {
        let accounts: &'a [Arc<Account>] = self.accounts;
        self.roles.get(arn).map(|(a, r)| &accounts[a].roles[r])
    }

    fn resource_policy(&self, action: &str, resource: &str, owner: &str) -> ResourcePolicy<'a> {
        if is_role_arn(resource) && is_sts(action) {
            return match self.role(resource) {
                Some(role) => match &role.trust {
                    Some(trust) => ResourcePolicy::Found(trust),
                    None => ResourcePolicy::None,
                },
                None if self.account_by_id.contains_key(owner) => ResourcePolicy::None,
                None => ResourcePolicy::Unknown(format!(
                    "the trust policy of `{resource}` is not in the snapshot (account {owner})"
                )),
            };
        }
        if let Some((_, policy)) = self.by_arn.get(&*policy_holder(resource)) {
            return ResourcePolicy::Found(policy);
        }
        let service = resource.split(':').nth(2).unwrap_or("");
        if !RESOURCE_POLICY_SERVICES.contains(&service) || resource == "*" {
            return ResourcePolicy::None;
        }
        match self.account_by_id.get(owner) {
            Some(account) if account.resource_policies.is_some() => ResourcePolicy::None,
            _ => ResourcePolicy::Unknown(format!(
                "resource policies of account {owner} are not in the snapshot"
            )),
        }
    }

    /// Control-policy levels that apply, or `None` when none do.
    pub fn control_levels(&self, kind: ControlKind, account: &str) -> Option<Levels<'a>> {
        let levels = match kind {
            ControlKind::Scp => &self.scp_levels,
            ControlKind::Rcp => &self.rcp_levels,
        };
        levels.get(account).cloned()
    }

    /// Decides `principal` performing `action` on `resource`, in the principal's request
    /// context, optionally within a session policy.
    pub fn decide(
        &self,
        principal: &Principal,
        action: &str,
        resource: &str,
        session_policy: Option<&Policy>,
    ) -> Decision {
        self.ask(
            principal,
            &Ask {
                session_policy,
                ..Ask::new(action, resource)
            },
        )
    }

    /// Like [`Self::decide`] or [`Self::decide_some`], with condition keys the request
    /// carries on top of the principal's (`iam:PassedToService` for PassRole).
    /// `unknown_policy_may_grant = false` takes a resource policy the snapshot does not hold
    /// as absent: escalation techniques are judged on the policies the snapshot has, or every
    /// principal would conditionally reach every function of an account whose resource policies
    /// were not collected (the report lists that source as missing).
    pub fn decide_with(
        &self,
        principal: &Principal,
        action: &str,
        resource: &str,
        pattern: bool,
        context: &[(&str, &str)],
        unknown_policy_may_grant: bool,
    ) -> Decision {
        let ask = Ask {
            resource_is_pattern: pattern,
            request_keys: context,
            unknown_policy_may_grant,
            ..Ask::new(action, resource)
        };
        self.ask(principal, &ask)
    }

    /// Decides whether `principal` may perform `action` on *some* resource matching
    /// `resource_pattern` (any object under a bucket): allows count when they may touch one
    /// of them, denies only when they certainly cover all.
    pub fn decide_some(
        &self,
        principal: &Principal,
        action: &str,
        resource_pattern: &str,
    ) -> Decision {
        self.ask(
            principal,
            &Ask {
                resource_is_pattern: true,
                ..Ask::new(action, resource_pattern)
            },
        )
    }

    /// The context of a request: the principal's, the keys the request carries, and what is
    /// known of the resource's owner.
    fn request_context(
        &self,
        principal: &Principal,
        request_keys: &[(&str, &str)],
        owner: &str,
        owner_known: bool,
    ) -> Context {
        let mut context = principal.context.clone();
        for (key, value) in request_keys {
            context.set_for_request(key, *value);
        }
        if owner_known {
            context.set_for_request("aws:ResourceAccount", owner);
            if let Some(org) = self.organization.filter(|o| o.contains(owner)) {
                if let Some(id) = &org.id {
                    context.set_for_request("aws:ResourceOrgID", id.clone());
                }
                let path = match self.org_paths.get(owner) {
                    Some(path) => Some(path.clone()),
                    None => org.path_of(owner),
                };
                if let Some(path) = path {
                    context.set_for_request("aws:ResourceOrgPaths", path);
                }
            }
        }
        context
    }

    fn ask(&self, principal: &Principal, ask: &Ask) -> Decision {
        let (owner, owner_known) = self.owner(ask.resource, &principal.account.id);
        let side = self.caller_side(principal, ask, owner, owner_known);
        self.finish(principal, ask, (owner, owner_known), &side)
    }

    /// The verdicts of the policies `ask` consults besides the resource's own: the request's
    /// context, the identity policies, the boundary and every SCP and RCP level.
    fn caller_side(
        &self,
        principal: &Principal,
        ask: &Ask,
        owner: &str,
        owner_known: bool,
    ) -> CallerSide<'a> {
        let context = self.request_context(principal, ask.request_keys, owner, owner_known);
        let request = Request {
            action: ask.action,
            resource: ask.resource,
            resource_is_pattern: ask.resource_is_pattern,
            caller: None,
            context: &context,
        };
        let identity = evaluate(principal.identity.iter().copied(), &request);
        let boundary = principal.boundary.map(|b| evaluate([b], &request));
        let service_linked = principal.is_service_linked();
        let scp_levels = (!service_linked)
            .then(|| self.control_levels(ControlKind::Scp, &principal.account.id))
            .flatten();
        let scps = scp_levels.iter().flat_map(|l| l.iter());
        let scps = scps.map(|(_, policies)| evaluate(policies.iter().copied(), &request));
        let scps = scps.collect();
        let rcp_levels = (is_rcp_service(ask.action) && !service_linked)
            .then(|| self.control_levels(ControlKind::Rcp, owner))
            .flatten();
        let rcp_request = Request {
            caller: Some(&principal.caller),
            ..request
        };
        let rcps = rcp_levels.iter().flat_map(|l| l.iter());
        let rcps = rcps.map(|(_, policies)| evaluate(policies.iter().copied(), &rcp_request));
        let rcps = rcps.collect();
        CallerSide {
            identity,
            boundary,
            scp_levels,
            scps,
            rcp_levels,
            rcps,
            context,
        }
    }

    /// The decision on `ask`, from its caller's side and the resource's own policy. `owner`
    /// is the resource's owner and whether the snapshot names it.
    fn finish(
        &self,
        principal: &Principal,
        ask: &Ask,
        (owner, owner_known): (&str, bool),
        side: &CallerSide,
    ) -> Decision {
        let Ask {
            action,
            resource,
            session_policy,
            resource_is_pattern,
            request_keys: _,
            unknown_policy_may_grant,
        } = *ask;
        let caller_account = principal.account.id.as_str();
        let request = Request {
            action,
            resource,
            resource_is_pattern,
            caller: None,
            context: &side.context,
        };
        let mut steps = Steps {
            on: self.explain,
            list: Vec::new(),
        };
        let mut hits_allow: Vec<Hit> = Vec::new();
        let mut hits_deny: Vec<Hit> = Vec::new();
        let mut extra_undecided = Vec::new();
        let record = |verdict: &Verdict,
                      allows: bool,
                      hits_allow: &mut Vec<Hit>,
                      hits_deny: &mut Vec<Hit>| {
            hits_deny.extend(verdict.denies.iter().cloned());
            if allows {
                hits_allow.extend(verdict.allows.iter().cloned());
            }
        };

        let identity = &side.identity;
        let boundary = side.boundary.as_ref();
        let session = session_policy.map(|p| evaluate([p], &request));

        // SCPs: every level from the root down to the principal's account must allow; RCPs
        // the same, on the resource's account, for the services they govern.
        let mut control = |kind: &'static str,
                           levels: &Option<Levels>,
                           verdicts: &[Verdict],
                           hits_allow: &mut Vec<Hit>,
                           hits_deny: &mut Vec<Hit>| {
            let (mut ok, mut deny) = (Tri::True, Tri::False);
            let targets = levels.iter().flat_map(|l| l.iter());
            for ((target, _), v) in targets.zip(verdicts) {
                let allow = v.allow();
                ok = ok.and(allow);
                deny = deny.or(v.deny());
                steps.add(kind, outcome(allow.and(v.deny().not())), || {
                    let policies = if kind == "scp" { "service" } else { "resource" };
                    format!("{policies} control policies on `{target}`")
                });
                record(v, allow != Tri::True, hits_allow, hits_deny);
            }
            (ok, deny)
        };
        let (scp_ok, scp_deny) = control(
            "scp",
            &side.scp_levels,
            &side.scps,
            &mut hits_allow,
            &mut hits_deny,
        );
        let (rcp_ok, rcp_deny) = control(
            "rcp",
            &side.rcp_levels,
            &side.rcps,
            &mut hits_allow,
            &mut hits_deny,
        );

        // The resource-based policy, seen from the caller.
        let resource_policy = self.resource_policy(action, resource, owner);
        let must_allow = must_be_allowed_by_resource(action, resource);
        let trust_request = Request {
            caller: Some(&principal.caller),
            ..request
        };
        let (rp_direct, rp_account, rp_any, rp_deny) = match &resource_policy {
            ResourcePolicy::Found(policy) => {
                let v = evaluate([*policy], &trust_request);
                let direct = v.allow_where(|g| matches!(g, Some(Grant::Direct | Grant::Everyone)));
                // A role is limited by its boundary only when the policy names the role itself; a
                // grant to its session, or to everyone, is not (an over-approximation where the
                // documentation is silent).
                let session_named =
                    v.allow_where(|g| matches!(g, Some(Grant::Session | Grant::Everyone)));
                let account = v.allow_where(|g| g == Some(Grant::Account));
                let any = v.allow();
                let deny = v.deny();
                steps.add("resource policy", outcome(any.and(deny.not())), || {
                    format!("{} ({})", policy.source.name, policy.source.file)
                });
                hits_deny.extend(v.denies.iter().cloned());
                hits_allow.extend(v.allows.iter().cloned());
                ((direct, session_named), account, any, deny)
            }
            ResourcePolicy::None => {
                steps.add("resource policy", "none", || {
                    "no resource-based policy applies".into()
                });
                ((Tri::False, Tri::False), Tri::False, Tri::False, Tri::False)
            }
            ResourcePolicy::Unknown(_) if !unknown_policy_may_grant => {
                steps.add("resource policy", "none", || {
                    "not in the snapshot; taken as absent".into()
                });
                ((Tri::False, Tri::False), Tri::False, Tri::False, Tri::False)
            }
            ResourcePolicy::Unknown(why) => {
                steps.add("resource policy", "unknown", || why.clone());
                extra_undecided.push(Undecided {
                    key: "resource policy".into(),
                    reason: why.clone().into(),
                });
                (
                    (Tri::Unknown, Tri::False),
                    Tri::Unknown,
                    Tri::Unknown,
                    Tri::False,
                )
            }
        };
        let (rp_direct, rp_session) = rp_direct;

        let id_allow = identity.allow();
        let bd_allow = boundary.map(Verdict::allow).unwrap_or(Tri::True);
        let sp_allow = session.as_ref().map(Verdict::allow).unwrap_or(Tri::True);
        steps.add(
            "identity",
            outcome(id_allow.and(identity.deny().not())),
            || format!("{} identity policies", principal.identity.len()),
        );
        if let Some(b) = &boundary {
            steps.add(
                "permission boundary",
                outcome(b.allow().and(b.deny().not())),
                || {
                    principal
                        .boundary
                        .map(|p| p.source.name.clone())
                        .unwrap_or_default()
                },
            );
        }
        if let Some(s) = &session {
            steps.add(
                "session policy",
                outcome(s.allow().and(s.deny().not())),
                || "the policy passed when the session was minted".into(),
            );
        }
        hits_allow.extend(identity.allows.iter().cloned());
        hits_deny.extend(identity.denies.iter().cloned());
        for v in boundary.into_iter().chain(session.as_ref()) {
            hits_allow.extend(v.allows.iter().cloned());
            hits_deny.extend(v.denies.iter().cloned());
        }

        let deny = identity
            .deny()
            .or(boundary.map(Verdict::deny).unwrap_or(Tri::False))
            .or(session.as_ref().map(Verdict::deny).unwrap_or(Tri::False))
            .or(rp_deny)
            .or(scp_deny)
            .or(rcp_deny);
        let via_identity = id_allow.and(bd_allow).and(sp_allow);
        let allowed_if = |same_account: bool| {
            if same_account {
                // A resource policy naming the principal grants on its own: a user is not
                // limited by its boundary; a role ARN is limited by its boundary and session
                // policy; a role session ARN is not.
                let via_resource = if principal.is_user() {
                    rp_direct
                } else {
                    rp_direct.and(bd_allow).and(sp_allow).or(rp_session)
                };
                if must_allow {
                    via_resource.or(rp_account.and(via_identity))
                } else {
                    via_resource.or(via_identity)
                }
            } else {
                rp_any.and(via_identity)
            }
        };
        let same_account = owner == caller_account;
        // An owner the snapshot does not name is taken to be the caller's own account: within
        // one account at least as much is allowed as from outside it, so this never hides reach.
        if !owner_known {
            steps.add("resource owner", "assumed", || format!("the snapshot does not say which account owns `{resource}`; taken as {caller_account}, the reading that allows the most"));
        }
        let allowed = allowed_if(same_account);
        let value = allowed.and(scp_ok).and(rcp_ok).and(deny.not());

        let explicit_deny = deny == Tri::True;
        let denied_by: Vec<StatementRef> = hits_deny
            .iter()
            .filter(|h| h.value.possible())
            .map(|h| h.statement.clone())
            .collect();
        let allowed_by: Vec<StatementRef> = if value.possible() {
            hits_allow
                .iter()
                .filter(|h| h.value.possible())
                .map(|h| h.statement.clone())
                .collect()
        } else {
            Vec::new()
        };
        let mut undecided = Vec::new();
        if value == Tri::Unknown {
            undecided.extend(
                hits_allow
                    .iter()
                    .chain(&hits_deny)
                    .filter(|h| h.value == Tri::Unknown)
                    .flat_map(|h| h.undecided.iter().cloned()),
            );
            undecided.extend(extra_undecided);
            undecided.sort();
            undecided.dedup();
        }
        steps.add("decision", outcome(value), || if explicit_deny {
                "an explicit deny applies".into()
            } else if value == Tri::False {
                if same_account { "no policy allows it (implicit deny)".into() } else { "across accounts both the identity side and the resource policy must allow (implicit deny)".into() }
            } else if same_account {
                "within one account".into()
            } else {
                format!("across accounts ({caller_account} to {owner})")
            });
        Decision {
            value,
            resource_names_caller: rp_direct.or(rp_session),
            explicit_deny,
            deny,
            allowed_by,
            denied_by,
            undecided,
            steps: steps.list,
        }
    }
}

fn outcome(t: Tri) -> &'static str {
    match t {
        Tri::True => "allow",
        Tri::False => "deny",
        Tri::Unknown => "conditional",
    }
}

/// Whether the resource's own policy must allow the request whatever the identity policies
/// say: a role's trust policy for STS, a KMS key's policy.
fn must_be_allowed_by_resource(action: &str, resource: &str) -> bool {
    is_role_arn(resource) && is_sts(action) || is_kms_key(resource)
}

/// Whether RCPs govern the service of `action`, whatever its case.
fn is_rcp_service(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or("");
    RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
}

/// Whether an action is STS's, whatever its case.
fn is_sts(action: &str) -> bool {
    action
        .get(..4)
        .is_some_and(|service| service.eq_ignore_ascii_case("sts:"))
}

/// An ARN's service and resource fields (`iam`, `role/x`), read without copying: asked of
/// every resource of every decision.
fn service_and_resource(arn: &str) -> Option<(&str, &str)> {
    let mut fields = arn.splitn(6, ':');
    let _arn = fields.next()?;
    let _partition = fields.next()?;
    let service = fields.next()?;
    let _region = fields.next()?;
    let _account = fields.next()?;
    Some((service, fields.next()?))
}

fn is_role_arn(resource: &str) -> bool {
    resource.starts_with("arn:")
        && service_and_resource(resource)
            .is_some_and(|(service, path)| service == "iam" && path.starts_with("role/"))
}

fn is_kms_key(resource: &str) -> bool {
    service_and_resource(resource)
        .is_some_and(|(service, path)| service == "kms" && path.starts_with("key/"))
}

/// The ARN a resource's policy is attached to: an S3 object's bucket, a Lambda function
/// without its version or alias, the resource itself otherwise.
fn policy_holder(resource: &str) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = resource.strip_prefix("arn:aws:s3:::") {
        let bucket = rest.split('/').next().unwrap_or(rest);
        return format!("arn:aws:s3:::{bucket}").into();
    }
    if resource.split(':').nth(2) == Some("lambda") {
        let parts: Vec<&str> = resource.split(':').collect();
        if parts.len() == 8 && parts[5] == "function" {
            return parts[..7].join(":").into();
        }
    }
    resource.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_holders() {
        assert_eq!(policy_holder("arn:aws:s3:::b/k/x"), "arn:aws:s3:::b");
        assert_eq!(
            policy_holder("arn:aws:lambda:us-east-1:1:function:f:prod"),
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert_eq!(
            policy_holder("arn:aws:sqs:us-east-1:1:q"),
            "arn:aws:sqs:us-east-1:1:q"
        );
        assert!(is_role_arn("arn:aws:iam::111122223333:role/x/y"));
        assert!(!is_role_arn("arn:aws:iam::111122223333:user/x"));
        assert!(is_kms_key("arn:aws:kms:us-east-1:111122223333:key/abcd"));
        assert!(is_role_arn("arn:aws:iam::111122223333:role/a:b"));
        assert!(!is_role_arn("arn:aws:iam::111122223333:role"));
        assert!(!is_role_arn("arn:aws:iam::111122223333"));
        assert!(!is_role_arn("arn:aws:sts::111122223333:role/x"));
        assert!(!is_role_arn("*"));
        assert!(!is_kms_key("arn:aws:kms:us-east-1:111122223333:alias/abcd"));
        assert!(!is_kms_key("arn:aws:kms:us-east-1:111122223333"));
    }
}
