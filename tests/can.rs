//! `blastmap can` end to end on examples/acme: decisions, the statements that make them, the
//! request context options, and bad input.

use crate::support::*;
use serde_json::Value;

fn can(args: &[&str]) -> Run {
    let acme = acme();
    let mut all = vec!["can", "-s", acme.to_str().unwrap()];
    all.extend_from_slice(args);
    run(all)
}

fn can_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let r = can(&all);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["schema"], "blastmap.can.v1");
    doc
}

#[test]
fn explicit_deny_names_the_denying_statement() {
    let doc = can_json(&[
        "--principal",
        "ci-deployer",
        "--action",
        "sts:AssumeRole",
        "--resource",
        &role("prod-admin"),
    ]);
    assert_eq!(doc["decision"], "deny");
    assert_eq!(doc["explicit_deny"], true);
    let denied = doc["denied_by"].as_array().unwrap();
    assert!(
        denied.iter().any(
            |s| s["policy"] == "arn:aws:iam::111122223333:policy/DenyProdIam"
                && s["effect"] == "deny"
        ),
        "{denied:?}"
    );
    assert_eq!(doc["principal"], CI_DEPLOYER);
}

#[test]
fn radius_and_can_agree_on_the_first_hop() {
    let doc = can_json(&[
        "--principal",
        CI_DEPLOYER,
        "--action",
        "sts:AssumeRole",
        "--resource",
        &role("ci-build"),
    ]);
    assert_eq!(doc["decision"], "allow");
    let radius = radius_json(&acme(), LEAKED_KEY);
    assert_eq!(node(&radius, &session("ci-build"))["reach"], "definite");
}

#[test]
fn an_unknown_key_makes_it_conditional_and_context_decides_it() {
    let args = [
        "--principal",
        "ci-build",
        "--action",
        "sts:AssumeRole",
        "--resource",
        &role("artifact-signer"),
    ];
    let doc = can_json(&args);
    assert_eq!(doc["decision"], "conditional");
    let keys: Vec<&str> = doc["undecided"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["sts:ExternalId"]);

    let mut right = args.to_vec();
    right.extend_from_slice(&["--context", "sts:ExternalId=acme-ci-7781"]);
    assert_eq!(can_json(&right)["decision"], "allow");
    let mut wrong = args.to_vec();
    wrong.extend_from_slice(&["--context", "sts:ExternalId=guess"]);
    assert_eq!(can_json(&wrong)["decision"], "deny");
}

#[test]
fn the_boundary_blocks_what_the_identity_policy_allows() {
    let doc = can_json(&[
        "--principal",
        "ci-build",
        "--action",
        "sts:AssumeRole",
        "--resource",
        &role("data-export"),
    ]);
    assert_eq!(doc["decision"], "deny");
    assert_eq!(doc["explicit_deny"], false);
    let stages: Vec<(&str, &str)> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert!(
        stages.contains(&("permission boundary", "deny")),
        "{stages:?}"
    );
}

#[test]
fn credential_kind_decides_the_mfa_keys() {
    // breakglass-admin's trust requires MFA: unknown by default, false for a long-term key.
    let args = [
        "--principal",
        "grace.kim",
        "--action",
        "sts:AssumeRole",
        "--resource",
        &role("breakglass-admin"),
    ];
    let unknown = can_json(&args);
    assert_eq!(unknown["decision"], "conditional", "{unknown:#}");
    let mut key = args.to_vec();
    key.extend_from_slice(&["--credential", "long-term"]);
    assert_eq!(can_json(&key)["decision"], "deny");
    let mut mfa = args.to_vec();
    mfa.extend_from_slice(&["--context", "aws:MultiFactorAuthPresent=true"]);
    assert_eq!(can_json(&mfa)["decision"], "allow");
}

#[test]
fn table_output_leads_with_the_decision() {
    let r = can(&[
        "--principal",
        "ci-deployer",
        "--action",
        "sts:AssumeRole",
        "--resource",
        &role("prod-admin"),
    ]);
    assert_eq!(r.code, Some(0));
    assert!(
        r.stdout.starts_with("DENY (explicit deny): "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Denied by"));
}

#[test]
fn bad_input_is_one_line_with_exit_code_2() {
    for (args, needle) in [
        (
            vec![
                "--principal",
                "ci-deploy",
                "--action",
                "s3:GetObject",
                "--resource",
                "arn:aws:s3:::b/k",
            ],
            "did you mean",
        ),
        (
            vec![
                "--principal",
                "ci-deployer",
                "--action",
                "s3:GetObject",
                "--resource",
                "arn:aws:s3:::b/k",
                "--context",
                "no-equals-sign",
            ],
            "KEY=VALUE",
        ),
        (
            vec![
                "--principal",
                "ci-deployer",
                "--action",
                "s3:GetObject",
                "--resource",
                "arn:aws:s3:::b/k",
                "--context",
                "k=v",
                "--context-empty",
                "k",
            ],
            "both",
        ),
    ] {
        let r = can(&args);
        assert_eq!(r.code, Some(2), "{args:?}: {r:#?}");
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.trim_end().lines().count() == 1,
            "{r:#?}"
        );
        assert!(r.stderr.contains(needle), "{}", r.stderr);
    }
}

#[test]
fn a_secret_in_context_is_never_echoed() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let r = can(&[
        "--principal",
        "ci-deployer",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--context",
        secret,
    ]);
    assert_eq!(r.code, Some(2));
    assert!(
        !r.stderr.contains("wJalr") && !r.stdout.contains("wJalr"),
        "{r:#?}"
    );
}
