//! Building the graph of a generated account, with and without the escalation rules: the
//! rules must not dominate the build. Run with `cargo bench --bench build`.

mod support;

use blastmap::graph::Graph;
use blastmap::rules::RuleSet;
use support::account;

fn main() {
    if std::env::var_os("BLASTMAP_BENCH_COUNT").is_some() {
        let accounts = vec![std::sync::Arc::new(account(600, 600))];
        let rules = RuleSet::builtin().map(|r| r.rules).unwrap_or_default();
        for (name, rules) in [("without", &[][..]), ("with", &rules[..])] {
            let mut graph = Graph::new();
            blastmap::aws::lower::lower(&accounts, None, rules, &mut graph);
            let mut by_kind = std::collections::BTreeMap::new();
            for id in graph.node_ids() {
                for (e, _) in graph.out_edges(id) {
                    let edge = graph.edge(e);
                    *by_kind
                        .entry(format!(
                            "{} {}",
                            edge.kind.as_str(),
                            edge.evidence.rule.clone().unwrap_or_default()
                        ))
                        .or_insert(0) += 1;
                }
            }
            eprintln!(
                "{name}: {} nodes, {} edges: {by_kind:?}",
                graph.node_count(),
                graph.edge_count()
            );
        }
        return;
    }
    divan::main();
}

#[divan::bench(args = [200, 600])]
fn lower_without_rules(bencher: divan::Bencher, size: usize) {
    let accounts = vec![std::sync::Arc::new(account(size, size))];
    bencher.bench_local(|| {
        let mut graph = Graph::new();
        blastmap::aws::lower::lower(&accounts, None, &[], &mut graph);
        divan::black_box(graph.edge_count())
    });
}

#[divan::bench(args = [200, 600])]
fn lower_with_all_rules(bencher: divan::Bencher, size: usize) {
    let accounts = vec![std::sync::Arc::new(account(size, size))];
    let rules = match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("built-in rules do not load: {e}");
            std::process::exit(1);
        }
    };
    bencher.bench_local(|| {
        let mut graph = Graph::new();
        blastmap::aws::lower::lower(&accounts, None, &rules.rules, &mut graph);
        divan::black_box(graph.edge_count())
    });
}
