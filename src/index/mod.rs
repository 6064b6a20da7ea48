//! The index: a built graph cached beside its snapshot, so that a command skips the build
//! stage when nothing it depends on has changed (`blastmap index`, `docs/index.md`).
//!
//! File layout (little-endian):
//!
//! ```text
//! magic       8 bytes   "blastidx"
//! format      u32       FORMAT
//! build       32 bytes  \
//! rules       32 bytes   } the key (see `Key`)
//! snapshot    32 bytes  /
//! length      u64       payload length
//! checksum    32 bytes  SHA-256 of the payload
//! payload               the analysis (see `codec`)
//! ```
//!
//! An index is used only when its format and all three digests match, its length and checksum
//! hold, and the payload decodes completely into a graph whose ids come back as they were.
//! Anything else is reported and the graph is built; nothing of a bad index is used.

mod codec;
mod key;

pub use codec::{DecodeError, EncodeError};
pub use key::{Key, KeyError};

use crate::analysis::Analysis;
use crate::rules::RuleSet;
use crate::snapshot::Snapshot;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bumped whenever the header or the payload layout changes.
pub const FORMAT: u32 = 2;
const MAGIC: &[u8; 8] = b"blastidx";
const HEADER_LEN: usize = 8 + 4 + 3 * 32 + 8 + 32;

/// The name of the index inside a snapshot directory. It starts with a dot so that the
/// snapshot digest leaves it out; `*.blastmap-index` in a `.gitignore` matches both forms.
pub const DIR_FILE_NAME: &str = ".blastmap-index";
/// What a single-file snapshot's index adds to the file's name.
pub const FILE_SUFFIX: &str = ".blastmap-index";

/// Where the index of a snapshot lives: `SNAPSHOT/.blastmap-index` for a directory,
/// `FILE.blastmap-index` beside a single-file snapshot.
pub fn path_for(snapshot: &Path) -> PathBuf {
    if snapshot.is_file() {
        let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
        name.push(FILE_SUFFIX);
        snapshot.with_file_name(name)
    } else {
        snapshot.join(DIR_FILE_NAME)
    }
}

/// Which input of the key differs from the index's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    Format(u32),
    Build,
    Rules,
    Snapshot,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Format(v) => write!(
                f,
                "written in index format {v}, this blastmap reads {FORMAT}"
            ),
            Stale::Build => f.write_str("written by another build of blastmap"),
            Stale::Rules => f.write_str("built with other escalation rules"),
            Stale::Snapshot => f.write_str("the snapshot's files changed since it was written"),
        }
    }
}

/// What reading an index found.
#[derive(Debug)]
pub enum Status {
    Valid(Box<Analysis>),
    Absent,
    Stale(Stale),
    Corrupt(String),
}

/// Reads the index at `path` if its key is `key`, verifying everything.
pub fn read(path: &Path, key: &Key) -> Status {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Status::Absent,
        Err(e) => return Status::Corrupt(format!("unreadable: {e}")),
    };
    let mut header = [0u8; HEADER_LEN];
    if let Err(e) = file.read_exact(&mut header) {
        return Status::Corrupt(match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "shorter than its header".into(),
            _ => format!("unreadable: {e}"),
        });
    }
    let header = match Header::parse(&header) {
        Ok(header) => header,
        Err(status) => return status,
    };
    if header.key.build != key.build {
        return Status::Stale(Stale::Build);
    }
    if header.key.rules != key.rules {
        return Status::Stale(Stale::Rules);
    }
    if header.key.snapshot != key.snapshot {
        return Status::Stale(Stale::Snapshot);
    }
    let Ok(len) = usize::try_from(header.len) else {
        return Status::Corrupt("payload length overflows".into());
    };
    match file.metadata() {
        Ok(meta) if meta.len() == HEADER_LEN as u64 + header.len => {}
        Ok(meta) if meta.len() < HEADER_LEN as u64 + header.len => {
            return Status::Corrupt("truncated".into());
        }
        Ok(_) => return Status::Corrupt("longer than its header says".into()),
        Err(e) => return Status::Corrupt(format!("unreadable: {e}")),
    }
    let mut payload = Vec::with_capacity(len);
    if let Err(e) = file.take(header.len).read_to_end(&mut payload) {
        return Status::Corrupt(format!("unreadable: {e}"));
    }
    if payload.len() != len {
        return Status::Corrupt("truncated".into());
    }
    let checksum: [u8; 32] = Sha256::digest(&payload).into();
    if checksum != header.checksum {
        return Status::Corrupt("checksum mismatch".into());
    }
    match codec::decode(&payload) {
        Ok(analysis) => Status::Valid(Box::new(analysis)),
        Err(e) => Status::Corrupt(format!("undecodable payload: {e}")),
    }
}

struct Header {
    key: Key,
    len: u64,
    checksum: [u8; 32],
}

impl Header {
    fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Header, Status> {
        let (magic, rest) = bytes.split_at(8);
        if magic != MAGIC {
            return Err(Status::Corrupt("not a blastmap index (wrong magic)".into()));
        }
        let (format, rest) = rest.split_at(4);
        let format = u32::from_le_bytes(array(format));
        if format != FORMAT {
            return Err(Status::Stale(Stale::Format(format)));
        }
        let (build, rest) = rest.split_at(32);
        let (rules, rest) = rest.split_at(32);
        let (snapshot, rest) = rest.split_at(32);
        let (len, checksum) = rest.split_at(8);
        Ok(Header {
            key: Key {
                build: array(build),
                rules: array(rules),
                snapshot: array(snapshot),
            },
            len: u64::from_le_bytes(array(len)),
            checksum: array(checksum),
        })
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.key.build);
        out.extend_from_slice(&self.key.rules);
        out.extend_from_slice(&self.key.snapshot);
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.checksum);
        out
    }
}

/// The first `N` bytes of a slice the header split to exactly `N` bytes.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

/// Why an index could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes the index atomically: a temporary file in the same directory, synced, then renamed
/// over `path`, so a reader sees the old index or the new one, never half of one. Returns the
/// number of bytes written.
pub fn write(path: &Path, key: &Key, analysis: &Analysis) -> Result<u64, WriteError> {
    let payload = codec::encode(analysis)?;
    let header = Header {
        key: key.clone(),
        len: payload.len() as u64,
        checksum: Sha256::digest(&payload).into(),
    };
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io { path, source }
    };
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&header.bytes())?;
        file.write_all(&payload)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&tmp)(e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path)(e));
    }
    Ok((HEADER_LEN + payload.len()) as u64)
}

/// Where a command's analysis came from.
#[derive(Debug)]
pub enum Origin {
    /// A valid index.
    Index,
    /// Built: there is no index.
    Built,
    /// Built because the index could not be used; the reason is one line for stderr.
    Rebuilt(String),
}

/// The analysis of an opened snapshot: read from its index when the index is valid for these
/// rules, built otherwise. Only `blastmap index` writes an index, so a command never fails on a
/// snapshot it cannot write to.
pub fn load_or_build(
    snapshot_path: &Path,
    snapshot: &Snapshot,
    rules: &RuleSet,
) -> (Analysis, Origin) {
    match cached(snapshot_path, rules) {
        Ok(analysis) => (analysis, Origin::Index),
        Err(origin) => (crate::analysis::build(snapshot, rules), origin),
    }
}

/// The analysis in the snapshot's index when the index is valid for these rules; otherwise
/// why the caller must build it ([`Origin::Built`] or [`Origin::Rebuilt`]).
pub fn cached(snapshot_path: &Path, rules: &RuleSet) -> Result<Analysis, Origin> {
    let path = path_for(snapshot_path);
    if !path.exists() {
        return Err(Origin::Built);
    }
    let why = match Key::compute(snapshot_path, rules) {
        Err(e) => format!("cannot be checked ({e})"),
        Ok(key) => match read(&path, &key) {
            Status::Valid(analysis) => return Ok(*analysis),
            Status::Absent => return Err(Origin::Built),
            Status::Stale(stale) => format!("is stale ({stale})"),
            Status::Corrupt(why) => format!("is corrupt ({why})"),
        },
    };
    Err(Origin::Rebuilt(format!(
        "index `{}` {why}: building the graph; `blastmap index` refreshes it",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// A copy of a snapshot directory to change without touching `examples/`.
    pub(super) fn copy(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// A copy of `examples/acme` with a fresh index, its key and the analysis it holds.
    fn indexed() -> (tempfile::TempDir, PathBuf, Key, Analysis) {
        let dir = tempfile::tempdir().unwrap();
        let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
        copy(&acme, dir.path());
        let rules = RuleSet::builtin().unwrap();
        let snapshot = Snapshot::open(dir.path()).unwrap();
        let analysis = crate::analysis::build(&snapshot, &rules);
        let key = Key::compute(dir.path(), &rules).unwrap();
        let path = path_for(dir.path());
        write(&path, &key, &analysis).unwrap();
        (dir, path, key, analysis)
    }

    fn corrupt_reason(status: Status) -> String {
        match status {
            Status::Corrupt(why) => why,
            other => panic!("expected corrupt, got {other:?}"),
        }
    }

    #[test]
    fn a_written_index_reads_back() {
        let (dir, path, key, analysis) = indexed();
        assert_eq!(path, dir.path().join(".blastmap-index"));
        match read(&path, &key) {
            Status::Valid(read) => codec::tests::assert_same(&analysis, &read),
            other => panic!("{other:?}"),
        }
        let rules = RuleSet::builtin().unwrap();
        let snapshot = Snapshot::open(dir.path()).unwrap();
        let (loaded, origin) = load_or_build(dir.path(), &snapshot, &rules);
        assert!(matches!(origin, Origin::Index), "{origin:?}");
        codec::tests::assert_same(&analysis, &loaded);
        // No temporary file is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_flipped_payload_byte_fails_the_checksum() {
        let (_dir, path, key, _) = indexed();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = HEADER_LEN + (bytes.len() - HEADER_LEN) / 2;
        bytes[at] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(corrupt_reason(read(&path, &key)), "checksum mismatch");
    }

    #[test]
    fn truncation_is_detected() {
        let (_dir, path, key, _) = indexed();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(corrupt_reason(read(&path, &key)), "truncated");
        std::fs::write(&path, &bytes[..HEADER_LEN - 1]).unwrap();
        assert_eq!(corrupt_reason(read(&path, &key)), "shorter than its header");
        std::fs::write(&path, []).unwrap();
        assert_eq!(corrupt_reason(read(&path, &key)), "shorter than its header");
        let mut longer = bytes.clone();
        longer.push(0);
        std::fs::write(&path, &longer).unwrap();
        assert_eq!(
            corrupt_reason(read(&path, &key)),
            "longer than its header says"
        );
    }

    #[test]
    fn wrong_magic_format_or_key_is_not_used() {
        let (_dir, path, key, _) = indexed();
        let bytes = std::fs::read(&path).unwrap();
        let mut magic = bytes.clone();
        magic[0] = b'X';
        std::fs::write(&path, &magic).unwrap();
        assert!(corrupt_reason(read(&path, &key)).contains("wrong magic"));
        let mut format = bytes.clone();
        format[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        std::fs::write(&path, &format).unwrap();
        assert!(matches!(
            read(&path, &key),
            Status::Stale(Stale::Format(f)) if f == FORMAT + 1
        ));
        std::fs::write(&path, &bytes).unwrap();
        let mut other = key.clone();
        other.build[0] ^= 1;
        assert!(matches!(read(&path, &other), Status::Stale(Stale::Build)));
        let mut other = key.clone();
        other.rules[0] ^= 1;
        assert!(matches!(read(&path, &other), Status::Stale(Stale::Rules)));
        let mut other = key.clone();
        other.snapshot[31] ^= 1;
        assert!(matches!(
            read(&path, &other),
            Status::Stale(Stale::Snapshot)
        ));
        assert!(matches!(read(&path, &key), Status::Valid(_)));
    }

    #[test]
    fn a_stale_or_corrupt_index_is_rebuilt_with_a_note() {
        let (dir, path, _, analysis) = indexed();
        let snapshot = Snapshot::open(dir.path()).unwrap();
        // Other rules: stale.
        let (built, origin) = load_or_build(dir.path(), &snapshot, &RuleSet::default());
        match origin {
            Origin::Rebuilt(note) => assert!(note.contains("other escalation rules"), "{note}"),
            other => panic!("{other:?}"),
        }
        assert!(built.graph.edge_count() < analysis.graph.edge_count());
        // Garbage: corrupt, and the build is complete.
        std::fs::write(&path, b"garbage").unwrap();
        let rules = RuleSet::builtin().unwrap();
        let (built, origin) = load_or_build(dir.path(), &snapshot, &rules);
        match origin {
            Origin::Rebuilt(note) => assert!(note.contains("is corrupt"), "{note}"),
            other => panic!("{other:?}"),
        }
        codec::tests::assert_same(&analysis, &built);
        // Gone: built, without a note.
        std::fs::remove_file(&path).unwrap();
        let (_, origin) = load_or_build(dir.path(), &snapshot, &rules);
        assert!(matches!(origin, Origin::Built));
    }

    #[test]
    fn a_single_file_snapshot_has_its_index_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gaad.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(path_for(&file), dir.path().join("gaad.json.blastmap-index"));
    }
}
