//! What an index is keyed by: three SHA-256 digests, kept apart so that a stale index can say
//! which input changed.

use crate::rules::RuleSet;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub type Digest32 = [u8; 32];

/// The inputs a built graph depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The blastmap that builds: its version and the bytes of its executable, so that a
    /// rebuilt blastmap (new lowering, same version number) never reads an older build's graph.
    pub build: Digest32,
    /// The escalation rules in force, as loaded (built-in, `--policies DIR`, or none).
    pub rules: Digest32,
    /// Every file of the snapshot, by relative path and content.
    pub snapshot: Digest32,
}

impl Key {
    pub fn compute(snapshot: &Path, rules: &RuleSet) -> Result<Key, KeyError> {
        Ok(Key {
            build: build_digest()?,
            rules: rules_digest(rules),
            snapshot: snapshot_digest(snapshot)?,
        })
    }
}

/// Why the key could not be computed; the index is then neither read nor written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the blastmap executable: {0}")]
    Executable(String),
    #[error("cannot read `{}`: {message}", path.display())]
    Snapshot { path: PathBuf, message: String },
}

/// Computed once per process: the executable does not change under a running command.
fn build_digest() -> Result<Digest32, KeyError> {
    static BUILD: OnceLock<Result<Digest32, KeyError>> = OnceLock::new();
    BUILD
        .get_or_init(|| {
            let exe = std::env::current_exe().map_err(|e| KeyError::Executable(e.to_string()))?;
            let mut h = Sha256::new();
            h.update(b"blastmap build\0");
            h.update(env!("CARGO_PKG_VERSION").as_bytes());
            h.update([0]);
            hash_file(&mut h, &exe).map_err(|e| KeyError::Executable(e.to_string()))?;
            Ok(h.finalize().into())
        })
        .clone()
}

/// The rules as the lowering sees them. Their `Debug` form holds every field (ids,
/// permissions, targets, requirements, examples) and no hash map, so equal rule sets give
/// equal text; a whitespace or comment change in a rule file does not invalidate an index.
fn rules_digest(rules: &RuleSet) -> Digest32 {
    let mut h = Sha256::new();
    h.update(b"blastmap rules\0");
    h.update(format!("{:?}", rules.rules).as_bytes());
    h.finalize().into()
}

/// Every regular file below a snapshot directory (or the one file of a single-file snapshot),
/// sorted by relative path, each hashed with its path and length. Entries whose name starts
/// with `.` are skipped at every depth: the loader reads none (its paths are well known), and
/// the index itself and its temporary files are among them. Hashing more than the loader
/// reads can only make an index stale, never wrongly valid.
fn snapshot_digest(snapshot: &Path) -> Result<Digest32, KeyError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| KeyError::Snapshot {
            path,
            message: e.to_string(),
        }
    };
    let meta = std::fs::metadata(snapshot).map_err(io(snapshot))?;
    let mut files = Vec::new();
    if meta.is_file() {
        let name = snapshot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((name, snapshot.to_path_buf()));
    } else {
        walk(snapshot, "", 0, &mut files)?;
        files.sort();
    }
    let mut h = Sha256::new();
    h.update(b"blastmap snapshot\0");
    h.update(if meta.is_file() {
        b"file\0"
    } else {
        b"dir\0\0"
    });
    for (relative, path) in &files {
        h.update((relative.len() as u64).to_le_bytes());
        h.update(relative.as_bytes());
        hash_file(&mut h, path).map_err(io(path))?;
    }
    Ok(h.finalize().into())
}

/// Deeper than any snapshot layout: a symlink loop stops here instead of recursing forever.
const MAX_DEPTH: usize = 16;

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), KeyError> {
    let fail = |path: &Path, message: String| KeyError::Snapshot {
        path: path.to_path_buf(),
        message,
    };
    if depth > MAX_DEPTH {
        return Err(fail(
            dir,
            "directories nested too deep (a symlink loop?)".into(),
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| fail(dir, e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| fail(dir, e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let relative = format!("{prefix}{name}");
        // Follows symlinks, as the loader does.
        let meta = std::fs::metadata(&path).map_err(|e| fail(&path, e.to_string()))?;
        if meta.is_dir() {
            walk(&path, &format!("{relative}/"), depth + 1, out)?;
        } else if meta.is_file() {
            out.push((relative, path));
        }
    }
    Ok(())
}

/// Length, then content; a file that changes length while it is read is an error.
fn hash_file(h: &mut Sha256, path: &Path) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    h.update(len.to_le_bytes());
    let mut buf = vec![0u8; 1 << 16];
    let mut read: u64 = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        read += n as u64;
    }
    if read != len {
        return Err(std::io::Error::other("the file changed while it was read"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::index::tests::copy;

    #[test]
    fn the_snapshot_digest_follows_content_and_paths_only() {
        let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
        let dir = tempfile::tempdir().unwrap();
        copy(&acme, dir.path());
        let original = snapshot_digest(&acme).unwrap();
        // A copy elsewhere has the same digest; hidden files do not count.
        assert_eq!(snapshot_digest(dir.path()).unwrap(), original);
        std::fs::write(dir.path().join(".blastmap-index"), b"anything").unwrap();
        assert_eq!(snapshot_digest(dir.path()).unwrap(), original);
        // One byte more in one file, a new file, or a file moved: another digest.
        let manifest = dir.path().join("manifest.json");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(&manifest, format!("{text} ")).unwrap();
        let edited = snapshot_digest(dir.path()).unwrap();
        assert_ne!(edited, original);
        std::fs::write(&manifest, &text).unwrap();
        assert_eq!(snapshot_digest(dir.path()).unwrap(), original);
        std::fs::rename(&manifest, dir.path().join("manifest2.json")).unwrap();
        assert_ne!(snapshot_digest(dir.path()).unwrap(), original);
    }

    #[test]
    fn rules_in_force_are_part_of_the_key() {
        let builtin = RuleSet::builtin().unwrap();
        assert_eq!(rules_digest(&builtin), rules_digest(&builtin.clone()));
        assert_ne!(rules_digest(&builtin), rules_digest(&RuleSet::default()));
        let mut fewer = builtin.clone();
        fewer.rules.pop();
        assert_ne!(rules_digest(&builtin), rules_digest(&fewer));
    }
}
