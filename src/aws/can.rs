//! `blastmap can`: one request decided offline, as `aws iam simulate-principal-policy` would,
//! across accounts and with SCPs, RCPs and resource policies.

use super::authz::{Authorizer, Decision};
use super::model::Account;
use super::policy::{Context, Policy};
use super::principal::{PolicyBook, Principal};
use crate::snapshot::Snapshot;
use std::sync::Arc;

/// What signed the request: it decides the MFA and token-time keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Credential {
    /// A user's access key: no MFA, no token issue time.
    LongTerm,
    /// Temporary credentials: a token issue time, MFA unknown.
    Session,
    /// Not said: those keys are unknown unless given as context.
    #[default]
    Unknown,
}

#[derive(Debug, Clone)]
pub struct CanRequest {
    /// User or role ARN, or a unique user or role name.
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// Keys given by the person asking; they override what the snapshot says.
    pub context: Context,
    pub credential: Credential,
    pub session_policy: Option<Policy>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanError {
    #[error("no user or role `{principal}` in the snapshot{}", suggestion(.close))]
    UnknownPrincipal {
        principal: String,
        close: Option<String>,
    },
}

fn suggestion(close: &Option<String>) -> String {
    close
        .as_ref()
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// The principal's ARN and the decision.
pub fn can(snapshot: &Snapshot, request: &CanRequest) -> Result<(String, Decision), CanError> {
    let accounts = &snapshot.aws_accounts;
    let book = PolicyBook::new(accounts);
    let mut principal = find(accounts, &book, &request.principal)?;
    principal.with_organization(snapshot.organization.as_ref());
    adjust_context(&mut principal, request.credential);
    principal.context.merge_from(&request.context);
    let authz = Authorizer::new(accounts, snapshot.organization.as_ref());
    let decision = authz.decide(
        &principal,
        &request.action,
        &request.resource,
        request.session_policy.as_ref(),
    );
    Ok((principal.arn().to_string(), decision))
}

/// The radius models the holder of a leaked key; `can` answers for whatever credential the
/// asker names, so keys the radius fixes become unknown unless the credential decides them.
fn adjust_context(principal: &mut Principal, credential: Credential) {
    let entity = principal.entity;
    let ctx = &mut principal.context;
    if let super::principal::Entity::Role(role) = entity {
        // Always a role session, minted at a time `can` does not know unless told; whether
        // it carries MFA depends on how it was minted.
        ctx.set_present_unknown("aws:TokenIssueTime");
        ctx.unset("aws:MultiFactorAuthPresent");
        ctx.unset("aws:MultiFactorAuthAge");
        // Without session tags, a role session's principal tags are the role's tags.
        ctx.set_complete_prefix("aws:PrincipalTag/");
        for (k, v) in &role.tags {
            ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        return;
    }
    match credential {
        Credential::LongTerm => {}
        Credential::Session => {
            ctx.set_present_unknown("aws:TokenIssueTime");
            ctx.unset("aws:MultiFactorAuthPresent");
            ctx.unset("aws:MultiFactorAuthAge");
        }
        Credential::Unknown => {
            ctx.unset("aws:TokenIssueTime");
            ctx.unset("aws:MultiFactorAuthPresent");
            ctx.unset("aws:MultiFactorAuthAge");
        }
    }
}

fn find<'a>(
    accounts: &'a [Arc<Account>],
    book: &'a PolicyBook<'a>,
    wanted: &str,
) -> Result<Principal<'a>, CanError> {
    let wanted = wanted.trim();
    for account in accounts {
        if let Some(user) = account
            .users
            .iter()
            .find(|u| u.arn == wanted || u.name == wanted)
        {
            return Ok(Principal::user(account, user, book));
        }
        if let Some(role) = account
            .roles
            .iter()
            .find(|r| r.arn == wanted || r.name == wanted)
        {
            return Ok(Principal::role(account, role, book));
        }
    }
    // Compare with short names and ARNs alike: people type either.
    let candidates = accounts.iter().flat_map(|a| {
        let users = a
            .users
            .iter()
            .flat_map(|u| [u.name.as_str(), u.arn.as_str()]);
        let roles = a
            .roles
            .iter()
            .flat_map(|r| [r.name.as_str(), r.arn.as_str()]);
        users.chain(roles)
    });
    let close = candidates
        .map(|n| {
            (
                strsim::jaro_winkler(&wanted.to_lowercase(), &n.to_lowercase()),
                n,
            )
        })
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.to_string());
    Err(CanError::UnknownPrincipal {
        principal: wanted.to_string(),
        close,
    })
}
