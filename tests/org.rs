//! examples/acme-org: three accounts of one organisation with SCPs, RCPs and resource
//! policies. The facts are those of its SCENARIO.md: radius and can must agree with AWS's
//! evaluation across accounts.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const KEY: &str = "AKIAEXAMPLEGHRUNNER1";
const PROD: &str = "111122223333";
const CI: &str = "444455556666";

fn org() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org")
}

fn prod_role(name: &str) -> String {
    format!("arn:aws:iam::{PROD}:role/{name}")
}

fn prod_session(name: &str) -> String {
    format!("arn:aws:sts::{PROD}:assumed-role/{name}/*")
}

fn doc() -> Value {
    radius_json(&org(), KEY)
}

#[test]
fn cross_account_hops_need_both_sides_and_hold_definitely() {
    let d = doc();
    // Trust names the user / the CI account, and the user's policy allows role/deploy-*.
    for role in ["deploy-app", "deploy-infra"] {
        let n = node(&d, &prod_session(role));
        assert_eq!(n["reach"], "definite", "{role}: {n:#}");
        assert_eq!(n["hops"], 2);
        let step = &steps(n)[1];
        assert!(
            step["mechanism"]
                .as_str()
                .unwrap()
                .contains("across accounts"),
            "{step:#}"
        );
    }
    // db-migrate trusts the CI account too, but no identity policy of the key allows it.
    assert!(
        nodes(&d)
            .iter()
            .flat_map(steps)
            .all(|s| s["to"] != prod_session("db-migrate")),
        "db-migrate's session is never assumed"
    );
    // It is reached only through deploy-infra's escalation techniques or account control.
    let db = node(&d, &prod_role("db-migrate"));
    assert!(
        steps(db)
            .iter()
            .any(|s| s["from"] == prod_role("deploy-infra") || s["edge"] == "controls"),
        "only once deploy-infra's IAM permissions are used: {:?}",
        path_ids(db)
    );
}

#[test]
fn the_org_id_is_derived_so_the_data_perimeter_rcp_does_not_deny_members() {
    // Without the organisation id the RCP's aws:PrincipalOrgID condition is undecidable.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&org(), dir.path());
    edit_json(&dir.path().join("aws/organizations.json"), |o| {
        o.as_object_mut().unwrap().remove("Organization");
        for root in o["Roots"].as_array_mut().unwrap() {
            root.as_object_mut().unwrap().remove("Arn");
        }
    });
    let without = radius_json(dir.path(), KEY);
    let n = node(&without, &prod_session("deploy-app"));
    assert_eq!(n["reach"], "conditional");
    assert!(
        undecided_keys(n).iter().any(|k| k == "aws:PrincipalOrgID"),
        "{:?}",
        undecided_keys(n)
    );
    assert_eq!(
        node(&doc(), &prod_session("deploy-app"))["reach"],
        "definite"
    );
}

#[test]
fn admin_of_prod_is_reached_by_re_trusting_the_break_glass_role() {
    let d = doc();
    // deploy-infra's own administrator control is uncertain (an SCP denies part of IAM), but
    // it may rewrite the trust of breakglass-admin, which the deny list exempts, and assume it.
    assert_eq!(d["admin"], "definite");
    assert_eq!(
        d["admin_accounts"],
        serde_json::json!([{"account": PROD, "reach": "definite"}])
    );
    let control = node(&d, &format!("aws:account:{PROD}"));
    let ids = path_ids(control);
    assert_eq!(
        ids,
        vec![
            KEY.to_string(),
            format!("arn:aws:iam::{CI}:user/ci/gh-runner"),
            prod_session("deploy-infra"),
            prod_role("deploy-infra"),
            prod_role("breakglass-admin"),
            format!("aws:account:{PROD}")
        ]
    );
    let technique = &steps(control)[3];
    assert_eq!(technique["edge"], "escalates_to");
    assert!(
        technique["mechanism"]
            .as_str()
            .unwrap()
            .starts_with("aws.iam.update-assume-role-policy"),
        "{technique:#}"
    );
    // Nothing of the management account is reached.
    assert!(
        nodes(&d).iter().all(|n| n["account"] != "999900001111"),
        "the management account stays out of reach"
    );
}

#[test]
fn the_deny_list_scp_makes_deploy_infras_own_control_conditional() {
    // Without the escalation rules, the only route is deploy-infra's AdministratorAccess,
    // which the SCP that denies part of IAM makes conditional.
    let snap = org();
    let r = run([
        "radius",
        "-s",
        snap.to_str().unwrap(),
        "--from",
        KEY,
        "--format",
        "json",
        "--no-escalation",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let d: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["admin"], "conditional");
    let control = node(&d, &format!("aws:account:{PROD}"));
    let last = steps(control).last().unwrap();
    assert!(
        last["undecided"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["key"].as_str().unwrap().contains("WorkloadsDenyList")),
        "{last:#}"
    );
}

#[test]
fn resource_policies_create_access_and_scps_make_it_conditional() {
    let d = doc();
    let secret = node(
        &d,
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-password-AbCdEf",
    );
    assert_eq!(secret["class"], "secret");
    assert_eq!(secret["attrs"]["holds_secret"], "true");
    assert_eq!(secret["reach"], "conditional");
    let last = steps(secret).last().unwrap();
    assert_eq!(
        last["from"],
        prod_role("deploy-app"),
        "the secret's policy names deploy-app"
    );
    assert_eq!(last["edge"], "accesses");
    assert!(
        last["mechanism"]
            .as_str()
            .unwrap()
            .contains("secretsmanager:GetSecretValue")
    );
    assert!(
        undecided_keys(secret)
            .iter()
            .any(|k| k == "aws:RequestedRegion"),
        "the region SCP decides it"
    );

    // A queue listed without a policy is a node too: deploy-app may send to it.
    let queue = node(&d, "arn:aws:sqs:us-east-1:111122223333:deploy-events");
    assert_eq!(
        steps(queue).last().unwrap()["from"],
        prod_role("deploy-app")
    );

    // The CI cache is the key's own, definitely; the prod assets bucket only through prod.
    let cache = node(&d, "arn:aws:s3:::acme-ci-cache");
    assert_eq!(cache["reach"], "definite");
    assert_eq!(cache["hops"], 2);
    let assets = node(&d, "arn:aws:s3:::acme-prod-assets");
    assert_ne!(
        steps(assets).last().unwrap()["from"],
        format!("arn:aws:iam::{CI}:user/ci/gh-runner")
    );
}

#[test]
fn can_agrees_with_the_radius_across_accounts() {
    let snap = org();
    let ask = |principal: &str, action: &str, resource: &str, extra: &[&str]| -> Value {
        let mut args = vec![
            "can",
            "-s",
            snap.to_str().unwrap(),
            "--principal",
            principal,
            "--action",
            action,
            "--resource",
            resource,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let r = run(args);
        assert_eq!(r.code, Some(0), "{r:#?}");
        serde_json::from_str(&r.stdout).unwrap()
    };
    let gh = format!("arn:aws:iam::{CI}:user/ci/gh-runner");
    assert_eq!(
        ask(&gh, "sts:AssumeRole", &prod_role("deploy-app"), &[])["decision"],
        "allow"
    );
    assert_eq!(
        ask(&gh, "sts:AssumeRole", &prod_role("db-migrate"), &[])["decision"],
        "deny"
    );
    // The cross-account bucket policy names the CI account: gh-runner's own policy must allow too.
    assert_eq!(
        ask(
            &gh,
            "s3:GetObject",
            "arn:aws:s3:::acme-prod-assets/logo.png",
            &[]
        )["decision"],
        "deny"
    );
    let asset_sync = format!("arn:aws:iam::{CI}:user/ci/asset-sync");
    assert_eq!(
        ask(
            &asset_sync,
            "s3:GetObject",
            "arn:aws:s3:::acme-prod-assets/logo.png",
            &[]
        )["decision"],
        "allow"
    );
    // The region SCP decides prod actions; naming the region decides them.
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-password-AbCdEf";
    assert_eq!(
        ask(
            &prod_role("deploy-app"),
            "secretsmanager:GetSecretValue",
            secret,
            &[]
        )["decision"],
        "conditional"
    );
    let decided = ask(
        &prod_role("deploy-app"),
        "secretsmanager:GetSecretValue",
        secret,
        &["--context", "aws:RequestedRegion=us-east-1"],
    );
    assert_eq!(decided["decision"], "allow");
    let outside = ask(
        &prod_role("deploy-app"),
        "secretsmanager:GetSecretValue",
        secret,
        &["--context", "aws:RequestedRegion=ap-south-1"],
    );
    assert_eq!(
        (
            outside["decision"].as_str(),
            outside["explicit_deny"].as_bool()
        ),
        (Some("deny"), Some(true))
    );
    // The SCP's explicit deny of iam:CreateAccessKey holds for deploy-infra despite AdministratorAccess.
    let deny = ask(
        &prod_role("deploy-infra"),
        "iam:CreateAccessKey",
        &format!("arn:aws:iam::{PROD}:user/svc/backup-agent"),
        &[],
    );
    assert_eq!(deny["decision"], "deny");
    // The management account is not governed by SCPs.
    let admin = ask(
        "org-admin",
        "iam:CreateAccessKey",
        "arn:aws:iam::999900001111:user/org-admin",
        &["--credential", "long-term"],
    );
    let scp_steps = admin["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stage"] == "scp")
        .count();
    assert_eq!(scp_steps, 0, "{admin:#}");
    let member = ask(
        &prod_role("deploy-infra"),
        "s3:ListBucket",
        "arn:aws:s3:::acme-prod-assets",
        &[],
    );
    assert_eq!(
        member["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["stage"] == "scp")
            .count(),
        3,
        "root, OU and account levels"
    );
}

#[test]
fn scps_narrow_the_permissions_listed() {
    let d = doc();
    let star = nodes(&d)
        .iter()
        .find(|n| {
            n["kind"] == "permission"
                && n["label"] == "* on *"
                && steps(n).last().unwrap()["from"] == prod_role("deploy-infra")
        })
        .expect("deploy-infra's AdministratorAccess is listed");
    let notes = str_list(&steps(star).last().unwrap()["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("partly denied by WorkloadsDenyList")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("WorkloadsRegionRestriction") && n.contains("undecided")),
        "{notes:?}"
    );
}
