//! `manifest.json`: who collected the snapshot, when, and what could not be read.

use super::LoadError;
use super::json;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(default = "one")]
    pub format_version: u32,
    #[serde(default)]
    pub collector: Option<String>,
    #[serde(default)]
    pub collected_at: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    missing_sources: Vec<ManifestMissing>,
}

fn one() -> u32 {
    1
}

/// A collector records a missing source as a path, or as `{source, reason}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ManifestMissing {
    Path(String),
    Detailed {
        source: String,
        #[serde(default)]
        reason: Option<String>,
    },
}

/// A source the analysis could not use, and what its absence may hide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingSource {
    pub source: String,
    pub reason: String,
    pub may_hide: String,
}

impl MissingSource {
    pub fn new(
        source: impl Into<String>,
        reason: impl Into<String>,
        may_hide: impl Into<String>,
    ) -> Self {
        MissingSource {
            source: source.into(),
            reason: reason.into(),
            may_hide: may_hide.into(),
        }
    }
}

pub const FORMAT_VERSION: u32 = 1;

impl Manifest {
    pub fn read_if_present(root: &Path) -> Result<Option<Manifest>, LoadError> {
        let path = root.join("manifest.json");
        if !path.is_file() {
            return Ok(None);
        }
        let bytes = std::fs::read(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest: Manifest = json::from_slice(&path, &bytes)?;
        if manifest.format_version > FORMAT_VERSION {
            return Err(LoadError::invalid(
                &path,
                "/format_version",
                format!(
                    "format version {} is newer than this blastmap reads ({FORMAT_VERSION}); upgrade blastmap",
                    manifest.format_version
                ),
            ));
        }
        Ok(Some(manifest))
    }

    pub fn missing_sources(&self) -> Vec<MissingSource> {
        self.missing_sources
            .iter()
            .map(|m| match m {
                ManifestMissing::Path(source) => {
                    MissingSource::new(source.clone(), "recorded missing by the collector", "")
                }
                ManifestMissing::Detailed { source, reason } => MissingSource::new(
                    source.clone(),
                    reason
                        .clone()
                        .unwrap_or_else(|| "recorded missing by the collector".into()),
                    "",
                ),
            })
            .collect()
    }
}
