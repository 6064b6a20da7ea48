//! The organisation: its tree of root, OUs and accounts, and the service and resource control
//! policies attached along it.

use super::inventory::OrganizationsFile;
use super::load::{SourceFile, parse_policy, read};
use super::policy::Policy;
use crate::snapshot::{LoadError, json};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlKind {
    /// Service control policies: limit what principals of an account may do.
    Scp,
    /// Resource control policies: limit what may be done to resources of an account.
    Rcp,
}

#[derive(Debug, Clone)]
pub struct Organization {
    /// `o-...`, when the file says it (`Organization.Id`, or a root's ARN).
    pub id: Option<String>,
    pub management_account: Option<String>,
    /// Parent of every OU and account.
    parent: HashMap<String, String>,
    policies: Vec<(ControlKind, Policy)>,
    /// Target (root, OU or account id) to the policies attached to it.
    attached: HashMap<String, Vec<usize>>,
}

/// One level of the path from the root to an account, and the policies of one kind on it.
pub struct Level<'a> {
    pub target: &'a str,
    pub policies: Vec<&'a Policy>,
}

impl Organization {
    pub fn read(file: &SourceFile) -> Result<Organization, LoadError> {
        let bytes = read(file.disk)?;
        let raw: OrganizationsFile = json::from_slice(file.disk, &bytes)?;
        let mut parent = HashMap::new();
        for node in raw.organizational_units.iter().chain(&raw.accounts) {
            if let Some(p) = &node.parent_id {
                parent.insert(node.id.clone(), p.clone());
            }
        }
        let mut policies = Vec::new();
        let mut attached: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, entry) in raw.policies.iter().enumerate() {
            let kind = match entry.policy_summary.kind.as_str() {
                "SERVICE_CONTROL_POLICY" => ControlKind::Scp,
                "RESOURCE_CONTROL_POLICY" => ControlKind::Rcp,
                // Tag, backup and AI opt-out policies do not authorise anything.
                _ => continue,
            };
            let name = entry
                .policy_summary
                .name
                .clone()
                .unwrap_or_else(|| entry.policy_summary.id.clone());
            let policy = parse_policy(
                file,
                format!("/Policies/{i}/Content"),
                &name,
                &entry.content,
            )?;
            let index = policies.len();
            policies.push((kind, policy));
            for target in &entry.targets {
                attached
                    .entry(target.target_id.clone())
                    .or_default()
                    .push(index);
            }
        }
        // Accounts listed without a parent still belong to the organisation's root.
        if let Some(root) = raw.roots.first() {
            for account in &raw.accounts {
                parent
                    .entry(account.id.clone())
                    .or_insert_with(|| root.id.clone());
            }
        }
        let id = raw
            .organization
            .as_ref()
            .and_then(|o| o.id.clone())
            .or_else(|| {
                raw.roots.iter().find_map(|r| {
                    let arn = r.arn.as_deref()?;
                    let tail = arn.split(":root/").nth(1)?;
                    tail.split('/')
                        .next()
                        .filter(|o| o.starts_with("o-"))
                        .map(str::to_string)
                })
            });
        Ok(Organization {
            id,
            management_account: raw.management_account_id,
            parent,
            policies,
            attached,
        })
    }

    /// Every account and OU below the root.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        self.parent.keys().map(String::as_str)
    }

    /// Whether the account is a member (or the management account) of the organisation.
    pub fn contains(&self, account: &str) -> bool {
        self.parent.contains_key(account) || self.management_account.as_deref() == Some(account)
    }

    /// The levels from the root down to the account, each with its policies of `kind`;
    /// `None` when the account is not in the organisation.
    pub fn levels(&self, account: &str, kind: ControlKind) -> Option<Vec<Level<'_>>> {
        let mut chain = vec![
            self.parent
                .get_key_value(account)
                .map(|(k, _)| k.as_str())?,
        ];
        let mut at = account;
        // Bounded walk: a malformed file with a cycle must not hang.
        while let Some(p) = self.parent.get(at) {
            if chain.len() > 64 || chain.contains(&p.as_str()) {
                break;
            }
            chain.push(p);
            at = p;
        }
        chain.reverse();
        Some(
            chain
                .into_iter()
                .map(|target| Level {
                    target,
                    policies: self
                        .attached
                        .get(target)
                        .into_iter()
                        .flatten()
                        .filter(|&&i| self.policies[i].0 == kind)
                        .map(|&i| &self.policies[i].1)
                        .collect(),
                })
                .collect(),
        )
    }

    /// `aws:PrincipalOrgPaths` / `aws:ResourceOrgPaths` of an account:
    /// `o-xxxx/r-xxxx/ou-xxxx/` down to the account's parent.
    pub fn path_of(&self, account: &str) -> Option<String> {
        let id = self.id.as_deref()?;
        let levels = self.levels(account, ControlKind::Scp)?;
        let mut path = format!("{id}/");
        for level in levels.iter().filter(|l| l.target != account) {
            path.push_str(level.target);
            path.push('/');
        }
        Some(path)
    }

    /// Attaches one more control policy to a root, OU or account (what-if).
    pub fn attach(&mut self, kind: ControlKind, policy: Policy, target: &str) {
        let index = self.policies.len();
        self.policies.push((kind, policy));
        self.attached
            .entry(target.to_string())
            .or_default()
            .push(index);
    }

    /// Whether a root, OU or account id is part of the tree.
    pub fn knows(&self, target: &str) -> bool {
        self.parent.contains_key(target) || self.parent.values().any(|p| p == target)
    }

    pub fn has(&self, kind: ControlKind) -> bool {
        self.policies.iter().any(|(k, _)| *k == kind)
    }
}
