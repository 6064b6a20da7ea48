//! Writes a generated organisation as a snapshot directory, one account at a time, and
//! `synth.json` beside it (what was generated, and a key to start from; the loader ignores it).

use super::plan::{Kind, Scale, plan};
use super::rng::Rng;
use super::{account, credentials, org};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{0} is not empty: synth writes a new snapshot; remove it or choose another --out")]
    NotEmpty(PathBuf),
}

/// What was written: totals, and the inputs a benchmark needs.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Generated {
    pub seed: u64,
    pub accounts: usize,
    pub users: usize,
    pub roles: usize,
    pub groups: usize,
    pub managed_policies: usize,
    pub access_keys: usize,
    pub bytes: u64,
    /// The CI deployer's key: it reaches `ci-deploy` in every workload account.
    pub leaked_key: String,
    /// A role trusting the leaked key's user, for a what-if (`remove-trust`).
    pub what_if_role: String,
    pub what_if_principal: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<u64, SynthError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::write(path, bytes).map_err(io(path))?;
    Ok(bytes.len() as u64)
}

/// JSON as the AWS CLI prints it: four-space indentation.
fn write_json(path: &Path, value: &Value) -> Result<u64, SynthError> {
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    value
        .serialize(&mut ser)
        .map_err(|source| SynthError::Json {
            path: path.to_path_buf(),
            source,
        })?;
    bytes.push(b'\n');
    write_bytes(path, &bytes)
}

fn count(v: &Value, key: &str) -> usize {
    v[key].as_array().map_or(0, Vec::len)
}

/// Generates the organisation of `scale` for `seed` into `out` (created; it must be empty).
pub fn generate(scale: Scale, seed: u64, out: &Path) -> Result<Generated, SynthError> {
    if let Ok(mut entries) = std::fs::read_dir(out) {
        if entries.next().is_some() {
            return Err(SynthError::NotEmpty(out.to_path_buf()));
        }
    }
    let rng = Rng::new(seed);
    let plan = plan(scale, &mut rng.fork(1));
    let mut bytes = write_json(
        &out.join("aws/organizations.json"),
        &org::organizations(&plan),
    )?;
    let mut sources = vec!["aws/organizations.json".to_string()];
    let mut totals = (0, 0, 0, 0, 0);
    let mut ci_user = None;
    for acct in &plan.accounts {
        let mut arng = rng.fork(1_000 + acct.index as u64);
        let generated = account::generate(&plan, acct, arng.fork(1));
        let dir = format!("aws/{}", acct.id);
        let keys = credentials::access_keys(acct.index, &generated.users, &mut arng);
        let report = credentials::credential_report(&acct.id, &generated.users, &keys, &mut arng);
        totals.0 += count(&generated.gaad, "UserDetailList");
        totals.1 += count(&generated.gaad, "RoleDetailList");
        totals.2 += count(&generated.gaad, "GroupDetailList");
        totals.3 += count(&generated.gaad, "Policies");
        totals.4 += keys.per_user.iter().map(|(n, _)| n).sum::<usize>();
        if let Some(u) = generated.users.iter().find(|u| u.name == "ci-deployer") {
            ci_user = Some((credentials::key_id(acct.index, 0, 0), u.arn.clone()));
        }
        for (name, value) in [
            ("gaad.json", &generated.gaad),
            ("access-keys.json", &keys.file),
        ] {
            bytes += write_json(&out.join(&dir).join(name), value)?;
            sources.push(format!("{dir}/{name}"));
        }
        bytes += write_bytes(
            &out.join(&dir).join("credential-report.csv"),
            report.as_bytes(),
        )?;
        sources.push(format!("{dir}/credential-report.csv"));
    }
    let manifest = json!({"format_version": 1, "collector": format!("blastmap synth (seed {seed})"),
        "collected_at": "2026-11-20T09:00:00Z", "sources": sources, "missing_sources": []});
    bytes += write_json(&out.join("manifest.json"), &manifest)?;
    let target = plan
        .accounts
        .iter()
        .find(|a| a.kind == Kind::Workload)
        .or_else(|| plan.accounts.iter().find(|a| a.kind != Kind::Ci))
        .or_else(|| plan.accounts.first())
        .map(|a| a.id.clone())
        .unwrap_or_default();
    let (leaked_key, principal) = ci_user.unwrap_or_default();
    let generated = Generated {
        seed,
        accounts: plan.accounts.len(),
        users: totals.0,
        roles: totals.1,
        groups: totals.2,
        managed_policies: totals.3,
        access_keys: totals.4,
        bytes,
        leaked_key,
        what_if_role: format!("arn:aws:iam::{target}:role/ci-deploy"),
        what_if_principal: principal,
    };
    let summary = serde_json::to_value(&generated).map_err(|source| SynthError::Json {
        path: out.join("synth.json"),
        source,
    })?;
    write_json(&out.join("synth.json"), &summary)?;
    Ok(generated)
}

/// Reads the `synth.json` a previous run wrote, if any.
pub fn read_summary(out: &Path) -> Option<Generated> {
    let bytes = std::fs::read(out.join("synth.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Generated {
    pub fn write_line(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            w,
            "{} accounts, {} users, {} roles, {} groups, {} managed policies, {} access keys, {:.1} MB; start from {}",
            self.accounts,
            self.users,
            self.roles,
            self.groups,
            self.managed_policies,
            self.access_keys,
            self.bytes as f64 / 1e6,
            self.leaked_key
        )
    }
}
