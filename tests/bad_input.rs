//! Bad input: every failure is exit code 2 and one line on stderr, starting with `error: `,
//! that names the file and where in it (JSON pointer or CSV line); never a panic.

use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Asserts the shape of a bad-input failure and that stderr contains every `needle`.
#[track_caller]
fn assert_bad_input(r: &Run, needles: &[&str]) {
    assert_eq!(r.code, Some(2), "exit code: {r:#?}");
    assert!(r.stdout.is_empty(), "nothing on stdout: {r:#?}");
    assert!(
        r.stderr.starts_with("error: "),
        "stderr starts with `error: `: {r:#?}"
    );
    assert!(r.stderr.ends_with('\n'), "{r:#?}");
    assert_eq!(
        r.stderr.trim_end_matches('\n').lines().count(),
        1,
        "a single line on stderr: {:?}",
        r.stderr
    );
    for panic_text in ["panicked", "RUST_BACKTRACE", "stack backtrace", "unwrap"] {
        assert!(!r.stderr.contains(panic_text), "panic text: {}", r.stderr);
    }
    for needle in needles {
        assert!(
            r.stderr.contains(needle),
            "stderr should contain {needle:?}: {}",
            r.stderr
        );
    }
}

fn gaad_path(root: &Path) -> std::path::PathBuf {
    account_file(root, "gaad.json")
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Runs the leaked key's radius on a snapshot after `corrupt` changed it.
fn run_corrupted(corrupt: impl FnOnce(&Path)) -> (tempfile::TempDir, Run) {
    let dir = copy_acme();
    corrupt(dir.path());
    let r = radius(dir.path(), LEAKED_KEY, &[]);
    (dir, r)
}

#[test]
fn snapshot_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-snapshot");
    let r = radius(&missing, LEAKED_KEY, &[]);
    assert_bad_input(&r, &[&display(&missing), "does not exist"]);
}

#[test]
fn directory_without_aws() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.txt"), "not a snapshot").unwrap();
    let r = radius(dir.path(), LEAKED_KEY, &[]);
    assert_bad_input(&r, &[&display(dir.path()), "aws/<ACCOUNT_ID>/gaad.json"]);
}

#[test]
fn aws_directory_without_accounts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("aws/not-an-account")).unwrap();
    let r = radius(dir.path(), LEAKED_KEY, &[]);
    assert_bad_input(&r, &[&display(dir.path()), "no AWS account data"]);
}

#[test]
fn gaad_that_is_not_json() {
    let (dir, r) = run_corrupted(|root| {
        std::fs::write(gaad_path(root), "{\"UserDetailList\": [ this is not json").unwrap();
    });
    assert_bad_input(
        &r,
        &[
            &display(&gaad_path(dir.path())),
            "not valid JSON",
            "`/UserDetailList",
        ],
    );
}

#[test]
fn gaad_with_trailing_garbage() {
    let (dir, r) = run_corrupted(|root| {
        let mut text = std::fs::read_to_string(gaad_path(root)).unwrap();
        text.push_str("\n}}");
        std::fs::write(gaad_path(root), text).unwrap();
    });
    assert_bad_input(&r, &[&display(&gaad_path(dir.path())), "trailing"]);
}

#[test]
fn gaad_with_a_wrongly_typed_field() {
    let (dir, r) = run_corrupted(|root| {
        edit_json(&gaad_path(root), |g| {
            g["UserDetailList"][0]["UserName"] = json!(5)
        });
    });
    assert_bad_input(
        &r,
        &[
            &display(&gaad_path(dir.path())),
            "`/UserDetailList/0/UserName`",
            "invalid type",
        ],
    );
}

#[test]
fn gaad_with_a_timestamp_without_a_zone() {
    let (dir, r) = run_corrupted(|root| {
        edit_json(&gaad_path(root), |g| {
            g["RoleDetailList"][2]["CreateDate"] = json!("2025-03-14T10:45:00")
        });
    });
    assert_bad_input(
        &r,
        &[
            &display(&gaad_path(dir.path())),
            "`/RoleDetailList/2/CreateDate`",
            "2025-03-14T10:45:00",
        ],
    );
}

#[test]
fn policy_with_a_misspelt_effect() {
    let mut pointer = String::new();
    let (dir, r) = run_corrupted(|root| {
        edit_json(&gaad_path(root), |g| {
            let u = index_of(g, "UserDetailList", "UserName", "ci-deployer");
            g["UserDetailList"][u]["UserPolicyList"][0]["PolicyDocument"]["Statement"][2]["Effect"] =
                json!("Alow");
            pointer =
                format!("`/UserDetailList/{u}/UserPolicyList/0/PolicyDocument/Statement/2/Effect`");
        });
    });
    assert_bad_input(
        &r,
        &[
            &display(&gaad_path(dir.path())),
            &pointer,
            "Alow",
            "CIDeployerAssumeRoles",
        ],
    );
}

#[test]
fn url_encoded_policy_with_a_misspelt_effect_points_into_the_decoded_document() {
    let mut pointer = String::new();
    let (dir, r) = run_corrupted(|root| {
        edit_json(&gaad_path(root), |g| {
            let p = index_of(g, "Policies", "PolicyName", "DenyProdIam");
            let doc = &mut g["Policies"][p]["PolicyVersionList"][0]["Document"];
            let text = doc.as_str().unwrap().to_string();
            let bad = text.replacen("%22Effect%22%3A%22Deny%22", "%22Effect%22%3A%22Alow%22", 1);
            assert_ne!(text, bad, "the encoded document has an Effect to corrupt");
            *doc = Value::String(bad);
            pointer = format!("`/Policies/{p}/PolicyVersionList/0/Document/Statement/0/Effect`");
        });
    });
    assert_bad_input(&r, &[&display(&gaad_path(dir.path())), &pointer, "Alow"]);
}

#[test]
fn invalid_url_encoded_policy_document() {
    for (garbage, why) in [
        (
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement",
            "not valid JSON",
        ),
        ("%7B%FF%FE%22", "not UTF-8"),
    ] {
        let mut pointer = String::new();
        let (dir, r) = run_corrupted(|root| {
            edit_json(&gaad_path(root), |g| {
                let p = index_of(g, "Policies", "PolicyName", "CIBoundary");
                g["Policies"][p]["PolicyVersionList"][0]["Document"] = json!(garbage);
                pointer = format!("`/Policies/{p}/PolicyVersionList/0/Document`");
            });
        });
        assert_bad_input(
            &r,
            &[
                &display(&gaad_path(dir.path())),
                &pointer,
                why,
                "arn:aws:iam::111122223333:policy/CIBoundary",
            ],
        );
    }
}

#[test]
fn access_key_with_a_bogus_status() {
    let keys = |root: &Path| account_file(root, "access-keys.json");
    let (dir, r) = run_corrupted(|root| {
        edit_json(&keys(root), |k| {
            k["AccessKeyMetadata"][3]["Status"] = json!("Bogus");
        });
    });
    assert_bad_input(
        &r,
        &[
            &display(&keys(dir.path())),
            "`/AccessKeyMetadata/3/Status`",
            "Bogus",
        ],
    );
}

#[test]
fn malformed_credential_report_row() {
    let report = |root: &Path| account_file(root, "credential-report.csv");
    let (dir, r) = run_corrupted(|root| {
        let text = std::fs::read_to_string(report(root)).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[3] = "carol.nguyen,arn:aws:iam::111122223333:user/carol.nguyen,oops";
        std::fs::write(report(root), lines.join("\n") + "\n").unwrap();
    });
    assert_bad_input(&r, &[&display(&report(dir.path())), "line 4"]);
}

#[test]
fn manifest_from_a_newer_format() {
    let (dir, r) = run_corrupted(|root| {
        edit_json(&root.join("manifest.json"), |m| {
            m["format_version"] = json!(99)
        });
    });
    assert_bad_input(
        &r,
        &[
            &display(&dir.path().join("manifest.json")),
            "`/format_version`",
            "99",
        ],
    );
}

#[test]
fn unknown_from_suggests_a_close_name() {
    let r = radius(&acme(), "ci-deploy", &[]);
    assert_bad_input(&r, &["ci-deploy", "did you mean", "`ci-deployer`"]);
}

#[test]
fn unknown_key_id_suggests_the_close_key() {
    let r = radius(&acme(), "AKIAIOSFODNN8EXAMPLE", &[]);
    assert_bad_input(&r, &["did you mean", "`AKIAIOSFODNN7EXAMPLE`"]);
}

#[test]
fn ambiguous_name_is_refused() {
    let dir = copy_acme();
    // A role with the same name as the user `ci-deployer`.
    edit_json(&gaad_path(dir.path()), |g| {
        g["RoleDetailList"].as_array_mut().unwrap().push(json!({
            "Path": "/",
            "RoleName": "ci-deployer",
            "RoleId": "AROAEXAMPLEDUPLICATE1",
            "Arn": "arn:aws:iam::111122223333:role/ci-deployer",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
            }
        }));
    });
    let r = radius(dir.path(), "ci-deployer", &[]);
    assert_bad_input(
        &r,
        &[
            "ambiguous",
            "arn:aws:iam::111122223333:user/automation/ci-deployer",
            "arn:aws:iam::111122223333:role/ci-deployer",
        ],
    );
    // The full ids still work.
    for id in [CI_DEPLOYER, "arn:aws:iam::111122223333:role/ci-deployer"] {
        assert_eq!(radius_json(dir.path(), id)["from"]["id"], id);
    }
}

#[test]
fn a_secret_access_key_is_never_echoed() {
    for from in [SECRET.to_string(), format!("  {SECRET}  ")] {
        let r = radius(&acme(), &from, &[]);
        assert_bad_input(&r, &["secret:sha256:", "looks like a secret"]);
        for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(!text.contains(SECRET), "the secret is echoed on {name}");
            assert!(
                !text.contains("wJalrXUtnFEMI"),
                "part of the secret on {name}"
            );
            assert!(!text.contains("EXAMPLEKEY"), "part of the secret on {name}");
        }
    }
    // Also with the JSON format.
    let r = radius(&acme(), SECRET, &["--format", "json"]);
    assert_bad_input(&r, &["secret:sha256:"]);
    assert!(!r.stderr.contains("wJalr"));
}

#[test]
fn a_missing_access_key_file_means_the_key_is_unknown() {
    let dir = copy_acme();
    std::fs::remove_file(account_file(dir.path(), "access-keys.json")).unwrap();
    let r = radius(dir.path(), LEAKED_KEY, &[]);
    assert_bad_input(
        &r,
        &[
            LEAKED_KEY,
            "no node matches",
            "access-keys.json is missing for account 111122223333",
        ],
    );
    // Starting from the owner still works.
    assert_eq!(radius_json(dir.path(), "ci-deployer")["admin"], "definite");
}

#[test]
fn a_padded_key_id_gets_the_same_hint() {
    let dir = copy_acme();
    std::fs::remove_file(account_file(dir.path(), "access-keys.json")).unwrap();
    let r = radius(dir.path(), &format!(" {LEAKED_KEY} "), &[]);
    assert_bad_input(
        &r,
        &[
            LEAKED_KEY,
            "access-keys.json is missing for account 111122223333",
        ],
    );
}

#[test]
fn a_padded_key_id_is_found() {
    let doc = radius_json(&acme(), &format!(" {LEAKED_KEY} "));
    assert_eq!(doc["from"]["id"], LEAKED_KEY);
}

#[test]
fn a_temporary_key_id_is_explained() {
    let r = radius(&acme(), "ASIAIOSFODNN7EXAMPLE", &[]);
    assert_bad_input(&r, &["no node matches `ASIAIOSFODNN7EXAMPLE`", "temporary"]);
}

#[test]
fn a_key_id_from_outside_the_snapshot_is_explained() {
    let r = radius(&acme(), "AKIAEXAMPLEUNKNOWN01", &[]);
    assert_bad_input(
        &r,
        &[
            "no node matches `AKIAEXAMPLEUNKNOWN01`",
            "outside the snapshot",
        ],
    );
}
