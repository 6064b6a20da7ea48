//! One principal asking for one action on many resources, as an escalation technique is tried
//! on every role of an account. Most of the statements such a request consults apply to every
//! resource (`"Resource": "*"`); the few that do not are found once, and resources they cannot
//! tell apart get the same decision, made once.

use super::{Authorizer, Decision, RCP_SERVICES, ResourcePolicy, must_be_allowed_by_resource};
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
    /// The statements the request consults that name its action but not every resource, in
    /// the order they are evaluated. `None` when each resource is asked about on its own: the
    /// authorizer explains its steps, which name the resource, or the action's service is
    /// governed by resource control policies, whose statements also look at the caller.
    telling: Option<Vec<&'a Statement>>,
    /// The owners of the resources asked about, and whether the snapshot names each: few,
    /// most often the principal's own account.
    owners: Vec<(String, bool)>,
    /// The context resource patterns with variables are resolved in, for the last owner.
    context: Option<(usize, Context)>,
    /// Decisions by what tells resources apart.
    answers: HashMap<Class, Decision, foldhash::fast::RandomState>,
    /// The last decision that could not be shared.
    alone: Option<Decision>,
}

/// Everything a decision of [`ManyResources`] depends on besides the principal, the action
/// and the request's keys.
#[derive(PartialEq, Eq, Hash)]
struct Class {
    /// In `owners`.
    owner: usize,
    pattern: bool,
    /// How each telling statement's resources apply to the resource.
    applies: Vec<Tri>,
}

impl<'q, 'a> ManyResources<'q, 'a> {
    /// Questions with `principal`'s context and `request_keys` on top, without a session
    /// policy; `unknown_policy_may_grant` as for [`Authorizer::decide_with`].
    pub fn new(
        authz: &'q Authorizer<'a>,
        principal: &'q Principal<'a>,
        action: &'q str,
        request_keys: &'q [(&'q str, &'q str)],
        unknown_policy_may_grant: bool,
    ) -> Self {
        let service = action.split(':').next().unwrap_or("").to_ascii_lowercase();
        let telling = (!authz.explain && !RCP_SERVICES.contains(&service.as_str())).then(|| {
            let mut telling = Vec::new();
            let mut consult = |policies: &[&'a Policy]| {
                for policy in policies.iter().filter(|p| !p.missing_document) {
                    for i in policy.candidates(&service) {
                        let statement = &policy.statements[i];
                        if action_matches(&statement.actions, action)
                            && !names_every_resource(statement)
                        {
                            telling.push(statement);
                        }
                    }
                }
            };
            // What `Authorizer::ask` consults besides the resource's own policy.
            consult(&principal.identity);
            consult(principal.boundary.as_slice());
            if !principal.is_service_linked() {
                let scps = authz.control_levels(
                    crate::aws::organization::ControlKind::Scp,
                    &principal.account.id,
                );
                for (_, policies) in scps.iter().flat_map(|levels| levels.iter()) {
                    consult(policies);
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
            telling,
            owners: Vec::new(),
            context: None,
            answers: HashMap::default(),
            alone: None,
        }
    }

    /// The decision on `resource`, the same as [`Authorizer::decide_with`]'s. Lent, not
    /// copied: a technique reads it for each of thousands of targets.
    pub fn decide(&mut self, resource: &str, pattern: bool) -> &Decision {
        let (authz, principal, action, keys, may_grant) = (
            self.authz,
            self.principal,
            self.action,
            self.request_keys,
            self.unknown_policy_may_grant,
        );
        let ask = || authz.decide_with(principal, action, resource, pattern, keys, may_grant);
        match self.class(resource, pattern) {
            Some(class) => self.answers.entry(class).or_insert_with(ask),
            None => self.alone.insert(ask()),
        }
    }

    /// What the decision on `resource` depends on, or `None` when it may depend on the
    /// resource itself: a resource-based policy may hold for it, or must allow it. (The
    /// resources that must be allowed by their own policy, roles for STS and KMS keys, belong
    /// to services RCPs govern, which are never shared today; the check stays in case that
    /// list changes.)
    fn class(&mut self, resource: &str, pattern: bool) -> Option<Class> {
        let telling = self.telling.as_ref()?;
        let authz = self.authz;
        let (owner, owner_known) = authz.owner(resource, &self.principal.account.id);
        if must_be_allowed_by_resource(self.action, resource)
            || !matches!(
                authz.resource_policy(self.action, resource, owner),
                ResourcePolicy::None
            )
        {
            return None;
        }
        let index = match self
            .owners
            .iter()
            .position(|(o, k)| o == owner && *k == owner_known)
        {
            Some(index) => index,
            None => {
                self.owners.push((owner.to_string(), owner_known));
                self.owners.len() - 1
            }
        };
        // Variables in a resource pattern resolve in the request's context, which holds the
        // owner's keys; without any, the principal's own context is never read.
        let context = if telling.iter().any(|s| s.resource_variables) {
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
            .iter()
            .map(|statement| resources_tell(statement, &request))
            .collect();
        Some(Class {
            owner: index,
            pattern,
            applies,
        })
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
    /// three accounts), every decision shared between resources equals the one asked for on
    /// its own, and sharing happens.
    #[test]
    fn shared_decisions_equal_the_ones_asked_alone() {
        let dir = tempfile::tempdir();
        assert!(dir.is_ok());
        let Ok(dir) = dir else { return };
        let generated = crate::synth::generate(crate::synth::Scale::new(3, 40, 90), 7, dir.path());
        assert!(generated.is_ok());
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
        for root in [dir.path(), example.as_path()] {
            let snapshot = Snapshot::open(root);
            assert!(snapshot.is_ok(), "{}", root.display());
            let Ok(snapshot) = snapshot else { return };
            compare_on(&snapshot);
        }
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
        let (mut asked, mut shared) = (0, 0);
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
                    for (authz, explain) in [(&quiet, false), (&explaining, true)] {
                        let mut many = ManyResources::new(authz, &principal, action, keys, false);
                        for resource in &resources {
                            let pattern = resource.contains('*');
                            let alone = authz
                                .decide_with(&principal, action, resource, pattern, keys, false);
                            let class = many.class(resource, pattern).is_some();
                            let together = many.decide(resource, pattern);
                            assert_eq!(
                                fields(together),
                                fields(&alone),
                                "{} {action} on {resource}",
                                principal.arn()
                            );
                            asked += 1;
                            shared += usize::from(class);
                            assert!(!(explain && class), "explained steps name the resource");
                        }
                    }
                }
            }
        }
        // Most questions are about IAM resources, which hold no resource policy.
        assert!(shared * 3 > asked, "{shared} of {asked}");
    }
}
