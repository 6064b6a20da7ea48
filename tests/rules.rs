//! The escalation rules of `policies/`: `rules check` passes on the built-in rules (every
//! example of every rule behaves), refuses broken rules with a one-line error, and
//! `--policies DIR` overrides rules for every command.

use crate::support::*;

#[test]
fn builtin_rules_and_their_examples_check() {
    let r = run(["rules", "check"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let last = r.stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with(" 0 failed"), "{last}");
    let rules: usize = last.split_whitespace().next().unwrap().parse().unwrap();
    assert!(rules >= 35, "{last}");
}

#[test]
fn a_failing_example_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wrong.toml"),
        r#"
[[rule]]
id = "aws.iam.create-access-key"
title = "Create an access key for another user"
references = ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html"]
target = "user"
gives = "act-as"
permissions = [{ action = "iam:CreateAccessKey", resource = "{target.arn}" }]
persistence = ["a new access key on the target user"]
audit = { cloudtrail = ["CreateAccessKey"] }

[[rule.example]]
name = "claims a denied key works"
allow = [{ action = ["iam:CreateAccessKey"], resource = ["*"] }]
deny = [{ action = ["iam:CreateAccessKey"], resource = ["*"] }]
expect = "definite"

[[rule.example]]
name = "nothing allowed"
expect = "none"
"#,
    )
    .unwrap();
    let r = run(["--policies", dir.path().to_str().unwrap(), "rules", "check"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stdout.contains("FAIL aws.iam.create-access-key / claims a denied key works: expected definite, got none"), "{}", r.stdout);
}

#[test]
fn a_malformed_rule_is_refused_with_its_file_and_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        r#"
[[rule]]
id = "aws.iam.Bad Id"
title = "x"
references = ["y"]
target = "user"
gives = "act-as"
permissions = [{ action = "iam:CreateAccessKey", resource = "{target.arn}" }]
"#,
    )
    .unwrap();
    let r = run(["--policies", dir.path().to_str().unwrap(), "rules", "check"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.stderr.starts_with("error: `") && r.stderr.contains("bad.toml` rule `aws.iam.Bad Id`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim_end().lines().count(), 1);
}

#[test]
fn a_rule_that_names_no_persistence_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("quiet.toml"),
        r#"
[[rule]]
id = "aws.iam.create-access-key"
title = "Create an access key for another user"
references = ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html"]
target = "user"
gives = "act-as"
permissions = [{ action = "iam:CreateAccessKey", resource = "{target.arn}" }]

[[rule.example]]
name = "allowed"
allow = [{ action = ["iam:CreateAccessKey"], resource = ["*"] }]
expect = "definite"

[[rule.example]]
name = "nothing allowed"
expect = "none"
"#,
    )
    .unwrap();
    let r = run(["--policies", dir.path().to_str().unwrap(), "rules", "check"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.stderr
            .contains("quiet.toml` rule `aws.iam.create-access-key`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`persistence`"), "{}", r.stderr);
}

#[test]
fn policies_dir_overrides_a_rule_for_radius() {
    // Replace CreateAccessKey with a version of another title and a second permission: every
    // use of the technique in the radius is the overriding one.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("override.toml"),
        r#"
[[rule]]
id = "aws.iam.create-access-key"
title = "Create an access key for another user (overridden)"
references = ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html"]
target = "user"
gives = "act-as"
permissions = [
  { action = "iam:CreateAccessKey", resource = "{target.arn}" },
  { action = "iam:TagUser", resource = "{target.arn}" },
]
persistence = ["a new access key on the target user"]
audit = { cloudtrail = ["CreateAccessKey", "TagUser"] }

[[rule.example]]
name = "both"
allow = [{ action = ["iam:CreateAccessKey", "iam:TagUser"], resource = ["*"] }]
expect = "definite"

[[rule.example]]
name = "one"
allow = [{ action = ["iam:CreateAccessKey"], resource = ["*"] }]
expect = "none"
"#,
    )
    .unwrap();
    // deploy-staging, reached before any administrator, may create keys for alice (ci-deployer
    // itself may not: its group denies IAM writes).
    let snap = copy_acme();
    edit_json(&account_file(snap.path(), "gaad.json"), |gaad| {
        let i = index_of(gaad, "RoleDetailList", "RoleName", "deploy-staging");
        gaad["RoleDetailList"][i]["RolePolicyList"].as_array_mut().unwrap().push(serde_json::json!({
            "PolicyName": "keys-for-alice",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["iam:CreateAccessKey", "iam:TagUser"], "Resource": "arn:aws:iam::111122223333:user/alice.admin"}]}
        }));
    });
    let with = |extra: &[&str]| {
        let mut args = vec![
            "radius",
            "-s",
            snap.path().to_str().unwrap(),
            "--from",
            LEAKED_KEY,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let r = run(args);
        assert_eq!(r.code, Some(0), "{r:#?}");
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()
    };
    let alice = format!("arn:aws:iam::{ACCOUNT}:user/alice.admin");
    let builtin = with(&[]);
    let step = steps(node(&builtin, &alice)).last().unwrap().clone();
    assert_eq!(step["from"], role("deploy-staging"), "{step:#}");
    assert!(
        step["mechanism"]
            .as_str()
            .unwrap()
            .starts_with("aws.iam.create-access-key: Create an access key for another user on"),
        "{step:#}"
    );
    let overridden = with(&["--policies", dir.path().to_str().unwrap()]);
    let step = steps(node(&overridden, &alice)).last().unwrap().clone();
    assert!(
        step["mechanism"].as_str().unwrap().contains("(overridden)"),
        "{step:#}"
    );
    // Without escalation rules, alice is reached only through account control.
    let none = with(&["--no-escalation"]);
    assert_eq!(
        steps(node(&none, &alice)).last().unwrap()["edge"],
        "controls"
    );
}

#[test]
fn escalation_chain_across_accounts() {
    // key -> user -> role in prod (across accounts) -> escalation -> account control.
    let org = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let d = radius_json(&org, "AKIAEXAMPLEGHRUNNER1");
    let control = node(&d, "aws:account:111122223333");
    let kinds = edge_kinds(control);
    assert_eq!(
        kinds,
        [
            "authenticates_as",
            "assumes",
            "acts_as",
            "escalates_to",
            "administers"
        ]
    );
    // From that control, every principal of prod is reached; none of the other accounts'.
    assert!(
        nodes(&d)
            .iter()
            .any(|n| n["id"] == "arn:aws:iam::111122223333:user/svc/backup-agent")
    );
}
