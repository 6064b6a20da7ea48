//! A snapshot on disk: discovery of its files by well-known paths, the manifest, and the
//! sources it lacks.

mod error;
pub mod json;
mod manifest;

pub use error::LoadError;
pub use manifest::{Manifest, MissingSource};

use crate::aws::load::{self as aws_load, SourceFile};
use crate::aws::model::Account;
use crate::aws::organization::Organization;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything loaded from a snapshot.
#[derive(Debug)]
pub struct Snapshot {
    pub root: PathBuf,
    pub manifest: Option<Manifest>,
    pub aws_accounts: Vec<Account>,
    /// The AWS organisation with its SCPs and RCPs, when the snapshot has it.
    pub organization: Option<Organization>,
    /// Sources absent from the snapshot and what their absence may hide.
    pub missing: Vec<MissingSource>,
}

impl Snapshot {
    /// Opens a snapshot directory, or a single `get-account-authorization-details` file.
    pub fn open(path: &Path) -> Result<Snapshot, LoadError> {
        let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound {
                path: path.to_path_buf(),
            },
            _ => LoadError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
        if meta.is_file() {
            Self::open_gaad_file(path)
        } else {
            Self::open_dir(path)
        }
    }

    fn open_gaad_file(path: &Path) -> Result<Snapshot, LoadError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = SourceFile {
            disk: path,
            relative: Arc::from(name.as_str()),
        };
        let pages = aws_load::read_gaad(&file)?;
        let id = aws_load::account_of_gaad(&pages).ok_or_else(|| {
            LoadError::invalid(path, "", "no ARN names the account: the file holds no users, roles, groups or customer policies")
        })?;
        let account = aws_load::account_from_gaad(&id, &file, pages)?;
        let mut missing = vec![
            MissingSource::new(
                format!("aws/{id}/access-keys.json"),
                "not in a single-file snapshot",
                ACCESS_KEYS_HIDE,
            ),
            MissingSource::new(
                format!("aws/{id}/credential-report.csv"),
                "not in a single-file snapshot",
                REPORT_HIDE,
            ),
        ];
        missing.push(organization_missing());
        missing.push(resource_policies(&id, "not in a single-file snapshot"));
        Ok(Snapshot {
            root: path.to_path_buf(),
            manifest: None,
            aws_accounts: vec![account],
            organization: None,
            missing,
        })
    }

    fn open_dir(root: &Path) -> Result<Snapshot, LoadError> {
        let manifest = Manifest::read_if_present(root)?;
        let mut missing: Vec<MissingSource> = manifest
            .as_ref()
            .map(|m| m.missing_sources())
            .unwrap_or_default();
        let mut accounts = Vec::new();
        for id in account_dirs(root)? {
            let dir = root.join("aws").join(&id);
            let rel = |name: &str| format!("aws/{id}/{name}");
            let gaad_path = dir.join("gaad.json");
            if !gaad_path.is_file() {
                push_missing(
                    &mut missing,
                    MissingSource::new(
                        rel("gaad.json"),
                        "file absent",
                        "users, roles, groups and policies of this account are unknown; nothing in it is analysed",
                    ),
                );
                continue;
            }
            let gaad = SourceFile {
                disk: &gaad_path,
                relative: Arc::from(rel("gaad.json").as_str()),
            };
            let mut account = aws_load::account_from_gaad(&id, &gaad, aws_load::read_gaad(&gaad)?)?;
            let keys_path = dir.join("access-keys.json");
            if keys_path.is_file() {
                let file = SourceFile {
                    disk: &keys_path,
                    relative: Arc::from(rel("access-keys.json").as_str()),
                };
                aws_load::read_access_keys(&mut account, &file)?;
            } else {
                push_missing(
                    &mut missing,
                    MissingSource::new(rel("access-keys.json"), "file absent", ACCESS_KEYS_HIDE),
                );
            }
            let report_path = dir.join("credential-report.csv");
            if report_path.is_file() {
                let file = SourceFile {
                    disk: &report_path,
                    relative: Arc::from(rel("credential-report.csv").as_str()),
                };
                aws_load::read_credential_report(&mut account, &file)?;
            } else {
                push_missing(
                    &mut missing,
                    MissingSource::new(rel("credential-report.csv"), "file absent", REPORT_HIDE),
                );
            }
            crate::aws::inventories::read_all(&mut account, &dir)?;
            let policies_path = dir.join("resource-policies.json");
            if policies_path.is_file() {
                let file = SourceFile {
                    disk: &policies_path,
                    relative: Arc::from(rel("resource-policies.json").as_str()),
                };
                aws_load::read_resource_policies(&mut account, &file)?;
            } else {
                push_missing(&mut missing, resource_policies(&id, "file absent"));
            }
            accounts.push(account);
        }
        if accounts.is_empty() {
            return Err(LoadError::Empty {
                path: root.to_path_buf(),
            });
        }
        let org_path = root.join("aws").join("organizations.json");
        let organization = if org_path.is_file() {
            let file = SourceFile {
                disk: &org_path,
                relative: Arc::from("aws/organizations.json"),
            };
            Some(Organization::read(&file)?)
        } else {
            push_missing(&mut missing, organization_missing());
            None
        };
        Ok(Snapshot {
            root: root.to_path_buf(),
            manifest,
            aws_accounts: accounts,
            organization,
            missing,
        })
    }
}

const ACCESS_KEYS_HIDE: &str =
    "access keys cannot be resolved to their users and their status is not checked";
const REPORT_HIDE: &str = "console passwords and MFA devices are unknown";

fn resource_policies(account: &str, reason: &str) -> MissingSource {
    MissingSource::new(
        format!("aws/{account}/resource-policies.json"),
        reason,
        "resource-based policies (S3, KMS, Secrets Manager, Lambda, SQS, SNS) of this account are unknown: access they grant is kept as conditional, and its resources are not listed",
    )
}

/// Without the organisation no SCP or RCP is applied: reach is over-reported, never under.
fn organization_missing() -> MissingSource {
    MissingSource::new(
        "aws/organizations.json",
        "file absent",
        "service and resource control policies are not applied: reach an SCP or RCP would deny is still reported",
    )
}

fn push_missing(missing: &mut Vec<MissingSource>, source: MissingSource) {
    match missing.iter_mut().find(|m| m.source == source.source) {
        // The manifest's reason (what the collector saw) wins; keep the analyzer's "may hide".
        Some(existing) => {
            if existing.may_hide.is_empty() {
                existing.may_hide = source.may_hide;
            }
        }
        None => missing.push(source),
    }
}

/// The 12-digit directories under `aws/`, sorted.
fn account_dirs(root: &Path) -> Result<Vec<String>, LoadError> {
    let aws = root.join("aws");
    if !aws.is_dir() {
        return Err(LoadError::Empty {
            path: root.to_path_buf(),
        });
    }
    let entries = std::fs::read_dir(&aws).map_err(|source| LoadError::Io {
        path: aws.clone(),
        source,
    })?;
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Io {
            path: aws.clone(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit()) {
            ids.push(name);
        }
    }
    ids.sort();
    Ok(ids)
}
