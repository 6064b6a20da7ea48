//! One principal asking for one action on many resources, as an escalation technique is tried
//! on every role of an account. Most of the statements such a request consults apply to every
//! resource (`"Resource": "*"`); the few that do not are found once, and resources they cannot
//! tell apart share what those statements decide: the whole decision when nothing else looks
//! at the resource, or the caller's side when each resource has a policy of its own (a role's
//! trust).

use super::{
    Ask, Authorizer, CallerSide, Decision, ResourcePolicy, is_rcp_service,
    must_be_allowed_by_resource,
};
use crate::aws::organization::ControlKind;
use crate::aws::policy::eval::{action_matches, names_every_resource, resources_tell};
use crate::aws::policy::{Context, Policy, Request, Statement, Tri};
use crate::aws::principal::Principal;
use std::collections::HashMap;

/// The questions of one principal for one action and request context, on many resources.
pub struct ManyResources<'q, 'a> {
    authz: &'q Authorizer<'a>,
    principal: &'q Principal<'a>,
    action: &'q str,
    request_keys: &'q [(&'q str, &'q str)],
    unknown_policy_may_grant: bool,
    /// Whether each resource's own policy is decided for it, the rest shared.
    per_resource_policy: bool,
    /// The statements of the identity policies, boundary and SCPs that name the action but
    /// not every resource, in the order they are evaluated. `None` when each resource is asked
    /// about on its own: the authorizer explains its steps, which name the resource.
    telling: Option<Vec<&'a Statement>>,
    /// The owners of the resources asked about: few, most often the principal's own account.
    owners: Vec<Owner<'a>>,
    /// The context resource patterns with variables are resolved in, for the last owner.
    context: Option<(usize, Context)>,
    /// Decisions by what tells resources apart.
    answers: HashMap<Class, Decision, foldhash::fast::RandomState>,
    /// The caller's sides by what tells resources apart, with `per_resource_policy`.
    sides: HashMap<Class, CallerSide<'a>, foldhash::fast::RandomState>,
    /// The last decision that was not shared whole.
    alone: Option<Decision>,
}

/// The account owning some of the resources asked about.
struct Owner<'a> {
    account: String,
    /// Whether the snapshot names the account.
    known: bool,
    /// With `per_resource_policy`, the statements of its RCPs that name the action but not
    /// every resource.
    rcp_telling: Vec<&'a Statement>,
}

/// Everything a shared decision or caller side of [`ManyResources`] depends on besides the
/// principal, the action and the request's keys.
#[derive(PartialEq, Eq, Hash)]
struct Class {
    /// In `owners`.
    owner: usize,
    pattern: bool,
    /// How each telling statement's resources apply to the resource, the owner's RCP
    /// statements last.
    applies: Vec<Tri>,
}

/// Adds to `telling` the statements of `policies` that name `action` but not every resource.
fn telling_in<'a>(policies: &[&'a Policy], action: &str, telling: &mut Vec<&'a Statement>) {
    let service = action.split(':').next().unwrap_or("").to_ascii_lowercase();
    for policy in policies.iter().filter(|p| !p.missing_document) {
        for i in policy.candidates(&service) {
            let statement = &policy.statements[i];
            if action_matches(&statement.actions, action) && !names_every_resource(statement) {
                telling.push(statement);
            }
        }
    }
}

impl<'q, 'a> ManyResources<'q, 'a> {
    /// Questions with `principal`'s context and `request_keys` on top, without a session
    /// policy; `unknown_policy_may_grant` as for [`Authorizer::decide_with`]. Whole decisions
    /// are shared between resources without a policy of their own.
    pub fn new(
        authz: &'q Authorizer<'a>,
        principal: &'q Principal<'a>,
        action: &'q str,
        request_keys: &'q [(&'q str, &'q str)],
        unknown_policy_may_grant: bool,
    ) -> Self {
        let telling = (!authz.explain).then(|| {
            // What `Authorizer::caller_side` consults besides RCPs.
            let mut telling = Vec::new();
            telling_in(&principal.identity, action, &mut telling);
            telling_in(principal.boundary.as_slice(), action, &mut telling);
            if !principal.is_service_linked() {
                let scps = authz.control_levels(ControlKind::Scp, &principal.account.id);
                for (_, policies) in scps.iter().flat_map(|levels| levels.iter()) {
                    telling_in(policies, action, &mut telling);
                }
            }
            telling
        });
        ManyResources {
            authz,
            principal,
            action,
            request_keys,
            unknown_policy_may_grant,
            per_resource_policy: false,
            telling,
            owners: Vec::new(),
            context: None,
            answers: HashMap::default(),
            sides: HashMap::default(),
            alone: None,
        }
    }

    /// The same questions about resources that each have a policy of their own, as roles
    /// have their trust: the caller's side (identity policies, boundary, SCPs and RCPs) is
    /// shared, the resource's policy decided for each.
    pub fn per_resource_policy(self) -> Self {
        ManyResources {
            per_resource_policy: true,
            ..self
        }
    }

    /// The decision on `resource`, the same as [`Authorizer::decide_with`]'s. Lent, not
    /// copied: a technique reads it for each of thousands of targets.
    pub fn decide(&mut self, resource: &str, pattern: bool) -> &Decision {
        let (authz, principal) = (self.authz, self.principal);
        let ask = Ask {
            resource_is_pattern: pattern,
            request_keys: self.request_keys,
            unknown_policy_may_grant: self.unknown_policy_may_grant,
            ..Ask::new(self.action, resource)
        };
        match self.class(resource, pattern) {
            Some((class, owner)) if self.per_resource_policy => {
                let side = self
                    .sides
                    .entry(class)
                    .or_insert_with(|| authz.caller_side(principal, &ask, owner.0, owner.1));
                self.alone
                    .insert(authz.finish(principal, &ask, owner, side))
            }
            Some((class, _)) => self
                .answers
                .entry(class)
                .or_insert_with(|| authz.ask(principal, &ask)),
            None => self.alone.insert(authz.ask(principal, &ask)),
        }
    }

    /// What the decision on `resource` depends on, or `None` when it may depend on the
    /// resource itself: when whole decisions are shared, a resource-based policy may hold
    /// for it or must allow it, or the action's service is governed by RCPs, whose
    /// statements also look at the caller. (The resources that must be allowed by their own
    /// policy, roles for STS and KMS keys, belong to services RCPs govern; the check stays in
    /// case that list changes.) With the class, the resource's owner and whether the
    /// snapshot names it, which the decision needs again.
    fn class<'r>(&mut self, resource: &'r str, pattern: bool) -> Option<(Class, (&'r str, bool))>
    where
        'q: 'r,
    {
        let telling = self.telling.as_ref()?;
        let authz = self.authz;
        let (owner, owner_known) = authz.owner(resource, &self.principal.account.id);
        if !self.per_resource_policy
            && (is_rcp_service(self.action)
                || must_be_allowed_by_resource(self.action, resource)
                || !matches!(
                    authz.resource_policy(self.action, resource, owner),
                    ResourcePolicy::None
                ))
        {
            return None;
        }
        let index = match self
            .owners
            .iter()
            .position(|o| o.account == owner && o.known == owner_known)
        {
            Some(index) => index,
            None => {
                let mut rcp_telling = Vec::new();
                let governed = is_rcp_service(self.action) && !self.principal.is_service_linked();
                if self.per_resource_policy && governed {
                    let rcps = authz.control_levels(ControlKind::Rcp, owner);
                    for (_, policies) in rcps.iter().flat_map(|levels| levels.iter()) {
                        telling_in(policies, self.action, &mut rcp_telling);
                    }
                }
                self.owners.push(Owner {
                    account: owner.to_string(),
                    known: owner_known,
                    rcp_telling,
                });
                self.owners.len() - 1
            }
        };
        let telling = telling.iter().chain(&self.owners[index].rcp_telling);
        // Variables in a resource pattern resolve in the request's context, which holds the
        // owner's keys; without any, the principal's own context is never read.
        let context = if telling.clone().any(|s| s.resource_variables) {
            if !matches!(&self.context, Some((o, _)) if *o == index) {
                let made =
                    authz.request_context(self.principal, self.request_keys, owner, owner_known);
                self.context = Some((index, made));
            }
            self.context.as_ref().map(|(_, c)| c)
        } else {
            None
        };
        let request = Request {
            action: self.action,
            resource,
            resource_is_pattern: pattern,
            caller: None,
            context: context.unwrap_or(&self.principal.context),
        };
        let applies = telling
            .map(|statement| resources_tell(statement, &request))
            .collect();
        let class = Class {
            owner: index,
            pattern,
            applies,
        };
        Some((class, (owner, owner_known)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::principal::{Entity, PolicyBook, Seed};
    use crate::snapshot::Snapshot;

    /// The fields of two decisions, for comparing them.
    fn fields(d: &Decision) -> String {
        format!(
            "{:?} {} {:?} {:?} {:?} {:?} {:?} {:?}",
            d.value,
            d.explicit_deny,
            d.deny,
            d.allowed_by,
            d.denied_by,
            d.undecided,
            d.steps,
            d.resource_names_caller
        )
    }

    /// On a generated organisation (SCPs naming one role, `NotAction` with conditions,
    /// `${aws:username}` resources, resource policies, trusts) and on the example one (RCPs,
    /// three accounts), every decision shared between resources, whole or by its caller's
    /// side, equals the one asked for on its own, and sharing happens.
    #[test]
    fn shared_decisions_equal_the_ones_asked_alone() {
        let dir = tempfile::tempdir();
        assert!(dir.is_ok());
        let Ok(dir) = dir else { return };
        let generated = crate::synth::generate(crate::synth::Scale::new(3, 40, 90), 7, dir.path());
        assert!(generated.is_ok());
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
        let guarded = tempfile::tempdir();
        assert!(guarded.is_ok());
        let Ok(guarded) = guarded else { return };
        with_guarding_rcp(&example, guarded.path());
        for root in [dir.path(), example.as_path(), guarded.path()] {
            let snapshot = Snapshot::open(root);
            assert!(snapshot.is_ok(), "{}", root.display());
            let Ok(snapshot) = snapshot else { return };
            compare_on(&snapshot);
        }
    }

    /// The example organisation with an RCP statement that names some roles only: a
    /// conditional deny of assuming the `deploy-*` roles from outside a network.
    fn with_guarding_rcp(from: &std::path::Path, to: &std::path::Path) {
        fn copy(from: &std::path::Path, to: &std::path::Path) {
            assert!(std::fs::create_dir_all(to).is_ok());
            for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
                let target = to.join(entry.file_name());
                if entry.path().is_dir() {
                    copy(&entry.path(), &target);
                } else {
                    assert!(std::fs::copy(entry.path(), &target).is_ok());
                }
            }
        }
        copy(from, to);
        let file = to.join("aws/organizations.json");
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let mut organization: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let guard = serde_json::json!({
            "Sid": "GuardDeployRoles",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::*:role/deploy-*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        });
        let mut guarded = 0;
        for policy in organization["Policies"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            if policy["PolicySummary"]["Name"] != "WorkloadsDataPerimeter" {
                continue;
            }
            let content = policy["Content"].as_str().unwrap_or_default();
            let mut content: serde_json::Value = serde_json::from_str(content).unwrap_or_default();
            if let Some(statements) = content["Statement"].as_array_mut() {
                statements.push(guard.clone());
                guarded += 1;
            }
            policy["Content"] = content.to_string().into();
        }
        assert_eq!(guarded, 1, "the example's data perimeter RCP");
        assert!(std::fs::write(&file, organization.to_string()).is_ok());
    }

    fn compare_on(snapshot: &Snapshot) {
        let accounts = &snapshot.aws_accounts;
        let organization = snapshot.organization.as_ref();
        let book = PolicyBook::new(accounts);
        let quiet = Authorizer::new(accounts, organization).quiet();
        let explaining = Authorizer::new(accounts, organization);
        let lambda = [("iam:PassedToService", "lambda.amazonaws.com")];
        let questions: [(&str, &[(&str, &str)]); 8] = [
            ("iam:PassRole", &lambda),
            ("iam:CreateAccessKey", &[]),
            ("iam:UpdateAssumeRolePolicy", &[]),
            ("iam:PutRolePolicy", &[]),
            ("lambda:CreateFunction", &[]),
            ("ec2:RunInstances", &[]),
            ("s3:GetObject", &[]),
            ("sts:AssumeRole", &[]),
        ];
        let (mut asked, mut shared, mut shared_sides) = (0, 0, 0);
        let (mut assumed, mut shared_assumed) = (0, 0);
        for account in accounts.iter().take(2) {
            let other = accounts.iter().find(|a| a.id != account.id);
            let mut resources: Vec<String> = account
                .users
                .iter()
                .map(|u| u.arn.clone())
                .chain(account.roles.iter().map(|r| r.arn.clone()))
                .chain(
                    other
                        .iter()
                        .flat_map(|o| o.roles.iter().take(5).map(|r| r.arn.clone())),
                )
                .collect();
            resources.extend([
                "*".to_string(),
                format!("arn:aws:iam::{}:role/*", account.id),
                format!("arn:aws:lambda:*:{}:function:*", account.id),
                "arn:aws:s3:::some-bucket/key".to_string(),
            ]);
            let seeds = account
                .users
                .iter()
                .map(Entity::User)
                .chain(account.roles.iter().map(Entity::Role))
                .step_by(3);
            for entity in seeds {
                let principal = Seed { account, entity }.principal(&book, organization);
                for (action, keys) in questions {
                    let modes = [(&quiet, false), (&explaining, true)]
                        .into_iter()
                        .flat_map(|mode| [(mode, false), (mode, true)]);
                    for ((authz, explain), per_resource) in modes {
                        let mut many = if per_resource {
                            ManyResources::new(authz, &principal, action, keys, true)
                                .per_resource_policy()
                        } else {
                            ManyResources::new(authz, &principal, action, keys, false)
                        };
                        for resource in &resources {
                            let pattern = resource.contains('*');
                            let alone = authz.decide_with(
                                &principal,
                                action,
                                resource,
                                pattern,
                                keys,
                                per_resource,
                            );
                            let class = many.class(resource, pattern).is_some();
                            let together = many.decide(resource, pattern);
                            assert_eq!(
                                fields(together),
                                fields(&alone),
                                "{} {action} on {resource} ({})",
                                principal.arn(),
                                if per_resource {
                                    "caller sides"
                                } else {
                                    "decisions"
                                }
                            );
                            let counts = if per_resource {
                                &mut shared_sides
                            } else {
                                &mut shared
                            };
                            *counts += usize::from(class);
                            asked += usize::from(!per_resource);
                            assumed += usize::from(per_resource && action == "sts:AssumeRole");
                            shared_assumed +=
                                usize::from(class && per_resource && action == "sts:AssumeRole");
                            assert!(!(explain && class), "explained steps name the resource");
                        }
                    }
                }
            }
        }
        // Most questions are about IAM resources, which hold no resource policy.
        assert!(shared * 3 > asked, "{shared} of {asked}");
        // The caller's side is shared for every question the quiet authorizer is asked,
        // role assumptions (STS: RCPs, trusts) included.
        assert!(shared_sides * 2 == asked, "{shared_sides} of {asked}");
        assert!(
            shared_assumed * 2 == assumed,
            "{shared_assumed} of {assumed}"
        );
    }
}
