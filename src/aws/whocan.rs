//! `who-can --action`: every user and role of the snapshot that may perform an action on a
//! resource, decided like `blastmap can` (a role means a session of it).

use super::authz::{Authorizer, Decision};
use super::policy::Tri;
use super::principal::{PolicyBook, Principal};
use crate::snapshot::Snapshot;

/// Principals whose decision is allow or conditional, allowed first.
pub fn who_can_act(
    snapshot: &Snapshot,
    action: &str,
    resource: Option<&str>,
) -> Vec<(String, Decision)> {
    let accounts = &snapshot.aws_accounts;
    let book = PolicyBook::new(accounts);
    let authz = Authorizer::new(accounts, snapshot.organization.as_ref());
    let mut out = Vec::new();
    for account in accounts {
        let users = account
            .users
            .iter()
            .map(|u| Principal::user(account, u, &book));
        let roles = account
            .roles
            .iter()
            .map(|r| Principal::role(account, r, &book));
        for mut principal in users.chain(roles) {
            principal.with_organization(snapshot.organization.as_ref());
            let decision = match resource {
                Some(r) => authz.decide(&principal, action, r, None),
                None => authz.decide_some(&principal, action, "*"),
            };
            if decision.value.possible() {
                out.push((principal.arn().to_string(), decision));
            }
        }
    }
    out.sort_by_key(|(_, d)| d.value != Tri::True);
    out
}
