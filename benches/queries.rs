//! Queries on a built graph of a generated account: the compact adjacency queries build once
//! per graph, one radius, every start summarised, one what-if. Run with
//! `cargo bench --bench queries`.

mod support;

use blastmap::aws::whatif::{Applied, Change};
use blastmap::graph::{Graph, NodeKind};
use blastmap::rules::RuleSet;
use blastmap::snapshot::Snapshot;
use support::{ACCOUNT, account};

fn main() {
    divan::main();
}

fn built(
    size: usize,
) -> (
    Vec<std::sync::Arc<blastmap::aws::model::Account>>,
    Graph,
    RuleSet,
) {
    let accounts = vec![std::sync::Arc::new(account(size, size))];
    let rules = RuleSet::builtin().unwrap_or_default();
    let mut graph = Graph::new();
    blastmap::aws::lower::lower(&accounts, None, &rules.rules, &mut graph);
    (accounts, graph, rules)
}

/// What the first query on a graph pays once: its compact adjacency.
#[divan::bench(args = [600])]
fn compact_adjacency(bencher: divan::Bencher, size: usize) {
    let (_, graph, _) = built(size);
    bencher.bench_local(|| divan::black_box(blastmap::graph::Compact::new(&graph).edge_count()));
}

#[divan::bench(args = [600])]
fn one_radius(bencher: divan::Bencher, size: usize) {
    let (_, graph, _) = built(size);
    let start = graph
        .find_key(&format!("arn:aws:iam::{ACCOUNT}:user/user-1"))
        .unwrap_or_else(|| std::process::exit(1));
    bencher.bench_local(|| divan::black_box(blastmap::query::radius(&graph, start).reached.len()));
}

#[divan::bench(args = [600])]
fn all_principals(bencher: divan::Bencher, size: usize) {
    let (_, graph, _) = built(size);
    bencher.bench_local(|| {
        let s =
            blastmap::query::summarise_all(&graph, |n| graph.node(n).kind == NodeKind::Principal);
        divan::black_box(s.len())
    });
}

#[divan::bench(args = [600])]
fn what_if_remove_trust(bencher: divan::Bencher, size: usize) {
    let (accounts, mut graph, rules) = built(size);
    let snapshot = Snapshot {
        root: std::path::PathBuf::new(),
        manifest: None,
        aws_accounts: accounts,
        organization: None,
        missing: Vec::new(),
        indexes: Default::default(),
    };
    let role = format!("arn:aws:iam::{ACCOUNT}:role/app-1-0");
    let principal = format!("arn:aws:iam::{ACCOUNT}:user/user-1");
    let applied: Applied = match blastmap::aws::whatif::apply(
        &snapshot,
        &[Change::RemoveTrust {
            role,
            principal: principal.clone(),
        }],
    ) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    bencher.bench_local(|| {
        divan::black_box(
            blastmap::aws::whatif::radius_after(&mut graph, &principal, &applied, &rules.rules)
                .len(),
        )
    });
}
