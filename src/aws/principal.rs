//! Per principal: the policies that apply to it and what a request it makes carries.

use crate::aws::model::{Account, Role, User};
use crate::aws::policy::{Caller, Context, Policy, PolicySource};
use std::collections::HashMap;
use std::sync::Arc;

/// Managed policies by account and ARN, with a placeholder for every attached policy the
/// snapshot does not hold (it may allow anything).
pub struct PolicyBook<'a> {
    known: HashMap<(&'a str, &'a str), &'a Policy>,
    placeholders: HashMap<(String, String), Policy>,
}

impl<'a> PolicyBook<'a> {
    pub fn new(accounts: &'a [Arc<Account>]) -> Self {
        Self::of(accounts.iter().map(|a| &**a))
    }

    /// The book of some accounts only: principals of the others cannot be made from it.
    pub fn of(accounts: impl Iterator<Item = &'a Account> + Clone) -> Self {
        let mut known = HashMap::new();
        let mut placeholders = HashMap::new();
        for account in accounts.clone() {
            for (arn, policy) in &account.managed {
                known.insert((account.id.as_str(), arn.as_str()), policy);
            }
        }
        for account in accounts {
            let attached = account
                .users
                .iter()
                .flat_map(|u| u.attached.iter().chain(&u.boundary))
                .chain(account.groups.iter().flat_map(|g| &g.attached))
                .chain(
                    account
                        .roles
                        .iter()
                        .flat_map(|r| r.attached.iter().chain(&r.boundary)),
                );
            for arn in attached {
                if !known.contains_key(&(account.id.as_str(), arn.as_str())) {
                    let source = PolicySource {
                        file: Arc::from(account.gaad_file.as_str()),
                        pointer: "/Policies".into(),
                        name: arn.clone(),
                    };
                    placeholders.insert((account.id.clone(), arn.clone()), Policy::missing(source));
                }
            }
        }
        PolicyBook {
            known,
            placeholders,
        }
    }

    pub fn get(&self, account: &str, arn: &str) -> Option<&Policy> {
        self.known.get(&(account, arn)).copied().or_else(|| {
            self.placeholders
                .get(&(account.to_string(), arn.to_string()))
        })
    }

    /// Attached policies whose document is not in the snapshot, as (account, ARN).
    pub fn missing(&self) -> impl Iterator<Item = &(String, String)> {
        self.placeholders.keys()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Entity<'a> {
    User(&'a User),
    Role(&'a Role),
}

/// A principal of the snapshot before its [`Principal`] is made. A graph's build keeps one per
/// principal and makes each `Principal`, with its request context, only while its edges are
/// decided: the contexts of a whole organisation would otherwise stay resident the whole build.
#[derive(Debug, Clone, Copy)]
pub struct Seed<'a> {
    pub account: &'a Account,
    pub entity: Entity<'a>,
}

impl<'a> Seed<'a> {
    pub fn principal(
        self,
        book: &'a PolicyBook<'a>,
        organization: Option<&crate::aws::organization::Organization>,
    ) -> Principal<'a> {
        let mut principal = match self.entity {
            Entity::User(user) => Principal::user(self.account, user, book),
            Entity::Role(role) => Principal::role(self.account, role, book),
        };
        principal.with_organization(organization);
        principal
    }
}

/// A principal with everything evaluation needs.
#[derive(Clone)]
pub struct Principal<'a> {
    pub account: &'a Account,
    pub entity: Entity<'a>,
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    /// The request context of a call this principal makes with the leaked credentials.
    pub context: Context,
    pub caller: Caller,
}

impl<'a> Principal<'a> {
    pub fn arn(&self) -> &'a str {
        match self.entity {
            Entity::User(u) => &u.arn,
            Entity::Role(r) => &r.arn,
        }
    }

    /// Adds what the organisation says about the principal's account: `aws:PrincipalOrgID`
    /// and `aws:PrincipalOrgPaths` for a member, nothing when the account is not known to be
    /// one (it may belong to another organisation).
    pub fn with_organization(
        &mut self,
        organization: Option<&crate::aws::organization::Organization>,
    ) {
        let Some(org) = organization else { return };
        let Some(id) = &org.id else { return };
        if !org.contains(&self.account.id) {
            return;
        }
        self.context.set("aws:PrincipalOrgID", id.clone());
        if let Some(path) = org.path_of(&self.account.id) {
            self.context.set_many("aws:PrincipalOrgPaths", vec![path]);
        }
    }

    /// Service-linked roles are exempt from SCPs and RCPs.
    pub fn is_service_linked(&self) -> bool {
        matches!(self.entity, Entity::Role(r) if r.is_service_linked())
    }

    pub fn is_user(&self) -> bool {
        matches!(self.entity, Entity::User(_))
    }

    pub fn user(account: &'a Account, user: &'a User, book: &'a PolicyBook<'a>) -> Self {
        let mut identity: Vec<&Policy> = user.inline.iter().collect();
        identity.extend(
            user.attached
                .iter()
                .filter_map(|arn| book.get(&account.id, arn)),
        );
        for name in &user.groups {
            if let Some(group) = account.groups.iter().find(|g| &g.name == name) {
                identity.extend(group.inline.iter());
                identity.extend(
                    group
                        .attached
                        .iter()
                        .filter_map(|arn| book.get(&account.id, arn)),
                );
            }
        }
        let mut context = Context::new();
        context
            .set("aws:username", user.name.clone())
            .set("aws:userid", user.id.clone())
            .set("aws:PrincipalArn", user.arn.clone())
            .set("aws:PrincipalAccount", account.id.clone())
            .set("aws:PrincipalType", "User")
            .set("aws:PrincipalIsAWSService", "false")
            // A long-term access key carries neither MFA nor a token issue time.
            .set_absent("aws:MultiFactorAuthPresent")
            .set_absent("aws:MultiFactorAuthAge")
            .set_absent("aws:TokenIssueTime")
            .set_absent("aws:FederatedProvider")
            .set_absent("aws:SourceIdentity")
            .set_complete_prefix("aws:PrincipalTag/");
        for (k, v) in &user.tags {
            context.set(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        Principal {
            account,
            entity: Entity::User(user),
            identity,
            boundary: user
                .boundary
                .as_ref()
                .and_then(|arn| book.get(&account.id, arn)),
            context,
            caller: Caller {
                arn: user.arn.clone(),
                account: account.id.clone(),
                unique_id: Some(user.id.clone()),
                role_session_of: None,
                has_boundary: user.boundary.is_some(),
            },
        }
    }

    pub fn role(account: &'a Account, role: &'a Role, book: &'a PolicyBook<'a>) -> Self {
        let mut identity: Vec<&Policy> = role.inline.iter().collect();
        identity.extend(
            role.attached
                .iter()
                .filter_map(|arn| book.get(&account.id, arn)),
        );
        let mut context = Context::new();
        context
            .set("aws:PrincipalArn", role.arn.clone())
            .set("aws:PrincipalAccount", account.id.clone())
            .set("aws:PrincipalType", "AssumedRole")
            .set("aws:PrincipalIsAWSService", "false")
            .set_absent("aws:username")
            // The session name, and so aws:userid, is the caller's choice.
            .set_present_unknown("aws:userid")
            // The holder mints its sessions now: a session issued before a revocation
            // ("deny tokens issued before T") is not what it needs, a new one is.
            .set(
                "aws:TokenIssueTime",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            // Sessions minted from a leaked key carry no MFA: the holder has no device.
            .set("aws:MultiFactorAuthPresent", "false")
            .set_absent("aws:MultiFactorAuthAge");
        // Role tags are principal tags unless session tags override them, so they stay
        // unknown here: a holder allowed sts:TagSession chooses them.
        Principal {
            account,
            entity: Entity::Role(role),
            identity,
            boundary: role
                .boundary
                .as_ref()
                .and_then(|arn| book.get(&account.id, arn)),
            context,
            caller: Caller {
                arn: role.arn.clone(),
                account: account.id.clone(),
                unique_id: Some(role.id.clone()),
                role_session_of: Some(role.arn.clone()),
                has_boundary: role.boundary.is_some(),
            },
        }
    }
}
