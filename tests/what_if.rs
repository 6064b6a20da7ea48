//! `what-if`: changes overlaid on the graph, the radius before and after, and the graph put
//! back exactly.

use crate::support::*;
use blastmap::analysis::build;
use blastmap::aws::whatif::{Change, apply, radius_after, radius_before, with_changes};
use blastmap::rules::RuleSet;
use blastmap::snapshot::Snapshot;
use serde_json::Value;
use std::path::Path;

fn what_if(snapshot: &Path, from: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "what-if",
        "-s",
        snapshot.to_str().unwrap(),
        "--from",
        from,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let r = run(args);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["schema"], "blastmap.what-if.v1");
    doc
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn no_change_gives_the_same_radius() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("none.json");
    std::fs::write(&empty, r#"{"changes": []}"#).unwrap();
    let doc = what_if(&acme(), LEAKED_KEY, &["--changes", empty.to_str().unwrap()]);
    assert_eq!(doc["before"], doc["after"]);
    assert!(doc["no_longer_reachable"].as_array().unwrap().is_empty());
    assert!(doc["newly_reachable"].as_array().unwrap().is_empty());
    // And it is the radius itself.
    let radius = radius_json(&acme(), LEAKED_KEY);
    assert_eq!(ids(&doc["before"]["nodes"]), ids(&radius["nodes"]));
}

#[test]
fn narrowing_the_first_trust_cuts_everything_after_it() {
    let doc = what_if(
        &acme(),
        LEAKED_KEY,
        &["--remove-trust", "ci-build", CI_DEPLOYER],
    );
    assert_eq!(
        (
            doc["before"]["admin"].as_str(),
            doc["after"]["admin"].as_str()
        ),
        (Some("definite"), Some("none"))
    );
    let gone = ids(&doc["no_longer_reachable"]);
    assert!(
        gone.contains(&role("terraform-admin"))
            && gone.contains(&"aws:account:111122223333".to_string())
    );
    assert!(
        ids(&doc["after"]["nodes"]).contains(&CI_DEPLOYER.to_string()),
        "the user itself is still reached"
    );
}

#[test]
fn deleting_the_key_leaves_nothing() {
    let doc = what_if(&acme(), LEAKED_KEY, &["--delete-key", LEAKED_KEY]);
    assert!(
        doc["after"]["nodes"].as_array().unwrap().is_empty(),
        "{:#}",
        doc["after"]
    );
}

#[test]
fn a_deny_on_assume_role_stops_the_chain() {
    let doc = what_if(
        &acme(),
        LEAKED_KEY,
        &["--add-deny", "ci-deployer", "sts:AssumeRole", "*"],
    );
    assert_eq!(doc["after"]["admin"], "none");
}

#[test]
fn detaching_a_deny_makes_the_blocked_hop_reachable() {
    // DenyProdIam on group ci is what kept the key from prod-admin directly.
    let doc = what_if(
        &acme(),
        LEAKED_KEY,
        &[
            "--detach-policy",
            "ci",
            "arn:aws:iam::111122223333:policy/DenyProdIam",
        ],
    );
    let after = doc["after"]["nodes"].as_array().unwrap();
    let prod = after
        .iter()
        .find(|n| n["id"] == session("prod-admin"))
        .expect("prod-admin's session");
    assert_eq!(prod["hops"], 2, "now one hop from the user: {prod:#}");
}

#[test]
fn a_boundary_limits_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let boundary = dir.path().join("boundary.json");
    std::fs::write(&boundary, r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#).unwrap();
    let doc = what_if(
        &acme(),
        LEAKED_KEY,
        &["--add-boundary", "ci-deployer", boundary.to_str().unwrap()],
    );
    // ci-build's trust names the user itself: a user named directly is not limited by its
    // boundary, so the chain still holds (AWS's documented exception).
    assert_eq!(doc["after"]["admin"], "definite");
    let blocked = what_if(
        &acme(),
        "ci-build",
        &["--add-boundary", "ci-build", boundary.to_str().unwrap()],
    );
    assert_eq!(
        blocked["after"]["admin"], "none",
        "a role is limited by its boundary"
    );
}

#[test]
fn an_scp_on_an_ou_cuts_its_principals() {
    let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let dir = tempfile::tempdir().unwrap();
    let scp = dir.path().join("scp.json");
    std::fs::write(&scp, r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/*"}]}"#).unwrap();
    let doc = what_if(
        &org,
        "AKIAEXAMPLEGHRUNNER1",
        &["--add-scp", "ou-ac3e-7t4m0n3p", scp.to_str().unwrap()],
    );
    assert_eq!(
        (
            doc["before"]["admin"].as_str(),
            doc["after"]["admin"].as_str()
        ),
        (Some("definite"), Some("none"))
    );
}

#[test]
fn bad_changes_are_one_line_errors() {
    let acme = acme();
    let s = acme.to_str().unwrap();
    for (args, needle) in [
        (
            vec![
                "--remove-trust",
                "ci-build",
                "arn:aws:iam::111122223333:user/nobody",
            ],
            "does not name",
        ),
        (
            vec![
                "--detach-policy",
                "ci-deployer",
                "arn:aws:iam::aws:policy/Nope",
            ],
            "not attached",
        ),
        (
            vec!["--delete-key", "AKIAEXAMPLENOSUCHKEY"],
            "no such access key",
        ),
    ] {
        let mut all = vec!["what-if", "-s", s, "--from", LEAKED_KEY];
        all.extend_from_slice(&args);
        let r = run(all);
        assert_eq!(r.code, Some(2), "{args:?}: {r:#?}");
        assert!(
            r.stderr.contains(needle) && r.stderr.trim_end().lines().count() == 1,
            "{}",
            r.stderr
        );
    }
}

#[test]
fn the_graph_is_put_back_exactly() {
    let snapshot = Snapshot::open(&acme()).unwrap();
    let rules = RuleSet::builtin().unwrap();
    let mut analysis = build(&snapshot, &rules);
    let before = radius_before(&analysis.graph, LEAKED_KEY);
    let edges = analysis.graph.edge_count();
    let nodes = analysis.graph.node_count();
    for change in [
        Change::RemoveTrust {
            role: "ci-build".into(),
            principal: CI_DEPLOYER.into(),
        },
        Change::AddDeny {
            principal: "platform-ops".into(),
            action: "sts:AssumeRole".into(),
            resource: "*".into(),
        },
        Change::DetachPolicy {
            principal: "terraform-admin".into(),
            policy: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        },
    ] {
        let applied = apply(&snapshot, std::slice::from_ref(&change)).unwrap();
        let after = radius_after(&mut analysis.graph, LEAKED_KEY, &applied, &rules.rules);
        assert_ne!(after, before, "{change:?} changes the radius");
        assert_eq!(
            radius_before(&analysis.graph, LEAKED_KEY),
            before,
            "{change:?}: the graph is back as it was"
        );
        assert_eq!(
            (analysis.graph.node_count(), analysis.graph.edge_count()),
            (nodes, edges)
        );
    }
}

/// The overlay decides again only the edges a change touches; building the whole graph from
/// the changed model must give the same radius, or the scope missed something.
#[test]
fn the_overlay_equals_a_full_rebuild_of_the_changed_snapshot() {
    let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let cases: Vec<(std::path::PathBuf, &str, Change)> = vec![
        (
            acme(),
            LEAKED_KEY,
            Change::RemoveTrust {
                role: "ci-build".into(),
                principal: CI_DEPLOYER.into(),
            },
        ),
        (
            acme(),
            LEAKED_KEY,
            Change::DetachPolicy {
                principal: "ci".into(),
                policy: "arn:aws:iam::111122223333:policy/DenyProdIam".into(),
            },
        ),
        (
            acme(),
            LEAKED_KEY,
            Change::AddDeny {
                principal: "deploy-staging".into(),
                action: "sts:AssumeRole".into(),
                resource: role("platform-ops"),
            },
        ),
        (
            acme(),
            LEAKED_KEY,
            Change::RemoveStatement {
                policy: "arn:aws:iam::111122223333:policy/CIBoundary".into(),
                statement: "0".into(),
            },
        ),
        (
            org.clone(),
            "AKIAEXAMPLEGHRUNNER1",
            Change::RemoveTrust {
                role: "breakglass-admin".into(),
                principal: "arn:aws:iam::999900001111:root".into(),
            },
        ),
        (
            org.clone(),
            "AKIAEXAMPLEGHRUNNER1",
            Change::AddScp {
                target: "ou-ac3e-5k2x9w1q".into(),
                policy: serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"}]}),
            },
        ),
    ];
    for (path, start, change) in cases {
        let snapshot = Snapshot::open(&path).unwrap();
        let rules = RuleSet::builtin().unwrap();
        let mut analysis = build(&snapshot, &rules);
        let applied = apply(&snapshot, std::slice::from_ref(&change)).unwrap();
        let overlay = radius_after(&mut analysis.graph, start, &applied, &rules.rules);
        let rebuilt = rebuild(&applied, &rules);
        let full = radius_before(&rebuilt, start);
        let set = |g: &blastmap::graph::Graph, v: &[blastmap::aws::whatif::ReachedKey]| {
            let mut s: Vec<(String, &'static str)> = v
                .iter()
                .map(|r| (r.key(g).to_string(), r.reach.as_str()))
                .collect();
            s.sort();
            s
        };
        assert_eq!(
            set(&analysis.graph, &overlay),
            set(&rebuilt, &full),
            "{change:?}"
        );
        // Not only the radius of one start: every edge of the overlaid graph, so that a
        // principal the narrowed re-decision left out shows up wherever it is.
        let overlaid = with_changes(&mut analysis.graph, &applied, &rules.rules, all_edges);
        assert_eq!(
            overlaid,
            all_edges(&rebuilt),
            "{change:?}: the edges differ"
        );
    }
}

/// A trust that still names other accounts after the change: their principals' edges into
/// the role are decided again, and every other edge of the graph stays as a rebuild has it.
#[test]
fn a_narrowed_trust_keeps_the_edges_of_the_principals_it_still_names() {
    const RUNNER: &str = "arn:aws:iam::444455556666:user/ci/gh-runner";
    const MANAGEMENT: &str = "arn:aws:iam::999900001111:root";
    // Still named after the change: whole accounts, then one user of another account.
    let cases = [
        (
            vec![RUNNER, MANAGEMENT, "arn:aws:iam::444455556666:root"],
            RUNNER,
        ),
        (vec![RUNNER, MANAGEMENT], MANAGEMENT),
    ];
    for (trusted, removed) in cases {
        let dir = tempfile::tempdir().unwrap();
        let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
        copy_dir(&org, dir.path());
        let gaad = dir.path().join("aws/111122223333/gaad.json");
        let mut doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&gaad).unwrap()).unwrap();
        for role in doc["RoleDetailList"].as_array_mut().unwrap() {
            if role["RoleName"] == "deploy-app" {
                role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] =
                    serde_json::json!(trusted);
            }
        }
        std::fs::write(&gaad, serde_json::to_string(&doc).unwrap()).unwrap();
        let snapshot = Snapshot::open(dir.path()).unwrap();
        let rules = RuleSet::builtin().unwrap();
        let mut analysis = build(&snapshot, &rules);
        let change = Change::RemoveTrust {
            role: "deploy-app".into(),
            principal: removed.into(),
        };
        let applied = apply(&snapshot, std::slice::from_ref(&change)).unwrap();
        let overlaid = with_changes(&mut analysis.graph, &applied, &rules.rules, all_edges);
        let rebuilt = rebuild(&applied, &rules);
        let into_role = |edges: &[(String, String, &str, &str)]| {
            edges
                .iter()
                .filter(|(from, to, _, _)| {
                    to.contains("assumed-role/deploy-app/") && from.starts_with("arn:aws:iam::")
                })
                .count()
        };
        assert!(
            into_role(&overlaid) > 0,
            "{removed}: the principals still trusted keep their edges"
        );
        assert_eq!(overlaid, all_edges(&rebuilt), "{removed}");
    }
}

/// The graph of the changed model, built from scratch.
fn rebuild(applied: &blastmap::aws::whatif::Applied, rules: &RuleSet) -> blastmap::graph::Graph {
    let mut graph = blastmap::graph::Graph::new();
    blastmap::aws::lower::lower(
        &applied.accounts,
        applied.organization.as_ref(),
        &rules.rules,
        &mut graph,
    );
    graph
}

/// Every edge as (from, to, kind, reach), sorted.
fn all_edges(graph: &blastmap::graph::Graph) -> Vec<(String, String, &'static str, &'static str)> {
    let mut edges: Vec<_> = graph
        .node_ids()
        .flat_map(|from| {
            graph.out_edges(from).map(move |(e, to)| {
                let edge = graph.edge(e);
                (
                    graph.node(from).key.clone(),
                    graph.node(to).key.clone(),
                    edge.kind.as_str(),
                    edge.reach.as_str(),
                )
            })
        })
        .collect();
    edges.sort();
    edges
}
