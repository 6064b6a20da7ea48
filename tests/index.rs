//! `blastmap index`: the cached graph gives the same answers as a build, is used only while
//! the snapshot, the rules and the blastmap build are the ones it was written for, and a bad
//! one is rebuilt with a note instead of trusted.

use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Where the header's key ends: magic (8), format (4), three digests (3 x 32).
const KEY_END: usize = 8 + 4 + 3 * 32;

fn index_of_dir(snapshot: &Path) -> PathBuf {
    snapshot.join(".blastmap-index")
}

fn index(snapshot: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["index", "-s", snapshot.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(args)
}

fn indexed(snapshot: &Path, extra: &[&str]) {
    let r = index(snapshot, extra);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.starts_with("wrote `"), "{}", r.stdout);
    assert!(r.stdout.contains(" nodes, "), "{}", r.stdout);
}

/// `radius --from LEAKED_KEY --format json` with `extra` arguments before the command.
fn radius_with(snapshot: &Path, global: &[&str]) -> Run {
    let mut args: Vec<&str> = global.to_vec();
    args.extend([
        "radius",
        "-s",
        snapshot.to_str().unwrap(),
        "--from",
        LEAKED_KEY,
        "--format",
        "json",
    ]);
    run(args)
}

fn json(r: &Run) -> Value {
    assert_eq!(r.code, Some(0), "{r:#?}");
    serde_json::from_str(&r.stdout).unwrap()
}

fn deactivate_leaked_key(snapshot: &Path) {
    edit_json(&account_file(snapshot, "access-keys.json"), |keys| {
        let list = keys["AccessKeyMetadata"].as_array_mut().unwrap();
        let key = list
            .iter_mut()
            .find(|k| k["AccessKeyId"] == LEAKED_KEY)
            .unwrap();
        key["Status"] = json!("Inactive");
    });
}

#[test]
fn every_command_answers_the_same_from_the_index() {
    for example in ["acme", "acme-org"] {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example);
        let snap = tempfile::tempdir().unwrap();
        copy_dir(&src, snap.path());
        let s = snap.path().to_str().unwrap();
        let from = if example == "acme" {
            LEAKED_KEY
        } else {
            "AKIAEXAMPLEGHRUNNER1"
        };
        let commands: Vec<Vec<&str>> = vec![
            vec!["radius", "-s", s, "--from", from, "--format", "json"],
            vec!["radius", "-s", s, "--all-principals", "--format", "json"],
            vec![
                "who-can",
                "-s",
                s,
                "--reach",
                "prod-admin",
                "--format",
                "json",
            ],
            vec!["path", "-s", s, "--from", from, "--to", "prod-admin"],
            vec!["diagram", "-s", s, "--from", from],
            vec![
                "revoke-plan",
                "-s",
                s,
                "--from",
                from,
                "--format",
                "json",
                "--now",
                "2026-11-27T00:00:00Z",
            ],
            vec![
                "what-if",
                "-s",
                s,
                "--from",
                from,
                "--delete-key",
                from,
                "--format",
                "json",
            ],
        ];
        let before: Vec<Run> = commands.iter().map(run).collect();
        indexed(snap.path(), &[]);
        assert!(index_of_dir(snap.path()).is_file());
        for (command, before) in commands.iter().zip(&before) {
            let after = run(command);
            assert_eq!(after.code, before.code, "{example} {command:?}: {after:#?}");
            assert_eq!(after.stdout, before.stdout, "{example} {command:?}");
            assert_eq!(after.stderr, before.stderr, "{example} {command:?}");
        }
        let check = index(snap.path(), &["--check"]);
        assert_eq!(check.code, Some(0), "{check:#?}");
        assert!(check.stdout.contains("is valid"), "{}", check.stdout);
    }
}

#[test]
fn the_command_reads_the_index_when_its_key_matches() {
    // Two indexes written by the same blastmap and rules, for the snapshot as it is and with
    // the leaked key deactivated. The first index's key with the second's payload: the
    // command answers from the payload, so it does read the index (the checksum guards
    // against damage, not against someone who can write into the snapshot directory, who
    // could as well edit the snapshot).
    let active = copy_acme();
    let inactive = copy_acme();
    deactivate_leaked_key(inactive.path());
    indexed(active.path(), &[]);
    indexed(inactive.path(), &[]);
    let user = format!("arn:aws:iam::{ACCOUNT}:user/automation/ci-deployer");
    assert_eq!(
        node(&json(&radius_with(active.path(), &[])), &user)["reach"],
        "definite"
    );
    let a = std::fs::read(index_of_dir(active.path())).unwrap();
    let b = std::fs::read(index_of_dir(inactive.path())).unwrap();
    let mut forged = a[..KEY_END].to_vec();
    forged.extend_from_slice(&b[KEY_END..]);
    std::fs::write(index_of_dir(active.path()), &forged).unwrap();
    let r = radius_with(active.path(), &[]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(node(&json(&r), &user)["reach"], "conditional");
}

#[test]
fn an_edited_snapshot_is_rebuilt() {
    let snap = copy_acme();
    indexed(snap.path(), &[]);
    deactivate_leaked_key(snap.path());
    let r = radius_with(snap.path(), &[]);
    assert!(
        r.stderr
            .contains("is stale (the snapshot's files changed since it was written)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let user = format!("arn:aws:iam::{ACCOUNT}:user/automation/ci-deployer");
    assert_eq!(node(&json(&r), &user)["reach"], "conditional");
    let check = index(snap.path(), &["--check"]);
    assert_eq!(check.code, Some(1), "{check:#?}");
    assert!(check.stdout.contains("is stale"), "{}", check.stdout);
    // Indexing again makes it valid, with the edit in it.
    indexed(snap.path(), &[]);
    let r = radius_with(snap.path(), &[]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(node(&json(&r), &user)["reach"], "conditional");
}

#[test]
fn a_corrupt_index_is_rebuilt_with_a_note() {
    let snap = copy_acme();
    let expected = radius_with(snap.path(), &[]);
    indexed(snap.path(), &[]);
    let path = index_of_dir(snap.path());
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let middle = good.len() / 2 + KEY_END / 2;
    flipped[middle] ^= 0x20;
    let truncated = good[..good.len() - 10].to_vec();
    for (what, bytes, reason) in [
        ("flipped", flipped, "checksum mismatch"),
        ("truncated", truncated, "truncated"),
        (
            "garbage",
            b"not an index at all".to_vec(),
            "shorter than its header",
        ),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let r = radius_with(snap.path(), &[]);
        assert_eq!(r.code, Some(0), "{what}: {r:#?}");
        assert_eq!(r.stdout, expected.stdout, "{what}");
        assert!(
            r.stderr.starts_with("note: index `"),
            "{what}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("is corrupt ({reason})")),
            "{what}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{what}: {}", r.stderr);
        let check = index(snap.path(), &["--check"]);
        assert_eq!(check.code, Some(1), "{what}: {check:#?}");
    }
}

const OVERRIDE: &str = r#"
[[rule]]
id = "aws.iam.create-access-key"
title = "Create an access key for another user (overridden)"
references = ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html"]
target = "user"
gives = "act-as"
permissions = [{ action = "iam:CreateAccessKey", resource = "{target.arn}" }]
persistence = ["a new access key on the target user"]
audit = { cloudtrail = ["CreateAccessKey"] }

[[rule.example]]
name = "allowed"
allow = [{ action = ["iam:CreateAccessKey"], resource = ["*"] }]
expect = "definite"

[[rule.example]]
name = "other"
allow = [{ action = ["iam:ListUsers"], resource = ["*"] }]
expect = "none"
"#;

#[test]
fn an_index_serves_only_the_rules_it_was_built_with() {
    let policies = tempfile::tempdir().unwrap();
    std::fs::write(policies.path().join("override.toml"), OVERRIDE).unwrap();
    let p = policies.path().to_str().unwrap();
    // As in tests/rules.rs: deploy-staging, reached before any administrator, may create keys
    // for alice, so the technique's rule is on alice's witness path.
    let snap = copy_acme();
    edit_json(&account_file(snap.path(), "gaad.json"), |gaad| {
        let i = index_of(gaad, "RoleDetailList", "RoleName", "deploy-staging");
        gaad["RoleDetailList"][i]["RolePolicyList"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "PolicyName": "keys-for-alice",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": "iam:CreateAccessKey",
                    "Resource": "arn:aws:iam::111122223333:user/alice.admin"}]}
            }));
    });
    let default_rules = radius_with(snap.path(), &[]);
    let overridden = radius_with(snap.path(), &["--policies", p]);
    let none = run([
        "radius",
        "-s",
        snap.path().to_str().unwrap(),
        "--from",
        LEAKED_KEY,
        "--format",
        "json",
        "--no-escalation",
    ]);
    assert!(overridden.stdout.contains("(overridden)"));
    assert_ne!(default_rules.stdout, overridden.stdout);
    assert_ne!(default_rules.stdout, none.stdout);
    indexed(snap.path(), &[]);
    let r = radius_with(snap.path(), &["--policies", p]);
    assert!(
        r.stderr
            .contains("is stale (built with other escalation rules)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, overridden.stdout);
    let r = run([
        "radius",
        "-s",
        snap.path().to_str().unwrap(),
        "--from",
        LEAKED_KEY,
        "--format",
        "json",
        "--no-escalation",
    ]);
    assert!(r.stderr.contains("other escalation rules"), "{}", r.stderr);
    assert_eq!(r.stdout, none.stdout);
    // Indexed with the other rules, the index serves those and not the built-in ones.
    let w = run([
        "--policies",
        p,
        "index",
        "-s",
        snap.path().to_str().unwrap(),
    ]);
    assert_eq!(w.code, Some(0), "{w:#?}");
    let r = radius_with(snap.path(), &["--policies", p]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(r.stdout, overridden.stdout);
    let r = radius_with(snap.path(), &[]);
    assert!(r.stderr.contains("other escalation rules"), "{}", r.stderr);
    assert_eq!(r.stdout, default_rules.stdout);
    // And `index --no-escalation` serves `--no-escalation`.
    indexed(snap.path(), &["--no-escalation"]);
    let r = run([
        "radius",
        "-s",
        snap.path().to_str().unwrap(),
        "--from",
        LEAKED_KEY,
        "--format",
        "json",
        "--no-escalation",
    ]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(r.stdout, none.stdout);
}

#[test]
fn a_single_file_snapshot_is_indexed_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gaad.json");
    std::fs::copy(account_file(&acme(), "gaad.json"), &file).unwrap();
    let before = radius_with(&file, &[]);
    let r = index(&file, &[]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(dir.path().join("gaad.json.blastmap-index").is_file());
    let after = radius_with(&file, &[]);
    assert_eq!(after.stdout, before.stdout);
    assert_eq!(after.stderr, before.stderr);
    assert_eq!(index(&file, &["--check"]).code, Some(0));
}

#[test]
fn check_without_an_index_and_bad_snapshots() {
    let snap = copy_acme();
    let check = index(snap.path(), &["--check"]);
    assert_eq!(check.code, Some(1), "{check:#?}");
    assert!(check.stdout.contains("does not exist"), "{}", check.stdout);
    // Nothing is written by the other commands.
    assert_eq!(radius_with(snap.path(), &[]).code, Some(0));
    assert!(!index_of_dir(snap.path()).exists());
    let missing = index(&snap.path().join("nope"), &[]);
    assert_eq!(missing.code, Some(2), "{missing:#?}");
    assert!(
        missing.stderr.contains("does not exist"),
        "{}",
        missing.stderr
    );
    let missing = index(&snap.path().join("nope"), &["--check"]);
    assert_eq!(missing.code, Some(2), "{missing:#?}");
}
