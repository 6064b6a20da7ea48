//! Helpers shared by the integration tests: running the binary, copying snapshots, reading
//! `blastmap.radius.v1` documents.

use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ACCOUNT: &str = "111122223333";
pub const LEAKED_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const CI_DEPLOYER: &str = "arn:aws:iam::111122223333:user/automation/ci-deployer";

/// `arn:aws:iam::111122223333:role/NAME`.
pub fn role(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// The session node of a role: `arn:aws:sts::111122223333:assumed-role/NAME/*`.
pub fn session(name: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT}:assumed-role/{name}/*")
}

pub fn acme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme")
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_blastmap"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG")
        .output()
        .expect("the blastmap binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `blastmap radius -s SNAPSHOT --from FROM [extra...]`.
pub fn radius(snapshot: &Path, from: &str, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("radius"),
        OsStr::new("-s"),
        snapshot.as_os_str(),
        OsStr::new("--from"),
        OsStr::new(from),
    ];
    args.extend(extra.iter().map(OsStr::new));
    run(args)
}

/// Runs `radius --format json`, asserts success and parses the document.
pub fn radius_json(snapshot: &Path, from: &str) -> Value {
    let r = radius(snapshot, from, &["--format", "json"]);
    assert_eq!(r.code, Some(0), "blastmap failed: {r:#?}");
    assert!(r.stderr.is_empty(), "unexpected stderr: {}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("stdout is JSON");
    assert_eq!(doc["schema"], "blastmap.radius.v1");
    doc
}

/// Runs the table output and asserts success.
pub fn radius_table(snapshot: &Path, from: &str) -> String {
    let r = radius(snapshot, from, &[]);
    assert_eq!(r.code, Some(0), "blastmap failed: {r:#?}");
    assert!(r.stderr.is_empty(), "unexpected stderr: {}", r.stderr);
    r.stdout
}

pub fn nodes(doc: &Value) -> &[Value] {
    doc["nodes"].as_array().expect("`nodes` is an array")
}

/// The reached node with this id, if any.
pub fn find<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    nodes(doc).iter().find(|n| n["id"] == id)
}

/// The reached node with this id; panics when it is not reached.
pub fn node<'a>(doc: &'a Value, id: &str) -> &'a Value {
    find(doc, id).unwrap_or_else(|| panic!("`{id}` is not reached"))
}

pub fn steps(node: &Value) -> &[Value] {
    node["path"].as_array().expect("`path` is an array")
}

/// The node ids a witness path goes through, start first.
pub fn path_ids(node: &Value) -> Vec<String> {
    let steps = steps(node);
    let mut ids: Vec<String> = steps
        .first()
        .map(|s| vec![s["from"].as_str().unwrap().to_string()])
        .unwrap_or_default();
    for s in steps {
        assert_eq!(
            Some(s["from"].as_str().unwrap()),
            ids.last().map(String::as_str),
            "a path's steps are contiguous"
        );
        ids.push(s["to"].as_str().unwrap().to_string());
    }
    ids
}

pub fn edge_kinds(node: &Value) -> Vec<String> {
    steps(node)
        .iter()
        .map(|s| s["edge"].as_str().unwrap().to_string())
        .collect()
}

/// Every `undecided` key along a node's witness path.
pub fn undecided_keys(node: &Value) -> Vec<String> {
    steps(node)
        .iter()
        .filter_map(|s| s["undecided"].as_array())
        .flatten()
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect()
}

pub fn str_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

/// A copy of `examples/acme` in a fresh temporary directory.
pub fn copy_acme() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&acme(), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Path of a file of the acme account inside a snapshot: `aws/111122223333/NAME`.
pub fn account_file(root: &Path, name: &str) -> PathBuf {
    root.join("aws").join(ACCOUNT).join(name)
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// Edits a JSON file in place.
pub fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value = read_json(path);
    edit(&mut value);
    write_json(path, &value);
}

/// Index of the entity named `name` (by `name_field`) in a GAAD list.
pub fn index_of(gaad: &Value, list: &str, name_field: &str, name: &str) -> usize {
    gaad[list]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e[name_field] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}
