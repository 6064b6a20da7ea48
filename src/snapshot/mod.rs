//! A snapshot on disk: discovery of its files by well-known paths, the manifest, and the
//! sources it lacks.

mod error;
pub mod json;
mod manifest;

pub use error::LoadError;
pub use manifest::{Manifest, MissingSource};

use crate::aws::indexes::Indexes;
use crate::aws::load::{self as aws_load, SourceFile};
use crate::aws::model::Account;
use crate::aws::organization::Organization;
use crate::progress::Progress;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Everything loaded from a snapshot.
#[derive(Debug)]
pub struct Snapshot {
    pub root: PathBuf,
    pub manifest: Option<Manifest>,
    pub aws_accounts: Vec<Arc<Account>>,
    /// The AWS organisation with its SCPs and RCPs, when the snapshot has it.
    pub organization: Option<Organization>,
    /// Sources absent from the snapshot and what their absence may hide.
    pub missing: Vec<MissingSource>,
    /// Indexes over the AWS accounts' roles, made on first use (see [`Snapshot::indexes`]).
    pub indexes: OnceLock<Arc<Indexes>>,
}

impl Snapshot {
    /// Indexes over the AWS accounts' roles, made once and shared by every what-if of the
    /// snapshot. Each is checked to fit the accounts it is used with, and made again if not.
    pub fn indexes(&self) -> Arc<Indexes> {
        self.indexes
            .get_or_init(|| Arc::new(Indexes::new(self.aws_accounts.clone())))
            .clone()
    }

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
            aws_accounts: vec![Arc::new(account)],
            organization: None,
            missing,
            indexes: OnceLock::new(),
        })
    }

    fn open_dir(root: &Path) -> Result<Snapshot, LoadError> {
        let manifest = Manifest::read_if_present(root)?;
        let mut missing: Vec<MissingSource> = manifest
            .as_ref()
            .map(|m| m.missing_sources())
            .unwrap_or_default();
        let ids = account_dirs(root)?;
        let progress = Progress::bytes(0, format!("loading {} accounts", ids.len()));
        if !progress.is_hidden() {
            progress.set_length(snapshot_bytes(root, &ids));
        }
        // Accounts are read and parsed in parallel, one task each. The first error in account
        // order is the one reported, as if they were read one after another: a task whose
        // account comes after a failed one is not started, and results are taken in order.
        let first_error = AtomicUsize::new(usize::MAX);
        let loaded: Vec<Option<Result<LoadedAccount, LoadError>>> = ids
            .par_iter()
            .enumerate()
            .map(|(i, id)| {
                if i > first_error.load(Ordering::Relaxed) {
                    return None;
                }
                let result = load_account(root, id, &progress);
                if result.is_err() {
                    first_error.fetch_min(i, Ordering::Relaxed);
                }
                Some(result)
            })
            .collect();
        let mut accounts = Vec::new();
        // A task left out (`None`) comes after an error, which returns first.
        for result in loaded.into_iter().flatten() {
            let loaded = result?;
            for source in loaded.missing {
                push_missing(&mut missing, source);
            }
            accounts.extend(loaded.account);
        }
        if accounts.is_empty() {
            return Err(LoadError::Empty {
                path: root.to_path_buf(),
            });
        }
        let org_path = root.join("aws").join("organizations.json");
        let organization = if let Some(len) = file_len(&org_path) {
            let file = SourceFile {
                disk: &org_path,
                relative: Arc::from("aws/organizations.json"),
            };
            let organization = Organization::read(&file)?;
            progress.inc(len);
            Some(organization)
        } else {
            push_missing(&mut missing, organization_missing());
            None
        };
        progress.finish();
        Ok(Snapshot {
            root: root.to_path_buf(),
            manifest,
            aws_accounts: accounts.into_iter().map(Arc::new).collect(),
            organization,
            missing,
            indexes: OnceLock::new(),
        })
    }
}

/// One account directory as loaded: the account (none without its `gaad.json`) and the
/// sources it lacks, in the order they are found.
struct LoadedAccount {
    account: Option<Account>,
    missing: Vec<MissingSource>,
}

/// Reads `aws/<id>/`: `gaad.json`, then the optional files, counting their bytes on
/// `progress`.
fn load_account(root: &Path, id: &str, progress: &Progress) -> Result<LoadedAccount, LoadError> {
    let dir = root.join("aws").join(id);
    let rel = |name: &str| format!("aws/{id}/{name}");
    let mut missing = Vec::new();
    let gaad_path = dir.join("gaad.json");
    let Some(gaad_len) = file_len(&gaad_path) else {
        missing.push(MissingSource::new(
            rel("gaad.json"),
            "file absent",
            "users, roles, groups and policies of this account are unknown; nothing in it is analysed",
        ));
        return Ok(LoadedAccount {
            account: None,
            missing,
        });
    };
    let gaad = SourceFile {
        disk: &gaad_path,
        relative: Arc::from(rel("gaad.json").as_str()),
    };
    let mut account = aws_load::account_from_gaad(id, &gaad, aws_load::read_gaad(&gaad)?)?;
    progress.inc(gaad_len);
    let keys_path = dir.join("access-keys.json");
    if let Some(len) = file_len(&keys_path) {
        let file = SourceFile {
            disk: &keys_path,
            relative: Arc::from(rel("access-keys.json").as_str()),
        };
        aws_load::read_access_keys(&mut account, &file)?;
        progress.inc(len);
    } else {
        missing.push(MissingSource::new(
            rel("access-keys.json"),
            "file absent",
            ACCESS_KEYS_HIDE,
        ));
    }
    let report_path = dir.join("credential-report.csv");
    if let Some(len) = file_len(&report_path) {
        let file = SourceFile {
            disk: &report_path,
            relative: Arc::from(rel("credential-report.csv").as_str()),
        };
        aws_load::read_credential_report(&mut account, &file)?;
        progress.inc(len);
    } else {
        missing.push(MissingSource::new(
            rel("credential-report.csv"),
            "file absent",
            REPORT_HIDE,
        ));
    }
    crate::aws::inventories::read_all(&mut account, &dir)?;
    if !progress.is_hidden() {
        progress.inc(inventory_bytes(&dir));
    }
    let policies_path = dir.join("resource-policies.json");
    if let Some(len) = file_len(&policies_path) {
        let file = SourceFile {
            disk: &policies_path,
            relative: Arc::from(rel("resource-policies.json").as_str()),
        };
        aws_load::read_resource_policies(&mut account, &file)?;
        progress.inc(len);
    } else {
        missing.push(resource_policies(id, "file absent"));
    }
    Ok(LoadedAccount {
        account: Some(account),
        missing,
    })
}

/// The size of a regular file (symbolic links followed), `None` for anything else.
fn file_len(path: &Path) -> Option<u64> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// Bytes of the inventory files of an account directory.
fn inventory_bytes(dir: &Path) -> u64 {
    crate::aws::inventories::KINDS
        .iter()
        .filter_map(|kind| file_len(&dir.join(format!("{}.json", kind.name))))
        .sum()
}

/// Bytes of every file loading reads, for progress: each account's files and the
/// organisation.
fn snapshot_bytes(root: &Path, ids: &[String]) -> u64 {
    let aws = root.join("aws");
    let accounts: u64 = ids
        .iter()
        .map(|id| {
            let dir = aws.join(id);
            let files = [
                "gaad.json",
                "access-keys.json",
                "credential-report.csv",
                "resource-policies.json",
            ];
            let named: u64 = files
                .iter()
                .filter_map(|name| file_len(&dir.join(name)))
                .sum();
            named + inventory_bytes(&dir)
        })
        .sum();
    accounts + file_len(&aws.join("organizations.json")).unwrap_or(0)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Accounts `100000000000`, `200000000000`, ... each with the given `gaad.json`.
    fn snapshot(gaads: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (i, gaad) in gaads.iter().enumerate() {
            let account = dir.path().join(format!("aws/{}00000000000", i + 1));
            std::fs::create_dir_all(&account).unwrap();
            std::fs::write(account.join("gaad.json"), gaad).unwrap();
        }
        dir
    }

    #[test]
    fn accounts_load_in_order_with_their_missing_sources_in_order() {
        let dir = snapshot(&["{}"; 5]);
        let snapshot = Snapshot::open(dir.path()).unwrap();
        let ids: Vec<&str> = snapshot
            .aws_accounts
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "100000000000",
                "200000000000",
                "300000000000",
                "400000000000",
                "500000000000"
            ]
        );
        let missing: Vec<&str> = snapshot.missing.iter().map(|m| m.source.as_str()).collect();
        let mut expected = Vec::new();
        for id in &ids {
            for file in [
                "access-keys.json",
                "credential-report.csv",
                "resource-policies.json",
            ] {
                expected.push(format!("aws/{id}/{file}"));
            }
        }
        expected.push("aws/organizations.json".into());
        assert_eq!(missing, expected);
    }

    #[test]
    fn the_first_bad_account_in_order_is_the_one_reported() {
        let typed = r#"{"UserDetailList": 3}"#;
        let dir = snapshot(&["{}", "{}", "{", "{}", typed, "{", "{}"]);
        // Accounts load in parallel: whichever finishes first, the error is the third's.
        for _ in 0..20 {
            let error = Snapshot::open(dir.path()).unwrap_err().to_string();
            assert!(
                error.contains("300000000000/gaad.json") && error.contains("not valid JSON"),
                "{error}"
            );
        }
    }
}
