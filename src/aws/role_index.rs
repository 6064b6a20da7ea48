//! Roles by ARN across the organisation, made once per snapshot and reused by every what-if of
//! it: hashing 50,000 role ARNs scattered over the heap was a quarter of a what-if on the
//! large generated organisation.
//!
//! The index holds positions, not references, so an index of the snapshot serves a what-if's
//! copy of the accounts as long as their order and role lists are the same, which
//! [`RoleIndex::fits`] checks before the index is used.

use super::model::Account;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
        self.accounts.len() == accounts.len()
            && self.accounts.iter().zip(accounts).all(|(was, is)| {
                Arc::ptr_eq(was, is)
                    || (was.id == is.id
                        && was.roles.len() == is.roles.len()
                        && was.roles.iter().zip(&is.roles).all(|(a, b)| a.arn == b.arn))
            })
    }

    /// The positions of the role with this ARN, in the accounts the index [`fits`](Self::fits).
    pub fn get(&self, arn: &str) -> Option<(usize, usize)> {
        self.by_arn.get(arn).map(|&(a, r)| (a as usize, r as usize))
    }
}

/// A snapshot's role index, made on first use and made again when the snapshot's accounts no
/// longer fit it.
#[derive(Debug, Default)]
pub struct RoleIndexCell(Mutex<Option<Arc<RoleIndex>>>);

impl RoleIndexCell {
    pub fn get_or_make(&self, accounts: &[Arc<Account>]) -> Arc<RoleIndex> {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some(index) if index.fits(accounts) => index.clone(),
            _ => {
                let index = Arc::new(RoleIndex::of(accounts));
                *slot = Some(index.clone());
                index
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::model::Role;

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

    #[test]
    fn the_cell_makes_the_index_again_when_the_accounts_change() {
        let cell = RoleIndexCell::default();
        let accounts = vec![account("111122223333", &["a"])];
        let first = cell.get_or_make(&accounts);
        assert!(Arc::ptr_eq(&first, &cell.get_or_make(&accounts)));
        let other = vec![account("111122223333", &["a", "b"])];
        let second = cell.get_or_make(&other);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.get("arn:aws:iam::111122223333:role/b"), Some((0, 1)));
    }
}
