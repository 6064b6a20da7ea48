//! Matching one request against policies: which statements apply, three-valued.

use super::condition::evaluate_all;
use super::context::Context;
use super::document::{Actions, Effect, Policy, PrincipalSet, Principals, Resources, Statement};
use super::pattern;
use super::tri::Tri;
use super::variables::{Resolved, resolve};
use crate::graph::{Citation, StatementRef, Undecided};

/// Who makes a request, as a resource-based policy (a trust policy) sees it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// ARN of the principal: a user ARN, or for a role session the role's ARN.
    pub arn: String,
    pub account: String,
    /// `AIDA...` / `AROA...`: a policy that names a deleted principal shows its old unique id.
    pub unique_id: Option<String>,
    /// Set when the caller is a session of this role (role chaining).
    pub role_session_of: Option<String>,
    /// Whether the caller has a permission boundary (it changes what `NotPrincipal` does).
    pub has_boundary: bool,
}

/// How a resource-based policy statement names the caller. Within an account a trust naming
/// the caller itself needs no identity-policy allow, one naming the account does; a trust
/// naming everyone is treated like one naming the caller, which can only over-report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// The statement names the caller's own ARN or unique id (for a role session: the role).
    Direct,
    /// The statement names the caller's role session (`arn:aws:sts::ACCOUNT:assumed-role/R/S`).
    Session,
    /// The statement names the caller's account (`arn:aws:iam::ACCOUNT:root` or the bare id).
    Account,
    /// The statement names everyone (`*`), or everyone but some (`NotPrincipal`).
    Everyone,
}

/// One statement that applies, or may apply, to a request.
#[derive(Debug, Clone)]
pub struct Hit {
    pub statement: StatementRef,
    pub value: Tri,
    pub grant: Option<Grant>,
    pub undecided: Vec<Undecided>,
}

/// What a set of policies says about one request.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub allows: Vec<Hit>,
    pub denies: Vec<Hit>,
}

impl Verdict {
    pub fn allow(&self) -> Tri {
        Tri::any(self.allows.iter().map(|h| h.value))
    }

    pub fn deny(&self) -> Tri {
        Tri::any(self.denies.iter().map(|h| h.value))
    }

    /// Allow through statements whose grant satisfies `keep`.
    pub fn allow_where(&self, keep: impl Fn(Option<Grant>) -> bool) -> Tri {
        Tri::any(
            self.allows
                .iter()
                .filter(|h| keep(h.grant))
                .map(|h| h.value),
        )
    }

    pub fn merge(mut self, other: Verdict) -> Verdict {
        self.allows.extend(other.allows);
        self.denies.extend(other.denies);
        self
    }
}

/// A request: an action on a resource, by a caller when resource-based policies are consulted.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// The resource is a pattern standing for resources the holder may pick (any object of a
    /// bucket): allows count when they may touch one of them, denies only when they cover all.
    pub resource_is_pattern: bool,
    pub caller: Option<&'a Caller>,
    pub context: &'a Context,
}

/// Evaluates every statement of `policies` against `request`.
pub fn evaluate<'p>(policies: impl IntoIterator<Item = &'p Policy>, request: &Request) -> Verdict {
    let mut verdict = Verdict::default();
    let service = request
        .action
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    for policy in policies {
        if policy.missing_document {
            verdict.allows.push(missing_document_hit(policy));
            continue;
        }
        for i in policy.candidates(&service) {
            let statement = &policy.statements[i];
            let Some(hit) = evaluate_statement(policy, statement, request) else {
                continue;
            };
            match statement.effect {
                Effect::Allow => verdict.allows.push(hit),
                Effect::Deny => verdict.denies.push(hit),
            }
        }
    }
    verdict
}

/// A policy without its document may allow anything: an undecided allow, never a deny.
pub fn missing_document_hit(policy: &Policy) -> Hit {
    Hit {
        statement: StatementRef::new(Citation {
            file: policy.source.file.clone(),
            pointer: policy.source.pointer.as_str().into(),
            policy: policy.source.name.as_str().into(),
            sid: None,
            effect: "allow",
        }),
        value: Tri::Unknown,
        grant: None,
        undecided: vec![Undecided {
            key: policy.source.name.as_str().into(),
            reason: "the policy is attached but its document is not in the snapshot".into(),
        }],
    }
}

/// How evidence cites a statement of `_policy`: made when the policy was parsed, shared.
pub fn statement_ref(_policy: &Policy, statement: &Statement) -> StatementRef {
    statement.reference.clone()
}

fn evaluate_statement(policy: &Policy, statement: &Statement, request: &Request) -> Option<Hit> {
    let mut undecided = Vec::new();
    let (principal, grant) = match (&statement.principal, request.caller) {
        (Some(principals), Some(caller)) => {
            match principal_matches(principals, caller, statement.effect) {
                (Tri::False, _) => return None,
                (value, grant) => {
                    if value == Tri::Unknown {
                        undecided.push(Undecided {
                        key: "NotPrincipal".into(),
                        reason: "the statement's NotPrincipal names the caller only in part (its account, role or session); AWS may match any of them".into(),
                    });
                    }
                    (value, Some(grant))
                }
            }
        }
        // A principal element only means something in a resource-based policy.
        (Some(_), None) | (None, _) => (Tri::True, None),
    };
    if !action_matches(&statement.actions, request.action) {
        return None;
    }
    let (resource, why) = resources_apply(statement, request);
    undecided.extend(why);
    if resource == Tri::False {
        return None;
    }
    let (conditions, why) = evaluate_all(&statement.conditions, request.context);
    if conditions == Tri::False {
        return None;
    }
    undecided.extend(why);
    let value = principal.and(resource).and(conditions);
    if value != Tri::Unknown {
        undecided.clear();
    }
    Some(Hit {
        statement: statement_ref(policy, statement),
        value,
        grant,
        undecided,
    })
}

pub fn action_matches(actions: &Actions, action: &str) -> bool {
    match actions {
        Actions::Only(patterns) => patterns.iter().any(|p| pattern::matches(p, action, true)),
        Actions::AllBut(patterns) => !patterns.iter().any(|p| pattern::matches(p, action, true)),
    }
}

/// Whether `statement`'s `Resource`/`NotResource` applies to the request's resource, and what
/// is undecided about it.
fn resources_apply(statement: &Statement, request: &Request) -> (Tri, Vec<Undecided>) {
    let Some(resources) = &statement.resources else {
        return (Tri::True, Vec::new());
    };
    let mode = match (request.resource_is_pattern, statement.effect) {
        (false, _) => ResourceMode::Exact,
        (true, Effect::Allow) => ResourceMode::Some,
        (true, Effect::Deny) => ResourceMode::All,
    };
    resource_matches(
        resources,
        request.resource,
        request.context,
        mode,
        statement.resource_variables,
    )
}

/// Whether `statement`'s resources apply to the request's, as [`evaluate`] decides it. What
/// is undecided about them depends on the statement and the context, never on the resource.
pub fn resources_tell(statement: &Statement, request: &Request) -> Tri {
    resources_apply(statement, request).0
}

/// Whether `statement` applies to every resource whatever the request names: it has no
/// `Resource` element or lists `*`.
pub fn names_every_resource(statement: &Statement) -> bool {
    match &statement.resources {
        None => true,
        Some(Resources::Only(patterns)) => patterns.iter().any(|p| p == "*"),
        Some(Resources::AllBut(_)) => false,
    }
}

/// How a statement's resources are compared with the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResourceMode {
    /// The request names one resource.
    Exact,
    /// The request names a pattern (some object of a bucket, any federated user name): the
    /// statement must apply to *some* resource of it.
    Some,
    /// The request names a pattern and the statement must apply to *every* resource of it
    /// (a deny that certainly cuts everything the pattern stands for).
    All,
}

fn resource_matches(
    resources: &Resources,
    resource: &str,
    ctx: &Context,
    mode: ResourceMode,
    variables: bool,
) -> (Tri, Vec<Undecided>) {
    let (patterns, negated) = match resources {
        Resources::Only(p) => (p, false),
        Resources::AllBut(p) => (p, true),
    };
    // `NotResource` inverts the question: some resource outside the list exists unless the
    // list covers the request, and every resource is outside it unless they overlap.
    let compare = |p: &str| match (mode, negated) {
        (ResourceMode::Exact, _) => pattern::matches(p, resource, false),
        (ResourceMode::Some, false) | (ResourceMode::All, true) => {
            pattern::intersects(p, resource, false)
        }
        (ResourceMode::All, false) | (ResourceMode::Some, true) => {
            pattern::covers(p, resource, false)
        }
    };
    let mut any = Tri::False;
    let mut undecided = Vec::new();
    for raw in patterns {
        if !variables || !raw.contains("${") {
            any = any.or(Tri::from_bool(compare(raw)));
            if any == Tri::True {
                break;
            }
            continue;
        }
        let m = match resolve(raw, ctx) {
            Resolved::Text(p) => Tri::from_bool(compare(&p)),
            Resolved::Missing { .. } => Tri::False,
            Resolved::Unknown { key } => {
                undecided.push(Undecided {
                    reason: format!(
                        "resource `{raw}` uses a policy variable not known from the snapshot"
                    )
                    .into(),
                    key: key.into(),
                });
                Tri::Unknown
            }
        };
        any = any.or(m);
    }
    let result = if negated { any.not() } else { any };
    if result != Tri::Unknown {
        undecided.clear();
    }
    (result, undecided)
}

/// Whether a `Principal`/`NotPrincipal` element applies to the caller, and how it names it.
fn principal_matches(principals: &Principals, caller: &Caller, effect: Effect) -> (Tri, Grant) {
    match principals {
        Principals::Only(set) => match names(set, caller) {
            Some(grant) => (Tri::True, grant),
            None => (Tri::False, Grant::Everyone),
        },
        Principals::AllBut(set) => (not_principal_applies(set, caller, effect), Grant::Everyone),
    }
}

/// `NotPrincipal` applies to everyone it does not name. A caller it does not name itself (a
/// user's ARN, a role session's ARN) is not excluded. AWS may also check the levels above it
/// (account, then role), so a named caller is certainly excluded only when those are named
/// too, and otherwise undecided (IAM User Guide, "NotPrincipal"). A deny with `NotPrincipal`
/// always applies to a principal with a permission boundary (IAM User Guide, "Permissions
/// boundaries").
fn not_principal_applies(set: &PrincipalSet, caller: &Caller, effect: Effect) -> Tri {
    if set.everyone {
        return Tri::False;
    }
    if effect == Effect::Deny && caller.has_boundary {
        return Tri::True;
    }
    let grants: Vec<Grant> = set
        .aws
        .iter()
        .filter_map(|name| aws_principal_names(name, caller))
        .collect();
    // The caller itself: a user by its ARN, a role session by its session ARN (a role ARN
    // does not name its sessions here).
    let individual = match &caller.role_session_of {
        Some(_) => grants.contains(&Grant::Session),
        None => grants.contains(&Grant::Direct),
    };
    if !individual {
        return Tri::True;
    }
    // Named itself; excluded for certain only when the levels above it are named too.
    let parents = grants.contains(&Grant::Account)
        && (caller.role_session_of.is_none() || grants.contains(&Grant::Direct));
    if parents { Tri::False } else { Tri::Unknown }
}

fn names(set: &PrincipalSet, caller: &Caller) -> Option<Grant> {
    if set.everyone {
        return Some(Grant::Everyone);
    }
    let mut best: Option<Grant> = None;
    for name in &set.aws {
        let grant = aws_principal_names(name, caller);
        best = match (best, grant) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    best
}

fn aws_principal_names(name: &str, caller: &Caller) -> Option<Grant> {
    if name == "*" {
        return Some(Grant::Everyone);
    }
    if name == caller.account || name == format!("arn:aws:iam::{}:root", caller.account) {
        return Some(Grant::Account);
    }
    if caller.unique_id.as_deref() == Some(name) {
        return Some(Grant::Direct);
    }
    // IAM names are unique without case; compare the same way so as never to miss a match.
    if name.eq_ignore_ascii_case(&caller.arn) {
        return Some(Grant::Direct);
    }
    if let Some(role_arn) = &caller.role_session_of {
        // `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: the caller chooses the session
        // name when it assumes the role, so any session name is within its reach.
        if let Some((account, role_name)) = role_arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.split_once(":role/"))
        {
            let short = role_name.rsplit('/').next().unwrap_or(role_name);
            let prefix = format!("arn:aws:sts::{account}:assumed-role/{short}/");
            if name.len() > prefix.len()
                && name.is_char_boundary(prefix.len())
                && name[..prefix.len()].eq_ignore_ascii_case(&prefix)
            {
                return Some(Grant::Session);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::policy::document::PolicySource;
    use serde_json::json;
    use std::sync::Arc;

    fn policy(doc: serde_json::Value) -> Policy {
        let source = PolicySource {
            file: Arc::from("gaad.json"),
            pointer: "/Policies/0".into(),
            name: "p".into(),
        };
        match Policy::parse(source, &doc) {
            Ok(p) => p,
            Err(e) => unreachable!("test policy must parse: {e}"),
        }
    }

    fn user() -> Caller {
        Caller {
            arn: "arn:aws:iam::111122223333:user/ci".into(),
            account: "111122223333".into(),
            unique_id: Some("AIDAEXAMPLE".into()),
            role_session_of: None,
            has_boundary: false,
        }
    }

    #[test]
    fn deny_and_allow_are_collected_separately() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/*"},
            {"Effect": "Deny", "Action": "sts:*", "Resource": "arn:aws:iam::111122223333:role/prod-*"}
        ]}));
        let ctx = Context::new();
        let req = Request {
            action: "STS:AssumeRole",
            resource: "arn:aws:iam::111122223333:role/prod-admin",
            resource_is_pattern: false,
            caller: None,
            context: &ctx,
        };
        let v = evaluate([&p], &req);
        assert_eq!((v.allow(), v.deny()), (Tri::True, Tri::True));
        assert_eq!(&*v.denies[0].statement.pointer, "/Policies/0/Statement/1");
        let req = Request {
            resource: "arn:aws:iam::111122223333:role/dev",
            resource_is_pattern: false,
            ..req
        };
        assert_eq!(evaluate([&p], &req).deny(), Tri::False);
    }

    /// Decisions shared between resources rest on this: a statement naming every resource
    /// applies, with nothing undecided, whatever the resource and however it is compared.
    #[test]
    fn a_statement_naming_every_resource_applies_to_any() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": ["arn:aws:iam::*:user/${aws:username}", "*"]},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:*"},
            {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:role/*"},
            {"Effect": "Allow", "Action": "iam:*", "NotResource": "*"}
        ]}));
        let ctx = Context::new();
        let every: Vec<bool> = p.statements.iter().map(names_every_resource).collect();
        assert_eq!(every, [true, true, true, false, false]);
        for resource in [
            "arn:aws:iam::111122223333:role/a",
            "arn:aws:iam::111122223333:role/*",
            "*",
            "",
            "arn:aws:s3:::b/ké?",
        ] {
            for pattern in [false, true] {
                let req = Request {
                    action: "iam:PassRole",
                    resource,
                    resource_is_pattern: pattern,
                    caller: None,
                    context: &ctx,
                };
                for statement in p.statements.iter().filter(|s| names_every_resource(s)) {
                    assert_eq!(
                        resources_apply(statement, &req),
                        (Tri::True, Vec::new()),
                        "{resource} {pattern}"
                    );
                }
            }
        }
    }

    #[test]
    fn not_action_and_not_resource() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "NotResource": "arn:aws:s3:::secret/*"}
        ]}));
        let ctx = Context::new();
        let req = |action, resource| Request {
            action,
            resource,
            resource_is_pattern: false,
            caller: None,
            context: &ctx,
        };
        assert_eq!(
            evaluate([&p], &req("s3:GetObject", "arn:aws:s3:::data/x")).allow(),
            Tri::True
        );
        assert_eq!(
            evaluate([&p], &req("iam:PassRole", "*")).allow(),
            Tri::False
        );
        assert_eq!(
            evaluate([&p], &req("s3:GetObject", "arn:aws:s3:::secret/x")).allow(),
            Tri::False
        );
    }

    #[test]
    fn trust_grants_by_how_they_name_the_caller() {
        let ctx = Context::new();
        let caller = user();
        let req = Request {
            action: "sts:AssumeRole",
            resource: "",
            resource_is_pattern: false,
            caller: Some(&caller),
            context: &ctx,
        };
        let grant = |principal: serde_json::Value| {
            let p = policy(
                json!({"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}),
            );
            evaluate([&p], &req).allows.first().and_then(|h| h.grant)
        };
        assert_eq!(
            grant(json!({"AWS": "arn:aws:iam::111122223333:user/ci"})),
            Some(Grant::Direct)
        );
        assert_eq!(grant(json!({"AWS": "AIDAEXAMPLE"})), Some(Grant::Direct));
        assert_eq!(grant(json!({"AWS": "111122223333"})), Some(Grant::Account));
        assert_eq!(
            grant(
                json!({"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/ci"]})
            ),
            Some(Grant::Direct)
        );
        assert_eq!(grant(json!("*")), Some(Grant::Everyone));
        assert_eq!(grant(json!({"Service": "ec2.amazonaws.com"})), None);
        assert_eq!(
            grant(json!({"AWS": "arn:aws:iam::444455556666:root"})),
            None
        );
    }

    #[test]
    fn role_sessions_match_their_role_and_any_session_name() {
        let ctx = Context::new();
        let caller = Caller {
            arn: "arn:aws:iam::111122223333:role/ops/build".into(),
            account: "111122223333".into(),
            unique_id: None,
            role_session_of: Some("arn:aws:iam::111122223333:role/ops/build".into()),
            has_boundary: false,
        };
        let req = Request {
            action: "sts:AssumeRole",
            resource: "",
            resource_is_pattern: false,
            caller: Some(&caller),
            context: &ctx,
        };
        let p = policy(
            json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/build/deploy-session"}}]}),
        );
        assert_eq!(
            evaluate([&p], &req).allows.first().and_then(|h| h.grant),
            Some(Grant::Session)
        );
    }

    #[test]
    fn unknown_variable_in_resource_is_undecided() {
        let p = policy(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey",
            "Resource": "arn:aws:iam::111122223333:user/${aws:PrincipalTag/owner}"}]}),
        );
        let ctx = Context::new();
        let req = Request {
            action: "iam:CreateAccessKey",
            resource: "arn:aws:iam::111122223333:user/bob",
            resource_is_pattern: false,
            caller: None,
            context: &ctx,
        };
        let v = evaluate([&p], &req);
        assert_eq!(v.allow(), Tri::Unknown);
        assert_eq!(v.allows[0].undecided[0].key, "aws:PrincipalTag/owner");
    }
}
