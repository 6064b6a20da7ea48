//! Reads one account's files (`aws/<ACCOUNT_ID>/...`) into an [`Account`].

use super::inventory::{
    AccessKeysFile, AttachedPolicy, CredentialReportRow, Gaad, InlinePolicy, ResourcePoliciesFile,
};
use super::model::{AccessKey, Account, Group, Role, User};
use super::policy::document::decode_document;
use super::policy::{Policy, PolicyError, PolicySource};
use crate::snapshot::{LoadError, json};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Where a file lives: its path on disk (for errors) and relative to the snapshot (for
/// evidence).
pub struct SourceFile<'a> {
    pub disk: &'a Path,
    pub relative: Arc<str>,
}

/// Reads `gaad.json`: the merged output, or a JSON array of pages.
pub fn read_gaad(file: &SourceFile) -> Result<Vec<(String, Gaad)>, LoadError> {
    let bytes = read(file.disk)?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        let pages: Vec<Gaad> = json::from_slice(file.disk, &bytes)?;
        Ok(pages
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("/{i}"), p))
            .collect())
    } else {
        Ok(vec![(String::new(), json::from_slice(file.disk, &bytes)?)])
    }
}

/// The account id a GAAD describes, from the first ARN of an account-owned entity.
pub fn account_of_gaad(pages: &[(String, Gaad)]) -> Option<String> {
    let arns = pages.iter().flat_map(|(_, g)| {
        g.user_detail_list
            .iter()
            .map(|u| u.arn.as_str())
            .chain(g.role_detail_list.iter().map(|r| r.arn.as_str()))
            .chain(g.group_detail_list.iter().map(|r| r.arn.as_str()))
            .chain(g.policies.iter().map(|p| p.arn.as_str()))
    });
    arns.filter_map(|arn| arn.split(':').nth(4))
        .find(|acct| acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

/// Builds the account model from GAAD pages, parsing every policy document.
pub fn account_from_gaad(
    id: &str,
    file: &SourceFile,
    pages: Vec<(String, Gaad)>,
) -> Result<Account, LoadError> {
    let mut account = Account {
        id: id.to_string(),
        gaad_file: file.relative.to_string(),
        ..Account::default()
    };
    let parse =
        |pointer: String, name: &str, document: &Value| parse_policy(file, pointer, name, document);
    for (page, gaad) in pages {
        for (i, p) in gaad.policies.iter().enumerate() {
            let base = format!("{page}/Policies/{i}");
            let default = p.policy_version_list.iter().enumerate().find(|(_, v)| {
                v.is_default_version
                    || (p.default_version_id.is_some() && v.version_id == p.default_version_id)
            });
            let name = p.arn.clone();
            let policy = match default {
                Some((v, version)) => match &version.document {
                    Some(doc) => {
                        parse(format!("{base}/PolicyVersionList/{v}/Document"), &name, doc)?
                    }
                    None => Policy::missing(source(
                        file,
                        format!("{base}/PolicyVersionList/{v}"),
                        &name,
                    )),
                },
                None => Policy::missing(source(file, base, &name)),
            };
            account.managed.insert(p.arn.clone(), policy);
            account
                .policy_versions
                .insert(p.arn.clone(), p.policy_version_list.len());
            // Versions not in force still matter to SetDefaultPolicyVersion: note one that
            // allows everything. A version that does not parse is not in force: skip it.
            let permissive = p
                .policy_version_list
                .iter()
                .filter(|v| !v.is_default_version)
                .any(|v| {
                    v.document
                        .as_ref()
                        .and_then(|d| parse_document(source(file, String::new(), &name), d).ok())
                        .is_some_and(|policy| {
                            policy.statements.iter().any(|s| {
                                s.effect == super::policy::Effect::Allow
                                    && s.conditions.is_empty()
                                    && super::policy::shape::all_actions(&s.actions)
                                    && super::policy::shape::all_resources(s.resources.as_ref())
                            })
                        })
                });
            if permissive {
                account.permissive_versions.insert(p.arn.clone());
            }
        }
        for (i, u) in gaad.user_detail_list.into_iter().enumerate() {
            let base = format!("{page}/UserDetailList/{i}");
            account.users.push(User {
                pointer: base.clone(),
                inline: inline_policies(
                    file,
                    &base,
                    "UserPolicyList",
                    &u.arn,
                    &u.user_policy_list,
                )?,
                attached: attached(&u.attached_managed_policies),
                name: u.user_name,
                id: u.user_id,
                arn: u.arn,
                groups: u.group_list,
                boundary: u.permissions_boundary.map(|b| b.permissions_boundary_arn),
                tags: u.tags.into_iter().map(|t| (t.key, t.value)).collect(),
                created: u.create_date,
            });
        }
        for (i, g) in gaad.group_detail_list.into_iter().enumerate() {
            let base = format!("{page}/GroupDetailList/{i}");
            account.groups.push(Group {
                pointer: base.clone(),
                inline: inline_policies(
                    file,
                    &base,
                    "GroupPolicyList",
                    &g.arn,
                    &g.group_policy_list,
                )?,
                attached: attached(&g.attached_managed_policies),
                name: g.group_name,
                id: g.group_id,
                arn: g.arn,
            });
        }
        for (i, r) in gaad.role_detail_list.into_iter().enumerate() {
            let base = format!("{page}/RoleDetailList/{i}");
            let trust = match &r.assume_role_policy_document {
                Some(doc) => Some(parse(
                    format!("{base}/AssumeRolePolicyDocument"),
                    &format!("trust policy of {}", r.arn),
                    doc,
                )?),
                None => None,
            };
            account.roles.push(Role {
                pointer: base.clone(),
                inline: inline_policies(
                    file,
                    &base,
                    "RolePolicyList",
                    &r.arn,
                    &r.role_policy_list,
                )?,
                attached: attached(&r.attached_managed_policies),
                name: r.role_name,
                id: r.role_id,
                arn: r.arn,
                path: r.path.unwrap_or_else(|| "/".into()),
                boundary: r.permissions_boundary.map(|b| b.permissions_boundary_arn),
                tags: r.tags.into_iter().map(|t| (t.key, t.value)).collect(),
                trust,
                max_session_duration: r.max_session_duration,
                instance_profiles: r
                    .instance_profile_list
                    .iter()
                    .map(|p| p.arn.clone())
                    .collect(),
            });
        }
    }
    Ok(account)
}

/// Reads `access-keys.json` into the account.
pub fn read_access_keys(account: &mut Account, file: &SourceFile) -> Result<(), LoadError> {
    let bytes = read(file.disk)?;
    let keys: AccessKeysFile = json::from_slice(file.disk, &bytes)?;
    account.keys = keys
        .access_key_metadata
        .into_iter()
        .enumerate()
        .map(|(i, k)| AccessKey {
            pointer: format!("/AccessKeyMetadata/{i}"),
            id: k.access_key_id,
            user: k.user_name,
            status: k.status,
            created: k.create_date,
            last_used: k.last_used,
        })
        .collect();
    account.has_access_keys = true;
    Ok(())
}

/// Reads `resource-policies.json` into the account.
pub fn read_resource_policies(account: &mut Account, file: &SourceFile) -> Result<(), LoadError> {
    let bytes = read(file.disk)?;
    let raw: ResourcePoliciesFile = json::from_slice(file.disk, &bytes)?;
    let mut policies = Vec::with_capacity(raw.policies.len());
    for (i, entry) in raw.policies.iter().enumerate() {
        match &entry.policy {
            Some(document) if !document.is_null() => {
                let name = format!("resource policy of {}", entry.resource_arn);
                let policy = parse_policy(file, format!("/Policies/{i}/Policy"), &name, document)?;
                policies.push((entry.resource_arn.clone(), policy));
            }
            _ => account
                .resources_without_policy
                .push(entry.resource_arn.clone()),
        }
    }
    account.resource_policies = Some(policies);
    Ok(())
}

/// Reads the decoded credential report CSV into the account.
pub fn read_credential_report(account: &mut Account, file: &SourceFile) -> Result<(), LoadError> {
    let bytes = read(file.disk)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let mut rows = HashMap::new();
    for record in reader.deserialize::<CredentialReportRow>() {
        let row = record.map_err(|e| LoadError::Csv {
            file: file.disk.to_path_buf(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            },
        })?;
        rows.insert(row.user.clone(), row);
    }
    account.credential_report = Some(rows);
    Ok(())
}

pub fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn source(file: &SourceFile, pointer: String, name: &str) -> PolicySource {
    PolicySource {
        file: file.relative.clone(),
        pointer,
        name: name.to_string(),
    }
}

pub fn parse_policy(
    file: &SourceFile,
    pointer: String,
    name: &str,
    document: &Value,
) -> Result<Policy, LoadError> {
    let bad = |p: &str, message: String| {
        LoadError::invalid(
            file.disk,
            format!("{pointer}{p}"),
            format!("policy `{name}`: {message}"),
        )
    };
    parse_document(source(file, pointer.clone(), name), document)
        .map_err(|e| bad(&e.pointer, e.message))
}

/// Decodes a document as the snapshot holds it and parses it. An object, which needs no
/// decoding, is parsed where it lies: `decode_document` would return a copy of it.
fn parse_document(source: PolicySource, document: &Value) -> Result<Policy, PolicyError> {
    match document {
        Value::Object(_) => Policy::parse(source, document),
        _ => Policy::parse(source, &decode_document(document)?),
    }
}

fn inline_policies(
    file: &SourceFile,
    base: &str,
    list: &str,
    owner: &str,
    policies: &[InlinePolicy],
) -> Result<Vec<Policy>, LoadError> {
    policies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            parse_policy(
                file,
                format!("{base}/{list}/{i}/PolicyDocument"),
                &format!("{owner} inline {}", p.policy_name),
                &p.policy_document,
            )
        })
        .collect()
}

fn attached(policies: &[AttachedPolicy]) -> Vec<String> {
    policies.iter().map(|p| p.policy_arn.clone()).collect()
}
