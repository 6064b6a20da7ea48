//! `revoke-plan` end to end: the responder's plan in its three forms, its scope corrections
//! verified, a short plan for a key that reaches little, and no secret ever printed.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

const NOW: &str = "2026-11-27T12:00:00Z";
const SINCE: &str = "2026-11-20T10:00:00Z";

fn plan(snapshot: &Path, key: &str, format: &str) -> Run {
    run([
        "revoke-plan",
        "-s",
        snapshot.to_str().unwrap(),
        "--from",
        key,
        "--now",
        NOW,
        "--exposed-since",
        SINCE,
        "--format",
        format,
    ])
}

fn org() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org")
}

#[test]
fn markdown_plan_of_acme_in_order() {
    let r = plan(&acme(), LEAKED_KEY, "md");
    assert_eq!(r.code, Some(0), "{r:#?}");
    let md = r.stdout;
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("missing {needle:?}"))
    };
    assert!(
        at("## Contain the key") < at("## Kill sessions")
            && at("## Kill sessions") < at("## Look for derived credentials")
    );
    assert!(md.contains(&format!("aws iam update-access-key --user-name ci-deployer --access-key-id {LEAKED_KEY} --status Inactive")));
    // The key reaches admin: the owner is treated as compromised.
    assert!(md.contains("Treat the owner as compromised"));
    // Sessions of the chain's roles, with the revocation time.
    assert!(md.contains("role/terraform-admin"));
    assert!(
        md.contains(r#""aws:TokenIssueTime":"2026-11-27T12:00:00Z""#),
        "sessions issued before now are denied"
    );
    assert!(
        md.contains("--start-time 2026-11-20T10:00:00Z"),
        "CloudTrail lookups start at the exposure"
    );
    insta::assert_snapshot!("acme_revoke_plan_md", md);
}

#[test]
fn json_plan_and_every_correction_shrinks_the_radius() {
    for (snap, key) in [(acme(), LEAKED_KEY), (org(), "AKIAEXAMPLEGHRUNNER1")] {
        let r = plan(&snap, key, "json");
        assert_eq!(r.code, Some(0), "{r:#?}");
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(doc["schema"], "blastmap.revoke-plan.v1");
        let steps = doc["steps"].as_array().unwrap();
        let numbers: Vec<u64> = steps
            .iter()
            .map(|s| s["number"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, (1..=steps.len() as u64).collect::<Vec<_>>());
        let corrections = doc["scope_corrections"].as_array().unwrap();
        assert!(
            !corrections.is_empty(),
            "{key}: a leak that reaches admin has something to narrow"
        );
        let rank = |s: &str| match s {
            "definite" => 0,
            "conditional" => 1,
            _ => 2,
        };
        for c in corrections {
            let admin_better = rank(c["admin_after"].as_str().unwrap())
                > rank(c["admin_before"].as_str().unwrap());
            let fewer = c["principals_after"].as_u64() < c["principals_before"].as_u64();
            assert!(admin_better || fewer, "{c:#}");
        }
        // Each correction holds up when tried again with what-if.
        let best = &corrections[0];
        assert_eq!(best["admin_after"], "none", "{best:#}");
    }
}

#[test]
fn the_best_correction_is_confirmed_by_what_if() {
    let doc: Value =
        serde_json::from_str(&plan(&org(), "AKIAEXAMPLEGHRUNNER1", "json").stdout).unwrap();
    let corrections = doc["scope_corrections"].as_array().unwrap();
    let describe = |c: &Value| c["changes"][0].as_str().unwrap().to_string();
    // The broadest cut first (the runner may assume no role at all), then the narrow one.
    assert_eq!(
        describe(&corrections[0]),
        "deny sts:AssumeRole on * to arn:aws:iam::444455556666:user/ci/gh-runner"
    );
    assert!(
        describe(&corrections[1])
            .starts_with("deny sts:AssumeRole on arn:aws:iam::111122223333:role/deploy-infra"),
        "{corrections:#?}"
    );
    let org = org();
    for (resource, principals) in [
        ("*", corrections[0]["principals_after"].as_u64()),
        (
            "arn:aws:iam::111122223333:role/deploy-infra",
            corrections[1]["principals_after"].as_u64(),
        ),
    ] {
        let r = run([
            "what-if",
            "-s",
            org.to_str().unwrap(),
            "--from",
            "AKIAEXAMPLEGHRUNNER1",
            "--format",
            "json",
            "--add-deny",
            "arn:aws:iam::444455556666:user/ci/gh-runner",
            "sts:AssumeRole",
            resource,
        ]);
        let w: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(w["after"]["admin"], "none");
        assert_eq!(
            w["after"]["counts"]["principals"].as_u64(),
            principals,
            "{resource}"
        );
    }
}

/// Writes account 111122223333 of a snapshot: its users and roles (GAAD entries) and one
/// active access key for `key_user`.
fn write_account(dir: &Path, users: Value, roles: Value, key_user: &str, key: &str) {
    let account = dir.join("aws/111122223333");
    std::fs::create_dir_all(&account).unwrap();
    let gaad = serde_json::json!({
        "UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles,
        "Policies": [], "IsTruncated": false
    });
    std::fs::write(account.join("gaad.json"), gaad.to_string()).unwrap();
    let keys = serde_json::json!({"AccessKeyMetadata": [{
        "UserName": key_user, "AccessKeyId": key, "Status": "Active",
        "CreateDate": "2026-01-01T00:00:00Z"}]});
    std::fs::write(account.join("access-keys.json"), keys.to_string()).unwrap();
}

/// A user entry of a GAAD with one inline policy of the given statements.
fn user(name: &str, id: &str, statements: Value) -> Value {
    serde_json::json!({
        "Path": "/", "UserName": name, "UserId": id,
        "Arn": format!("arn:aws:iam::111122223333:user/{name}"), "CreateDate": "2026-01-01T00:00:00Z",
        "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
        "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": statements}}]
    })
}

/// A user with two independent ways to administrator control: it may assume an administrator
/// role, and create an access key for an administrator user. Cutting either leaves the other,
/// so the plan must offer two changes together.
fn two_paths_to_admin(dir: &Path) {
    let everything = serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]);
    let deployer = user(
        "deployer",
        "AIDAEXAMPLEDEPLOYER1",
        serde_json::json!([
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/admin-a"},
            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::111122223333:user/ops-admin"}
        ]),
    );
    let ops_admin = user("ops-admin", "AIDAEXAMPLEOPSADMIN1", everything.clone());
    let admin_a = serde_json::json!({
        "Path": "/", "RoleName": "admin-a", "RoleId": "AROAEXAMPLEADMINA001",
        "Arn": "arn:aws:iam::111122223333:role/admin-a", "CreateDate": "2026-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": "arn:aws:iam::111122223333:user/deployer"}}]},
        "InstanceProfileList": [], "AttachedManagedPolicies": [], "Tags": [],
        "RolePolicyList": [{"PolicyName": "everything", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": everything}}]
    });
    write_account(
        dir,
        serde_json::json!([deployer, ops_admin]),
        serde_json::json!([admin_a]),
        "deployer",
        "AKIAEXAMPLEDEPLOYER1",
    );
}

#[test]
fn two_independent_paths_need_a_set_of_changes() {
    let dir = tempfile::tempdir().unwrap();
    two_paths_to_admin(dir.path());
    let r = plan(dir.path(), "AKIAEXAMPLEDEPLOYER1", "json");
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["admin"], "definite");
    let corrections = doc["scope_corrections"].as_array().unwrap();
    let best = &corrections[0];
    let changes: Vec<&str> = best["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(changes.len(), 2, "{best:#}");
    assert_eq!(best["admin_after"], "none");
    // No single change ends admin reach here.
    for c in &corrections[1..] {
        assert_eq!(c["changes"].as_array().unwrap().len(), 1);
        assert_ne!(c["admin_after"], "none", "{c:#}");
    }
    // One change cuts the role, the other the access key; what-if agrees that together
    // they end admin reach.
    let mut args: Vec<String> = [
        "what-if",
        "-s",
        dir.path().to_str().unwrap(),
        "--from",
        "AKIAEXAMPLEDEPLOYER1",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for change in &changes {
        let flag: Vec<&str> = if change.starts_with("remove ") {
            assert!(change.ends_with("role/admin-a"), "{change}");
            vec!["--remove-trust", "admin-a", "deployer"]
        } else {
            // deny ACTION on RESOURCE to PRINCIPAL
            let words: Vec<&str> = change.split(' ').collect();
            assert_eq!(
                (words[0], words[2], words[4]),
                ("deny", "on", "to"),
                "{change}"
            );
            vec!["--add-deny", words[5], words[1], words[3]]
        };
        args.extend(flag.into_iter().map(str::to_string));
    }
    assert!(
        changes.iter().any(|c| c.contains("iam:CreateAccessKey")),
        "{changes:?}"
    );
    let w: Value = serde_json::from_str(&run(args).stdout).unwrap();
    assert_eq!(w["before"]["admin"], "definite");
    assert_eq!(w["after"]["admin"], "none");
}

/// One user with one key and one inline policy of the given statements.
fn one_user(dir: &Path, statements: Value) {
    write_account(
        dir,
        serde_json::json!([user("reader", "AIDAEXAMPLEREADER001", statements)]),
        serde_json::json!([]),
        "reader",
        "AKIAEXAMPLEREADER001",
    );
}

fn secret_steps(statements: Value) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    one_user(dir.path(), statements);
    let r = plan(dir.path(), "AKIAEXAMPLEREADER001", "json");
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["section"] == "secrets")
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn secrets_the_snapshot_does_not_list_are_named_by_pattern() {
    // A scoped read names its pattern; wildcard actions count; a narrower pattern under a
    // wider one is folded into it.
    let steps = secret_steps(serde_json::json!([
        {"Effect": "Allow", "Action": "secretsmanager:Get*",
         "Resource": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/*"},
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-*"},
        {"Effect": "Allow", "Action": "ssm:GetParametersByPath",
         "Resource": "arn:aws:ssm:eu-west-1:111122223333:parameter/app/*"},
    ]));
    assert_eq!(
        steps,
        [
            "Rotate every Secrets Manager secret the radius may read: arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/*",
            "Rotate every SecureString parameter the radius may read: arn:aws:ssm:eu-west-1:111122223333:parameter/app/*",
        ]
    );
    // NotAction that leaves the read in, on every resource: every secret of the account.
    let steps = secret_steps(serde_json::json!([
        {"Effect": "Allow", "NotAction": ["iam:*", "kms:*"], "Resource": "*"},
    ]));
    assert!(
        steps.contains(&"Rotate every Secrets Manager secret the radius may read: arn:aws:secretsmanager:*:111122223333:secret:*".to_string()),
        "{steps:?}"
    );
    assert!(!steps.iter().any(|s| s.contains("KMS key")), "{steps:?}");
    // Nothing that reads a secret: no rotation step.
    let steps = secret_steps(serde_json::json!([
        {"Effect": "Allow", "Action": ["s3:GetObject", "secretsmanager:ListSecrets"], "Resource": "*"},
    ]));
    assert!(steps.is_empty(), "{steps:?}");
}

#[test]
fn shell_plan_comments_out_every_mutating_command() {
    let r = plan(&org(), "AKIAEXAMPLEGHRUNNER1", "sh");
    assert_eq!(r.code, Some(0), "{r:#?}");
    let sh = r.stdout;
    assert!(sh.starts_with("#!/bin/sh\n"));
    assert!(sh.contains("Every command that changes the account is commented out"));
    // The script parses as POSIX shell.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("plan.sh");
    std::fs::write(&script, &sh).unwrap();
    let parsed = std::process::Command::new("sh")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(parsed.success(), "sh -n rejects the plan");
    for line in sh.lines().filter(|l| l.starts_with("aws ")) {
        assert!(
            !line.contains("<EACH_LISTED>") && !line.contains("<KEY_ID>"),
            "a command with a placeholder would run: {line}"
        );
        let read_only = [
            "aws iam list-",
            "aws cloudtrail lookup-events",
            "aws kms list-grants",
            "aws kms list-keys",
            "aws secretsmanager list-secrets",
            "aws ssm describe-parameters",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        assert!(read_only, "a mutating command is not commented out: {line}");
    }
    assert!(
        sh.lines()
            .any(|l| l.starts_with("#! aws iam update-access-key"))
    );
    insta::assert_snapshot!("acme_org_revoke_plan_sh", sh);
}

#[test]
fn a_key_that_reaches_nothing_gets_a_short_plan() {
    let r = plan(&org(), "AKIAEXAMPLEPRODBKP01", "json");
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["admin"], "none");
    let text = serde_json::to_string(&doc["steps"]).unwrap();
    assert!(!text.contains("role/"), "names no roles: {text}");
    assert!(
        doc["steps"].as_array().unwrap().len() <= 2,
        "{:#}",
        doc["steps"]
    );
}

#[test]
fn no_secret_value_is_ever_printed() {
    // The output of `aws iam create-access-key` carries the secret: a snapshot made from it
    // must not leak it into any output.
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let dir = copy_acme();
    edit_json(&account_file(dir.path(), "access-keys.json"), |keys| {
        for k in keys["AccessKeyMetadata"].as_array_mut().unwrap() {
            k["SecretAccessKey"] = Value::String(secret.into());
        }
    });
    for format in ["md", "json", "sh"] {
        let r = plan(dir.path(), LEAKED_KEY, format);
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert!(
            !r.stdout.contains("wJalr") && !r.stderr.contains("wJalr"),
            "{format}"
        );
    }
    let r = radius(dir.path(), LEAKED_KEY, &["--format", "json"]);
    assert!(!r.stdout.contains("wJalr"));
    // Given as the selector, it is refused and not echoed.
    let r = plan(dir.path(), secret, "md");
    assert_eq!(r.code, Some(2));
    assert!(!r.stderr.contains("wJalr"), "{}", r.stderr);
}

#[test]
fn bad_times_and_non_keys_are_refused() {
    let acme = acme();
    let s = acme.to_str().unwrap();
    let r = run([
        "revoke-plan",
        "-s",
        s,
        "--from",
        LEAKED_KEY,
        "--exposed-since",
        "yesterday",
    ]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("RFC 3339"), "{}", r.stderr);
    let r = run(["revoke-plan", "-s", s, "--from", "ci-build"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("not an access key"), "{}", r.stderr);
}
