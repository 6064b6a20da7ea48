//! `path` and `who-can` end to end: exit codes scripts branch on, the witness and several
//! paths, reverse reachability, and who may perform an action.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn org() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org")
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {r:#?}"))
}

#[test]
fn path_exit_codes() {
    let acme = acme();
    let s = acme.to_str().unwrap();
    let found = run(["path", "-s", s, "--from", LEAKED_KEY, "--to", "prod-admin"]);
    assert_eq!(found.code, Some(0), "{found:#?}");
    assert!(
        found.stdout.starts_with("Path 1 (definite, "),
        "{}",
        found.stdout
    );
    let none = run([
        "path",
        "-s",
        s,
        "--from",
        "vendor-audit",
        "--to",
        "ci-deployer",
    ]);
    assert_eq!(none.code, Some(1), "{none:#?}");
    assert!(
        none.stderr.is_empty(),
        "no error for an answer: {}",
        none.stderr
    );
    assert!(none.stdout.contains("No path"));
    let bad = run(["path", "-s", s, "--from", LEAKED_KEY, "--to", "prod-admn"]);
    assert_eq!(bad.code, Some(2));
    assert!(
        bad.stderr.contains("did you mean `prod-admin`"),
        "{}",
        bad.stderr
    );
}

/// One radius, and one path, pick their start on the graph's skeleton when there is no
/// index: a node only principals' decisions add (a permission) is still found, in the whole
/// graph, as before.
#[test]
fn selectors_find_nodes_that_decisions_add() {
    let acme = acme();
    let s = acme.to_str().unwrap();
    let permission =
        "aws:permission:111122223333:sts:AssumeRole on arn:aws:iam::444455556666:role/acme-deploy";
    let radius = run(["radius", "-s", s, "--from", permission]);
    assert_eq!(radius.code, Some(0), "{radius:#?}");
    assert!(
        radius.stdout.starts_with("Blast radius of permission"),
        "{}",
        radius.stdout
    );
    let path = |from: &str| run(["path", "-s", s, "--from", from, "--to", permission]);
    let found = path("alice.admin");
    assert_eq!(found.code, Some(0), "{found:#?}");
    assert!(found.stdout.starts_with("Path 1 ("), "{}", found.stdout);
    let none = path("vendor-audit");
    assert_eq!(none.code, Some(1), "{none:#?}");
    assert!(none.stdout.contains("No path"), "{}", none.stdout);
}

#[test]
fn path_json_is_the_radius_witness() {
    let acme = acme();
    let r = run([
        "path",
        "-s",
        acme.to_str().unwrap(),
        "--from",
        LEAKED_KEY,
        "--to",
        "aws:account:111122223333",
        "--format",
        "json",
    ]);
    let doc = json_of(&r);
    assert_eq!(doc["schema"], "blastmap.path.v1");
    assert_eq!(doc["found"], true);
    let radius = radius_json(&acme, LEAKED_KEY);
    let witness = node(&radius, "aws:account:111122223333");
    let ids: Vec<&str> = doc["paths"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["to"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = path_ids(witness).into_iter().skip(1).collect();
    assert_eq!(ids, expected);
}

#[test]
fn all_paths_shortest_first_with_their_reach() {
    let org = org();
    let r = run([
        "path",
        "-s",
        org.to_str().unwrap(),
        "--from",
        "AKIAEXAMPLEGHRUNNER1",
        "--to",
        "aws:account:111122223333",
        "--all",
        "--max",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc = json_of(&r);
    let paths = doc["paths"].as_array().unwrap();
    assert!(paths.len() >= 2, "{doc:#}");
    let hops: Vec<u64> = paths.iter().map(|p| p["hops"].as_u64().unwrap()).collect();
    assert!(hops.windows(2).all(|w| w[0] <= w[1]), "{hops:?}");
    // The definite one goes through the break-glass role's rewritten trust.
    assert!(paths.iter().any(|p| {
        p["reach"] == "definite"
            && p["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["to"] == "arn:aws:iam::111122223333:role/breakglass-admin")
    }));
}

#[test]
fn who_can_reach_admin_includes_the_leaked_key_with_its_path() {
    let acme = acme();
    let r = run([
        "who-can",
        "-s",
        acme.to_str().unwrap(),
        "--reach",
        "aws:account:111122223333",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc = json_of(&r);
    assert_eq!(doc["schema"], "blastmap.who-can.v1");
    let reachers = doc["reachers"].as_array().unwrap();
    let key = reachers
        .iter()
        .find(|n| n["id"] == LEAKED_KEY)
        .expect("the leaked key reaches admin");
    assert_eq!(key["reach"], "definite");
    let steps = key["path"].as_array().unwrap();
    assert_eq!(steps.first().unwrap()["from"], LEAKED_KEY);
    assert_eq!(steps.last().unwrap()["to"], "aws:account:111122223333");
    // Only credentials and principals are listed.
    assert!(
        reachers
            .iter()
            .all(|n| n["kind"] == "credential" || n["kind"] == "principal")
    );
    // Nothing that cannot reach it: the vendor role trusted from outside has no way in.
    assert!(reachers.iter().all(|n| n["id"] != role("vendor-audit")));
}

#[test]
fn who_can_perform_an_action() {
    let org = org();
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-password-AbCdEf";
    let r = run([
        "who-can",
        "-s",
        org.to_str().unwrap(),
        "--action",
        "secretsmanager:GetSecretValue",
        "--resource",
        secret,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc = json_of(&r);
    let principals = doc["principals"].as_array().unwrap();
    let deploy_app = principals
        .iter()
        .find(|p| p["principal"] == "arn:aws:iam::111122223333:role/deploy-app")
        .expect("named by the secret's policy");
    // The region SCP decides it.
    assert_eq!(deploy_app["decision"], "conditional");
    assert!(
        principals
            .iter()
            .all(|p| p["principal"] != "arn:aws:iam::444455556666:user/ci/gh-runner"),
        "gh-runner may not read it directly"
    );
    // Allowed ones first.
    let order: Vec<&str> = principals
        .iter()
        .map(|p| p["decision"].as_str().unwrap())
        .collect();
    assert!(
        order
            .windows(2)
            .all(|w| !(w[0] == "conditional" && w[1] == "allow")),
        "{order:?}"
    );
}

#[test]
fn who_can_needs_a_question() {
    let acme = acme();
    let r = run(["who-can", "-s", acme.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{r:#?}");
}

#[test]
fn all_principals_and_all_keys_rank_the_most_dangerous_first() {
    let acme = acme();
    let r = run([
        "radius",
        "-s",
        acme.to_str().unwrap(),
        "--all-principals",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc = json_of(&r);
    assert_eq!(doc["schema"], "blastmap.radius-summary.v1");
    let starts = doc["starts"].as_array().unwrap();
    assert_eq!(starts.len(), 17 + 23, "every user and role of acme");
    let rank = |s: &Value| match s["admin"].as_str().unwrap() {
        "definite" => 0,
        "conditional" => 1,
        _ => 2,
    };
    assert!(
        starts.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "ranked by admin reach"
    );
    let deployer = starts.iter().find(|s| s["id"] == CI_DEPLOYER).unwrap();
    assert_eq!(deployer["admin"], "definite");
    // The summary agrees with the radius of that start.
    let radius = radius_json(&acme, CI_DEPLOYER);
    assert_eq!(deployer["counts"], radius["counts"]);

    let keys = json_of(&run([
        "radius",
        "-s",
        acme.to_str().unwrap(),
        "--all-keys",
        "--format",
        "json",
    ]));
    let keys = keys["starts"].as_array().unwrap();
    assert!(keys.iter().all(|k| k["kind"] == "credential"));
    assert_eq!(keys.len(), 14);
    let leaked = keys.iter().find(|k| k["id"] == LEAKED_KEY).unwrap();
    assert_eq!(leaked["admin"], "definite");
}

#[test]
fn radius_needs_a_start_or_a_ranking() {
    let acme = acme();
    let r = run(["radius", "-s", acme.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{r:#?}");
}
