//! End to end on `examples/acme`: the facts SCENARIO.md encodes, checked on the JSON report,
//! and snapshots of both output formats.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn acme_key() -> Value {
    radius_json(&acme(), LEAKED_KEY)
}

/// Whether a witness path goes through the control of an account.
/// Whether a node is reached only once the holder is administrator-equivalent: its path goes
/// through account control or through terraform-admin, the role that has AdministratorAccess
/// (whose escalation techniques reach every user and role).
fn through_control(node: &Value) -> bool {
    steps(node).iter().any(|s| {
        s["edge"] == "controls"
            || s["to"].as_str().unwrap().starts_with("aws:account:")
            || s["from"] == role("terraform-admin")
    })
}

#[test]
fn start_node_is_the_leaked_key() {
    let doc = acme_key();
    assert_eq!(
        doc["from"],
        json!({
            "id": LEAKED_KEY,
            "kind": "credential",
            "class": "access-key",
            "label": LEAKED_KEY,
            "account": ACCOUNT
        })
    );
    assert!(
        find(&doc, LEAKED_KEY).is_none(),
        "the start is not among the reached nodes"
    );
    let user = node(&doc, CI_DEPLOYER);
    assert_eq!(user["reach"], "definite");
    assert_eq!(user["hops"], 1);
    assert_eq!(edge_kinds(user), vec!["authenticates_as"]);
}

#[test]
fn admin_of_the_account_is_reached_definitely() {
    let doc = acme_key();
    assert_eq!(doc["admin"], "definite");
    assert_eq!(
        doc["admin_accounts"],
        json!([{"account": ACCOUNT, "reach": "definite"}])
    );
    let control = node(&doc, &format!("aws:account:{ACCOUNT}"));
    assert_eq!(control["kind"], "account_control");
    assert_eq!(control["reach"], "definite");
}

#[test]
fn witness_path_to_admin_goes_through_terraform_admin() {
    let doc = acme_key();
    let control = node(&doc, &format!("aws:account:{ACCOUNT}"));
    let expected = vec![
        LEAKED_KEY.to_string(),
        CI_DEPLOYER.to_string(),
        session("ci-build"),
        role("ci-build"),
        session("deploy-staging"),
        role("deploy-staging"),
        session("platform-ops"),
        role("platform-ops"),
        session("terraform-admin"),
        role("terraform-admin"),
        format!("aws:account:{ACCOUNT}"),
    ];
    assert_eq!(path_ids(control), expected);
    assert_eq!(
        edge_kinds(control),
        vec![
            "authenticates_as",
            "assumes",
            "acts_as",
            "assumes",
            "acts_as",
            "assumes",
            "acts_as",
            "assumes",
            "acts_as",
            "administers"
        ]
    );
    assert_eq!(control["hops"], 10);
    for s in steps(control) {
        assert_eq!(s["reach"], "definite", "{s}");
        assert!(s.get("undecided").is_none(), "{s}");
    }
    // The administers step cites AdministratorAccess.
    let last = steps(control).last().unwrap();
    let policies: Vec<&str> = last["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["policy"].as_str().unwrap())
        .collect();
    assert!(
        policies.contains(&"arn:aws:iam::aws:policy/AdministratorAccess"),
        "{policies:?}"
    );
    // The first hop holds because ci-build's trust names the user (SCENARIO.md, depth 1).
    let hop = &steps(control)[1];
    assert_eq!(
        hop["evidence"][0]["pointer"],
        "/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0"
    );
    assert_eq!(hop["evidence"][0]["sid"], "CIDeployerUser");
}

#[test]
fn definite_role_chain_has_the_scenario_depths() {
    let doc = acme_key();
    // SCENARIO.md depth d is the d-th role: its session at 2d hops, the role at 2d + 1.
    for (depth, name) in [
        (1, "ci-build"),
        (2, "deploy-staging"),
        (3, "platform-ops"),
        (4, "terraform-admin"),
    ] {
        let s = node(&doc, &session(name));
        assert_eq!(s["reach"], "definite", "{name}");
        assert_eq!(s["hops"], 2 * depth, "{name}");
        let r = node(&doc, &role(name));
        assert_eq!(r["reach"], "definite", "{name}");
        assert_eq!(r["hops"], 2 * depth + 1, "{name}");
        assert!(!through_control(r), "{name} is reached before admin");
    }
}

#[test]
fn conditional_sessions_name_what_decides_them() {
    let doc = acme_key();
    for (name, from, hops, key) in [
        ("artifact-signer", "ci-build", 4, "sts:ExternalId"),
        ("release-publisher", "deploy-staging", 6, "aws:SourceIp"),
    ] {
        let s = node(&doc, &session(name));
        assert_eq!(s["reach"], "conditional", "{name}");
        assert_eq!(s["hops"], hops, "{name}");
        assert_eq!(undecided_keys(s), vec![key.to_string()], "{name}");
        let last = steps(s).last().unwrap();
        assert_eq!(last["edge"], "assumes");
        assert_eq!(last["from"], role(from));
        assert_eq!(last["reach"], "conditional");
        // Every step before the conditional hop is definite.
        for step in &steps(s)[..steps(s).len() - 1] {
            assert_eq!(step["reach"], "definite", "{name}: {step}");
        }
    }
}

#[test]
fn blocked_hops_never_appear_in_any_witness_path() {
    let doc = acme_key();
    let blocked = [
        (CI_DEPLOYER.to_string(), session("prod-admin")),
        (CI_DEPLOYER.to_string(), session("prod-readonly")),
        (CI_DEPLOYER.to_string(), session("ci-runner-instance")),
        (role("ci-build"), session("data-export")),
        (role("platform-ops"), session("breakglass-admin")),
        (role("terraform-admin"), session("legacy-ec2-admin")),
        (role("terraform-admin"), session("prod-admin")),
    ];
    for n in nodes(&doc) {
        for s in steps(n) {
            if s["edge"] != "assumes" {
                continue;
            }
            let hop = (
                s["from"].as_str().unwrap().to_string(),
                s["to"].as_str().unwrap().to_string(),
            );
            assert!(
                !blocked.contains(&hop),
                "blocked hop {hop:?} in the path of {}",
                n["id"]
            );
        }
    }
}

#[test]
fn blocked_roles_are_reached_only_once_admin() {
    let doc = acme_key();
    for name in [
        "prod-admin",
        "prod-readonly",
        "data-export",
        "breakglass-admin",
        "ci-runner-instance",
        "legacy-ec2-admin",
        "github-actions-deploy",
        "vendor-audit",
        "sre-oncall",
        "security-audit",
        "observability-reader",
    ] {
        let r = node(&doc, &role(name));
        assert!(
            through_control(r),
            "{name} must be reached only through admin: {:?}",
            path_ids(r)
        );
        let last = steps(r).last().unwrap();
        assert!(
            last["edge"] == "controls"
                || (last["edge"] == "escalates_to"
                    && last["mechanism"].as_str().unwrap().starts_with("aws.")),
            "{name}: {last:#}"
        );
    }
    // Their sessions, when reached at all, come after account control too.
    for name in ["prod-admin", "prod-readonly", "data-export"] {
        if let Some(s) = find(&doc, &session(name)) {
            assert!(through_control(s), "{name}: {:?}", path_ids(s));
        }
    }
    // MFA is never present on a session minted from a leaked key.
    for name in ["breakglass-admin", "sre-oncall", "security-audit"] {
        assert!(
            find(&doc, &session(name)).is_none(),
            "the MFA-guarded {name} session is reached"
        );
    }
    // Service-only and federated trusts: no session at all.
    for name in [
        "ci-runner-instance",
        "legacy-ec2-admin",
        "github-actions-deploy",
        "ecs-task-api",
    ] {
        assert!(find(&doc, &session(name)).is_none(), "{name}");
    }
}

#[test]
fn service_linked_role_is_not_reached() {
    let doc = acme_key();
    assert!(
        nodes(&doc).iter().all(|n| !n["id"]
            .as_str()
            .unwrap()
            .contains("AWSServiceRoleForSupport")),
        "the service-linked role is neither assumable nor controlled"
    );
}

#[test]
fn external_partner_role_is_conditional_at_two_hops() {
    let doc = acme_key();
    let ext = node(
        &doc,
        "aws:external-role:arn:aws:iam::444455556666:role/acme-deploy",
    );
    assert_eq!(ext["reach"], "conditional");
    assert_eq!(ext["hops"], 2);
    assert_eq!(ext["class"], "external-role");
    assert_eq!(ext["kind"], "principal");
    assert_eq!(
        path_ids(ext),
        vec![
            LEAKED_KEY.to_string(),
            CI_DEPLOYER.to_string(),
            "aws:external-role:arn:aws:iam::444455556666:role/acme-deploy".to_string()
        ]
    );
    assert_eq!(edge_kinds(ext), vec!["authenticates_as", "assumes"]);
    assert!(
        undecided_keys(ext).contains(&"trust policy".to_string()),
        "{ext}"
    );
    // Not followed further: nothing is reached through it.
    let id = ext["id"].as_str().unwrap();
    for n in nodes(&doc) {
        let ids = path_ids(n);
        assert!(
            ids.last().map(String::as_str) == Some(id) || !ids.iter().any(|x| x == id),
            "{} is reached through the external role",
            n["id"]
        );
    }
}

#[test]
fn principals_reached_definitely_before_admin_are_exactly_the_scenario_chain() {
    let doc = acme_key();
    let got: BTreeSet<&str> = nodes(&doc)
        .iter()
        .filter(|n| n["kind"] == "principal" && n["reach"] == "definite")
        .filter(|n| !through_control(n))
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<String> = [
        CI_DEPLOYER.to_string(),
        format!("arn:aws:iam::{ACCOUNT}:group/automation/ci"),
        role("ci-build"),
        role("deploy-staging"),
        role("platform-ops"),
        role("terraform-admin"),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        got,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
}

#[test]
fn reached_users_show_console_password_and_mfa_from_the_credential_report() {
    let doc = acme_key();
    let attrs = |name: &str| {
        let n = node(&doc, &format!("arn:aws:iam::{ACCOUNT}:user/{name}"));
        (
            n["attrs"]["console_password"].as_str().map(str::to_string),
            n["attrs"]["mfa"].as_str().map(str::to_string),
        )
    };
    let pair = |c: &str, m: &str| (Some(c.to_string()), Some(m.to_string()));
    assert_eq!(attrs("automation/ci-deployer"), pair("false", "false"));
    assert_eq!(attrs("heidi.schmidt"), pair("true", "false"));
    assert_eq!(attrs("alice.admin"), pair("true", "true"));
    assert_eq!(attrs("contractors/kevin.obrien"), pair("true", "true"));
}

#[test]
fn no_other_user_is_reached_before_admin() {
    let doc = acme_key();
    for n in nodes(&doc) {
        if n["class"] == "user" && n["id"] != CI_DEPLOYER {
            assert!(through_control(n), "{} reached without admin", n["id"]);
        }
    }
}

#[test]
fn missing_sources_are_organizations_and_resource_policies() {
    let doc = acme_key();
    assert_eq!(
        str_list(&doc["missing_sources"]),
        vec![
            "aws/organizations.json".to_string(),
            format!("aws/{ACCOUNT}/resource-policies.json"),
        ]
    );
    let details = doc["missing_source_details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    for (d, s) in details.iter().zip(str_list(&doc["missing_sources"])) {
        assert_eq!(d["source"], s.as_str());
        assert!(!d["reason"].as_str().unwrap().is_empty());
        assert!(!d["may_hide"].as_str().unwrap().is_empty(), "{d}");
    }
    // The manifest's reasons win.
    assert_eq!(
        details[0]["reason"],
        "not collected: no organizations access"
    );
}

#[test]
fn counts_agree_with_the_nodes() {
    let doc = acme_key();
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    for n in nodes(&doc) {
        *by_kind.entry(n["kind"].as_str().unwrap()).or_default() += 1;
    }
    let counts = &doc["counts"];
    for (field, kind) in [
        ("principals", "principal"),
        ("sessions", "session"),
        ("permissions", "permission"),
        ("resources", "resource"),
        ("credentials", "credential"),
    ] {
        assert_eq!(
            counts[field].as_u64(),
            Some(by_kind.get(kind).copied().unwrap_or(0)),
            "{field}"
        );
    }
    let admin_nodes = by_kind.get("account_control").copied().unwrap_or(0);
    assert_eq!(
        admin_nodes as usize,
        doc["admin_accounts"].as_array().unwrap().len()
    );
    let total: u64 = [
        "principals",
        "sessions",
        "permissions",
        "resources",
        "credentials",
    ]
    .iter()
    .map(|f| counts[*f].as_u64().unwrap())
    .sum();
    assert_eq!(total + admin_nodes, nodes(&doc).len() as u64);
}

#[test]
fn every_node_is_reached_once_with_a_valid_witness() {
    let doc = acme_key();
    let mut seen = BTreeSet::new();
    for n in nodes(&doc) {
        let id = n["id"].as_str().unwrap();
        assert!(seen.insert(id), "{id} listed twice");
        let ids = path_ids(n);
        assert_eq!(ids.first().map(String::as_str), Some(LEAKED_KEY), "{id}");
        assert_eq!(ids.last().map(String::as_str), Some(id));
        assert_eq!(n["hops"].as_u64(), Some(steps(n).len() as u64), "{id}");
        let definite_path = steps(n).iter().all(|s| s["reach"] == "definite");
        match n["reach"].as_str().unwrap() {
            "definite" => assert!(definite_path, "{id}: definite node on a conditional path"),
            "conditional" => assert!(!definite_path, "{id}: conditional on a definite path"),
            other => panic!("{id}: reach {other}"),
        }
        for s in steps(n) {
            let conditional = s["reach"] == "conditional";
            assert_eq!(
                conditional,
                s.get("undecided").is_some(),
                "{id}: a step is conditional exactly when something is undecided: {s}"
            );
        }
    }
}

#[test]
fn no_secret_material_in_the_outputs() {
    let json = radius(&acme(), LEAKED_KEY, &["--format", "json"]).stdout;
    let table = radius_table(&acme(), LEAKED_KEY);
    for text in [&json, &table] {
        assert!(!text.contains("wJalrXUtnFEMI"), "a secret key leaked");
        assert!(!text.to_lowercase().contains("secretaccesskey"));
    }
}

#[test]
fn from_a_role_name() {
    let doc = radius_json(&acme(), "platform-ops");
    assert_eq!(doc["from"]["id"], role("platform-ops"));
    assert_eq!(doc["from"]["class"], "role");
    assert_eq!(doc["admin"], "definite");
    let control = node(&doc, &format!("aws:account:{ACCOUNT}"));
    assert_eq!(
        path_ids(control),
        vec![
            role("platform-ops"),
            session("terraform-admin"),
            role("terraform-admin"),
            format!("aws:account:{ACCOUNT}"),
        ]
    );
    // Still no MFA: breakglass-admin's session is not reached from platform-ops.
    assert!(find(&doc, &session("breakglass-admin")).is_none());
    // Nothing upstream of platform-ops is reached before admin.
    for upstream in ["ci-build", "deploy-staging"] {
        assert!(through_control(node(&doc, &role(upstream))), "{upstream}");
    }
}

#[test]
fn from_a_role_name_ignores_case() {
    let doc = radius_json(&acme(), "Platform-Ops");
    assert_eq!(doc["from"]["id"], role("platform-ops"));
}

#[test]
fn from_a_user_arn() {
    let doc = radius_json(&acme(), CI_DEPLOYER);
    assert_eq!(doc["from"]["id"], CI_DEPLOYER);
    assert_eq!(doc["from"]["class"], "user");
    assert_eq!(doc["from"]["kind"], "principal");
    assert_eq!(doc["admin"], "definite");
    let control = node(&doc, &format!("aws:account:{ACCOUNT}"));
    assert_eq!(control["hops"], 9);
    assert_eq!(path_ids(control)[0], CI_DEPLOYER);
    assert!(find(&doc, CI_DEPLOYER).is_none());
    // The same facts as from the key, one hop shorter.
    let from_key = acme_key();
    for n in nodes(&doc) {
        let other = node(&from_key, n["id"].as_str().unwrap());
        assert_eq!(n["reach"], other["reach"], "{}", n["id"]);
        assert_eq!(
            n["hops"].as_u64().unwrap() + 1,
            other["hops"].as_u64().unwrap(),
            "{}",
            n["id"]
        );
    }
    assert_eq!(nodes(&doc).len() + 1, nodes(&from_key).len());
}

#[test]
fn from_a_user_name_and_a_unique_id() {
    for selector in ["ci-deployer", "AIDAEXAMPLEUSER000012"] {
        let doc = radius_json(&acme(), selector);
        assert_eq!(doc["from"]["id"], CI_DEPLOYER, "{selector}");
    }
}

#[test]
fn table_headline_names_the_key_and_admin() {
    let table = radius_table(&acme(), LEAKED_KEY);
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Blast radius of access-key AKIAIOSFODNN7EXAMPLE (user ci-deployer, account 111122223333)"
        )
    );
    assert_eq!(
        lines.next(),
        Some("Key status when the snapshot was taken: Active")
    );
    assert!(
        table.contains("ADMIN: definite: administrator-equivalent control of account 111122223333")
    );
    assert!(table.contains("NOT LOOKED AT"));
}

#[test]
fn outputs_are_deterministic() {
    let first_json = radius(&acme(), LEAKED_KEY, &["--format", "json"]).stdout;
    let first_table = radius_table(&acme(), LEAKED_KEY);
    for _ in 0..3 {
        assert_eq!(
            radius(&acme(), LEAKED_KEY, &["--format", "json"]).stdout,
            first_json
        );
        assert_eq!(radius_table(&acme(), LEAKED_KEY), first_table);
    }
}

#[test]
fn json_nodes_are_in_nondecreasing_hops() {
    let doc = acme_key();
    let hops: Vec<u64> = nodes(&doc)
        .iter()
        .map(|n| n["hops"].as_u64().unwrap())
        .collect();
    let out_of_order: Vec<String> = nodes(&doc)
        .windows(2)
        .filter(|w| w[0]["hops"].as_u64() > w[1]["hops"].as_u64())
        .map(|w| {
            format!(
                "{} ({}) before {} ({})",
                w[0]["id"], w[0]["hops"], w[1]["id"], w[1]["hops"]
            )
        })
        .collect();
    assert!(out_of_order.is_empty(), "{hops:?}\n{out_of_order:#?}");
}

#[test]
fn snapshot_of_the_table_output() {
    let table = radius_table(&acme(), LEAKED_KEY);
    insta::assert_snapshot!("acme_leaked_key_table", table);
}

#[test]
fn snapshot_of_the_json_output() {
    let r = radius(&acme(), LEAKED_KEY, &["--format", "json"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    insta::assert_snapshot!("acme_leaked_key_json", r.stdout);
}
