//! `blastmap synth`: the same seed writes the same files, another seed other ones, and a
//! generated organisation loads, builds and answers a radius.

use crate::support::*;
use blastmap::synth::{Scale, generate};
use std::collections::BTreeMap;
use std::path::Path;

/// Four accounts (management, hub, CI, a workload): every kind of trust, quick to build.
fn tiny() -> Scale {
    Scale::new(4, 40, 100)
}

fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let ga = generate(tiny(), 42, &a).unwrap();
    let gb = generate(tiny(), 42, &b).unwrap();
    generate(tiny(), 43, &c).unwrap();
    assert_eq!(ga, gb);
    let (fa, fb, fc) = (contents(&a), contents(&b), contents(&c));
    assert!(fa.contains_key("manifest.json"));
    assert!(fa.contains_key("aws/organizations.json"));
    for kind in ["gaad.json", "access-keys.json", "credential-report.csv"] {
        assert_eq!(
            fa.keys().filter(|k| k.ends_with(kind)).count(),
            4,
            "{kind} per account"
        );
    }
    assert_eq!(fa, fb, "the same seed writes the same bytes");
    assert_ne!(fa, fc, "another seed writes another organisation");
}

#[test]
fn refuses_a_directory_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "x").unwrap();
    assert!(generate(tiny(), 1, tmp.path()).is_err());
}

#[test]
fn generated_organisation_loads_and_answers_a_radius() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("org");
    let g = generate(tiny(), 7, &dir).unwrap();
    assert_eq!(g.accounts, 4);
    assert!(g.users >= 40 && g.roles >= 100, "{g:?}");
    let snap = blastmap::snapshot::Snapshot::open(&dir).unwrap();
    assert_eq!(snap.aws_accounts.len(), 4);
    assert!(snap.organization.is_some());

    let out = run([
        "radius",
        "-s",
        dir.to_str().unwrap(),
        "--from",
        &g.leaked_key,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // The CI deployer's key reaches the deploy role of another account through its trust.
    assert!(
        out.stdout.contains(&g.what_if_role),
        "the key reaches {}: {report}",
        g.what_if_role
    );
}

#[test]
fn synth_subcommand_writes_a_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("small");
    let out = run([
        "synth",
        "--size",
        "small",
        "--seed",
        "3",
        "--users",
        "20",
        "--roles",
        "40",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("1 accounts, 20 users"),
        "{}",
        out.stdout
    );
    assert!(dir.join("manifest.json").is_file());
    let again = run(["synth", "--out", dir.to_str().unwrap()]);
    assert_eq!(
        again.code,
        Some(2),
        "a second run into the same directory is refused"
    );
}
