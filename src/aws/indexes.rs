//! Indexes over a snapshot's roles, made once and reused by every what-if of it: roles by ARN
//! and trusts by the principals they name. Making them again per what-if hashed every role's
//! ARN and trust names, most of a what-if on the large generated organisation.
//!
//! The indexes hold positions, not references, so an index of the snapshot serves a what-if's
//! copy of the accounts as long as what it indexes is unchanged, which each index's `fits`
//! checks before it is used.

use super::lower::assume::TrustIndex;
use super::model::{Account, Role};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Whether `accounts` are those `indexed` (in the same order), each either the very account or
/// a copy whose roles are pairwise `alike`: what an index of the roles needs to still hold.
pub fn roles_alike(
    indexed: &[Arc<Account>],
    accounts: &[Arc<Account>],
    alike: impl Fn(&Role, &Role) -> bool,
) -> bool {
    indexed.len() == accounts.len()
        && indexed.iter().zip(accounts).all(|(was, is)| {
            Arc::ptr_eq(was, is)
                || (was.id == is.id
                    && was.roles.len() == is.roles.len()
                    && was.roles.iter().zip(&is.roles).all(|(a, b)| alike(a, b)))
        })
}

/// A snapshot's indexes, each made on first use from the accounts given at creation.
#[derive(Debug, Default)]
pub struct Indexes {
    accounts: Vec<Arc<Account>>,
    roles: OnceLock<Arc<RoleIndex>>,
    trusts: OnceLock<Arc<TrustIndex>>,
}

impl Indexes {
    pub fn new(accounts: Vec<Arc<Account>>) -> Self {
        Indexes {
            accounts,
            ..Indexes::default()
        }
    }

    pub fn roles(&self) -> Arc<RoleIndex> {
        self.roles
            .get_or_init(|| Arc::new(RoleIndex::of(&self.accounts)))
            .clone()
    }

    pub fn trusts(&self) -> Arc<TrustIndex> {
        self.trusts
            .get_or_init(|| Arc::new(TrustIndex::of(&self.accounts)))
            .clone()
    }
}

/// Role ARNs to (account position, role position); the first of equal ARNs wins, as a scan in
/// snapshot order would find.
#[derive(Debug)]
pub struct RoleIndex {
    /// The accounts indexed, kept alive so that pointer equality with them means "unchanged".
    accounts: Vec<Arc<Account>>,
    by_arn: HashMap<Box<str>, (u32, u32), foldhash::fast::RandomState>,
}

impl RoleIndex {
    pub fn of(accounts: &[Arc<Account>]) -> Self {
        let count = accounts.iter().map(|a| a.roles.len()).sum();
        let mut by_arn = HashMap::with_capacity_and_hasher(count, Default::default());
        for (a, account) in accounts.iter().enumerate() {
            for (r, role) in account.roles.iter().enumerate() {
                by_arn
                    .entry(role.arn.as_str().into())
                    .or_insert((a as u32, r as u32));
            }
        }
        RoleIndex {
            accounts: accounts.to_vec(),
            by_arn,
        }
    }

    /// Whether the index describes `accounts`: the same accounts in the same order, each
    /// either the very one indexed or a copy whose roles have the same ARNs in the same order.
    /// A what-if's copy of a changed account passes; an added, removed or renamed role fails.
    pub fn fits(&self, accounts: &[Arc<Account>]) -> bool {
        roles_alike(&self.accounts, accounts, |a, b| a.arn == b.arn)
    }

    /// The positions of the role with this ARN, in the accounts the index [`fits`](Self::fits).
    pub fn get(&self, arn: &str) -> Option<(usize, usize)> {
        self.by_arn.get(arn).map(|&(a, r)| (a as usize, r as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(account: &str, name: &str) -> Role {
        Role {
            pointer: String::new(),
            name: name.into(),
            id: format!("AROAEXAMPLE{name}"),
            arn: format!("arn:aws:iam::{account}:role/{name}"),
            path: "/".into(),
            inline: Vec::new(),
            attached: Vec::new(),
            boundary: None,
            tags: Vec::new(),
            trust: None,
            max_session_duration: None,
            instance_profiles: Vec::new(),
        }
    }

    fn account(id: &str, roles: &[&str]) -> Arc<Account> {
        Arc::new(Account {
            id: id.into(),
            roles: roles.iter().map(|n| role(id, n)).collect(),
            ..Account::default()
        })
    }

    #[test]
    fn the_first_of_equal_arns_wins() {
        let mut second = (*account("111122223333", &["b"])).clone();
        second.roles.push(role("111122223333", "a"));
        let accounts = vec![account("111122223333", &["a"]), Arc::new(second)];
        let index = RoleIndex::of(&accounts);
        assert_eq!(index.get("arn:aws:iam::111122223333:role/a"), Some((0, 0)));
        assert_eq!(index.get("arn:aws:iam::111122223333:role/b"), Some((1, 0)));
        assert_eq!(index.get("arn:aws:iam::111122223333:role/c"), None);
    }

    #[test]
    fn a_changed_copy_fits_and_a_renamed_role_does_not() {
        let accounts = vec![
            account("111122223333", &["a", "b"]),
            account("444455556666", &["c"]),
        ];
        let index = RoleIndex::of(&accounts);
        assert!(index.fits(&accounts));

        let mut copy = accounts.clone();
        Arc::make_mut(&mut copy[0]).roles[1].max_session_duration = Some(3600);
        assert!(index.fits(&copy), "a copy with the same roles fits");

        let mut renamed = accounts.clone();
        Arc::make_mut(&mut renamed[1]).roles[0].arn = "arn:aws:iam::444455556666:role/d".into();
        assert!(!index.fits(&renamed));

        let mut added = accounts.clone();
        Arc::make_mut(&mut added[1])
            .roles
            .push(role("444455556666", "e"));
        assert!(!index.fits(&added));

        assert!(!index.fits(&accounts[..1]));
        let reordered = vec![accounts[1].clone(), accounts[0].clone()];
        assert!(!index.fits(&reordered));
    }

    fn trust(principal: &str) -> Result<crate::aws::policy::Policy, String> {
        let source = crate::aws::policy::document::PolicySource {
            file: "aws/111122223333/gaad.json".into(),
            pointer: String::new(),
            name: "trust".into(),
        };
        let document = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]});
        crate::aws::policy::Policy::parse(source, &document).map_err(|e| e.to_string())
    }

    #[test]
    fn the_trust_index_fits_until_a_trust_changes() -> Result<(), String> {
        let mut first = (*account("111122223333", &["a", "b"])).clone();
        first.roles[0].trust = Some(trust("arn:aws:iam::111122223333:user/ci")?);
        let accounts = vec![Arc::new(first), account("444455556666", &["c"])];
        let index = TrustIndex::of(&accounts);
        assert!(index.fits(&accounts));

        let mut other_policies = accounts.clone();
        Arc::make_mut(&mut other_policies[0]).roles[1].attached =
            vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
        assert!(
            index.fits(&other_policies),
            "a change to identity policies keeps trusts"
        );

        let mut retrusted = accounts.clone();
        Arc::make_mut(&mut retrusted[0]).roles[0].trust =
            Some(trust("arn:aws:iam::444455556666:root")?);
        assert!(!index.fits(&retrusted));

        let mut untrusted = accounts.clone();
        Arc::make_mut(&mut untrusted[0]).roles[0].trust = None;
        assert!(!index.fits(&untrusted));
        Ok(())
    }
}
