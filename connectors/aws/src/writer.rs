//! Writing a snapshot so that an interrupted collection never leaves files that load as
//! complete: everything goes to a hidden staging directory beside `--out`, and only a
//! finished collection is renamed into place, its manifest written last.

use crate::error::Error;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A source that could not be read, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub source: String,
    pub reason: String,
}

pub struct Writer {
    out: PathBuf,
    staging: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    sources: Vec<String>,
    missing: Vec<Missing>,
}

/// What a finished collection wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub out: PathBuf,
    pub sources: Vec<String>,
    pub missing: Vec<Missing>,
}

impl Writer {
    /// Checks `out` before any AWS call: it must not exist, be an empty directory, or be a
    /// snapshot (which a finished collection replaces).
    pub fn prepare(out: &Path) -> Result<Writer, Error> {
        let out_dir = |message: &str| Error::OutDir {
            path: out.to_path_buf(),
            message: message.to_string(),
        };
        if out.exists() {
            if !out.is_dir() {
                return Err(out_dir("exists and is not a directory"));
            }
            let entries = std::fs::read_dir(out).map_err(|source| Error::Write {
                path: out.to_path_buf(),
                source,
            })?;
            let names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            let snapshot_like = names
                .iter()
                .all(|n| n == "manifest.json" || n == "aws" || n.starts_with('.'));
            if !names.is_empty() && !snapshot_like {
                return Err(out_dir(
                    "exists and holds files that are not a snapshot; choose a new directory",
                ));
            }
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| out_dir("names no directory"))?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        std::fs::create_dir_all(&staging).map_err(|source| Error::Write {
            path: staging.clone(),
            source,
        })?;
        Ok(Writer {
            out: out.to_path_buf(),
            staging,
            state: Mutex::new(State::default()),
        })
    }

    /// The staging directory (removed by [`Writer::abandon`] or renamed by [`Writer::finish`]).
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `relative` (e.g. `aws/111122223333/gaad.json`) as pretty JSON and records it as
    /// a source read.
    pub fn json(&self, relative: &str, value: &Value) -> Result<(), Error> {
        let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Write {
            path: self.out.join(relative),
            source: std::io::Error::other(e),
        })?;
        bytes.push(b'\n');
        self.bytes(relative, &bytes)
    }

    pub fn bytes(&self, relative: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.staging.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Write {
                path: self.out.join(relative),
                source,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|source| Error::Write {
            path: self.out.join(relative),
            source,
        })?;
        let mut state = self.state();
        if !state.sources.iter().any(|s| s == relative) {
            state.sources.push(relative.to_string());
        }
        Ok(())
    }

    /// Records a source that could not be read (or was read only in part). One entry per
    /// source: further reasons are appended to the first.
    pub fn missing(&self, source: &str, reason: impl Into<String>) {
        let reason = reason.into();
        let mut state = self.state();
        match state.missing.iter_mut().find(|m| m.source == source) {
            Some(m) => {
                if !m.reason.split("; ").any(|r| r == reason) {
                    m.reason.push_str("; ");
                    m.reason.push_str(&reason);
                }
            }
            None => state.missing.push(Missing {
                source: source.to_string(),
                reason,
            }),
        }
    }

    /// Writes the manifest and moves the snapshot into place.
    pub fn finish(self, manifest: Value) -> Result<Written, Error> {
        let (mut sources, mut missing) = {
            let mut state = self.state();
            (
                std::mem::take(&mut state.sources),
                std::mem::take(&mut state.missing),
            )
        };
        sources.sort();
        missing.sort_by(|a, b| a.source.cmp(&b.source));
        let mut manifest = manifest;
        if let Value::Object(map) = &mut manifest {
            map.insert("sources".into(), json!(sources));
            map.insert(
                "missing_sources".into(),
                Value::Array(
                    missing
                        .iter()
                        .map(|m| json!({"source": m.source, "reason": m.reason}))
                        .collect(),
                ),
            );
        }
        let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Write {
            path: self.out.join("manifest.json"),
            source: std::io::Error::other(e),
        })?;
        bytes.push(b'\n');
        let manifest_path = self.staging.join("manifest.json");
        std::fs::write(&manifest_path, bytes).map_err(|source| Error::Write {
            path: self.out.join("manifest.json"),
            source,
        })?;
        self.swap_into_place()?;
        Ok(Written {
            out: self.out.clone(),
            sources,
            missing,
        })
    }

    /// Renames the staging directory to `out`. An existing snapshot there is moved aside
    /// first and removed once the new one is in place.
    fn swap_into_place(&self) -> Result<(), Error> {
        let rename = |from: &Path, to: &Path| {
            std::fs::rename(from, to).map_err(|source| Error::Write {
                path: to.to_path_buf(),
                source,
            })
        };
        if self.out.exists() {
            let old =
                self.staging
                    .with_file_name(format!(".{}.old-{}", self.name(), std::process::id()));
            rename(&self.out, &old)?;
            if let Err(e) = rename(&self.staging, &self.out) {
                let _ = std::fs::rename(&old, &self.out);
                return Err(e);
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            rename(&self.staging, &self.out)?;
        }
        Ok(())
    }

    fn name(&self) -> String {
        self.out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Removes the staging directory after a failure.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nothing_reaches_out_before_finish() {
        let dir = std::env::temp_dir().join(format!("blastmap-aws-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = dir.join("snap");
        let w = Writer::prepare(&out).unwrap();
        w.json("aws/111122223333/gaad.json", &json!({})).unwrap();
        w.missing(
            "aws/organizations.json",
            "AccessDenied: organizations:DescribeOrganization",
        );
        assert!(!out.exists(), "only the staging directory is written to");
        let written = w.finish(json!({"format_version": 1})).unwrap();
        assert_eq!(written.sources, vec!["aws/111122223333/gaad.json"]);
        assert!(out.join("manifest.json").is_file());
        assert!(out.join("aws/111122223333/gaad.json").is_file());
        // A second collection replaces the first.
        let w = Writer::prepare(&out).unwrap();
        w.json("aws/444455556666/gaad.json", &json!({})).unwrap();
        w.finish(json!({"format_version": 1})).unwrap();
        assert!(!out.join("aws/111122223333").exists());
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging or old directory is left");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
