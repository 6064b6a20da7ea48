//! A radius needs only the edges of the principals its start reaches: `analysis::build_from`
//! decides those alone. From every key and every user and role of the example snapshots and
//! of a generated organisation, its radius must equal the radius over the whole graph, byte
//! for byte in both reports (witness paths, reach, conditions, what was missing).

use blastmap::analysis::{Analysis, build, build_from};
use blastmap::graph::{NodeId, NodeKind};
use blastmap::query::radius;
use blastmap::report::{RadiusSummary, json, table};
use blastmap::rules::RuleSet;
use blastmap::snapshot::Snapshot;
use std::path::Path;

fn reports(analysis: &Analysis, start: NodeId) -> (String, String) {
    let reach = radius(&analysis.graph, start);
    let summary = RadiusSummary::new(&analysis.graph, &reach, &analysis.missing);
    let mut doc = Vec::new();
    json::write_radius(&summary, &mut doc).unwrap();
    (
        String::from_utf8(doc).unwrap(),
        table::render_radius(&summary),
    )
}

/// Compares the two builds from every `step`-th start (keys, users, roles, in node order);
/// returns how many starts were compared and how many of them the partial build left
/// principals undecided for (so that the test is seen to exercise the pruning).
fn compare(snapshot: &Snapshot, rules: &RuleSet, step: usize) -> (usize, usize) {
    let full = build(snapshot, rules);
    let starts: Vec<String> = full
        .graph
        .node_ids()
        .map(|id| full.graph.node(id))
        .filter(|node| {
            node.kind == NodeKind::Credential
                || (node.kind == NodeKind::Principal && matches!(node.class, "user" | "role"))
        })
        .map(|node| node.key.clone())
        .step_by(step)
        .collect();
    assert!(!starts.is_empty());
    let mut pruned = 0;
    for key in &starts {
        let start = full.graph.find_key(key).unwrap();
        let (part, from) = build_from(snapshot, rules, |graph| graph.find_key(key).ok_or(()))
            .unwrap_or_else(|()| panic!("{key} is on the skeleton"));
        let (full_json, full_table) = reports(&full, start);
        let (part_json, part_table) = reports(&part, from);
        assert_eq!(part_json, full_json, "JSON radius from {key}");
        assert_eq!(part_table, full_table, "table radius from {key}");
        if part.graph.edge_count() < full.graph.edge_count() {
            pruned += 1;
        }
    }
    (starts.len(), pruned)
}

fn example(name: &str) -> Snapshot {
    Snapshot::open(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name),
    )
    .unwrap()
}

#[test]
fn acme_radii_equal_the_full_graphs() {
    let snapshot = example("acme");
    let (starts, pruned) = compare(&snapshot, &RuleSet::builtin().unwrap(), 1);
    assert!(
        starts > 30 && pruned > 0,
        "{starts} starts, {pruned} pruned"
    );
    // Without techniques, only role assumption and sessions decide the edges.
    let (starts, pruned) = compare(&snapshot, &RuleSet::default(), 1);
    assert!(
        starts > 30 && pruned > 0,
        "{starts} starts, {pruned} pruned"
    );
}

#[test]
fn acme_org_radii_equal_the_full_graphs() {
    let (starts, pruned) = compare(&example("acme-org"), &RuleSet::builtin().unwrap(), 1);
    assert!(
        starts > 10 && pruned > 0,
        "{starts} starts, {pruned} pruned"
    );
}

#[test]
fn iam_vulnerable_radii_equal_the_full_graphs() {
    // Every escalation technique of the built-in rules, one path each.
    let (starts, pruned) = compare(&example("iam-vulnerable"), &RuleSet::builtin().unwrap(), 2);
    assert!(
        starts > 15 && pruned > 0,
        "{starts} starts, {pruned} pruned"
    );
}

#[test]
fn generated_organisation_radii_equal_the_full_graphs() {
    // Hub, CI and break-glass trusts across accounts, OIDC, SCPs, boundaries, inactive keys.
    let tmp = tempfile::tempdir().unwrap();
    blastmap::synth::generate(blastmap::synth::Scale::new(4, 40, 100), 5, tmp.path()).unwrap();
    let snapshot = Snapshot::open(tmp.path()).unwrap();
    let (starts, pruned) = compare(&snapshot, &RuleSet::builtin().unwrap(), 5);
    assert!(
        starts > 25 && pruned > 0,
        "{starts} starts, {pruned} pruned"
    );
}
