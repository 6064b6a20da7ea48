//! End to end on a generated organisation: the parse floor, load, build, one radius (the
//! deliberately wide CI deployer's key, and typical keys), all-principals, one what-if and one
//! revoke-plan, with medians and peak memory.
//!
//! ```sh
//! cargo bench --no-default-features --bench scale -- medium       # small | medium | large | xl
//! BLASTMAP_SCALE_REPS=3 BLASTMAP_SCALE_SEED=1 cargo bench --no-default-features --bench scale -- large
//! ```
//!
//! The snapshot is generated once into `target/synth/<size>-seed<N>` and reused. Peak memory
//! is the process's high-water mark (`VmHWM`), reset before each phase through
//! `/proc/self/clear_refs` (Linux; elsewhere it is not reported).
//!
//! Queries run on the graph's compact adjacency, built once per graph on first use: its own
//! phase measures that build, so the radius phases measure the query alone (reach with
//! witness paths), as every query after the first on a graph pays it.

use blastmap::analysis::{build, build_from};
use blastmap::aws::revoke::{Inputs, plan};
use blastmap::aws::whatif::{Change, apply, radius_after};
use blastmap::graph::{Compact, NodeKind, Reach};
use blastmap::query::{radius, select, summarise_all};
use blastmap::report::RadiusSummary;
use blastmap::rules::RuleSet;
use blastmap::snapshot::Snapshot;
use blastmap::synth::{Generated, Size, generate, read_summary};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// The allocator of the `blastmap` binary, so that the figures are the command's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn fail(message: String) -> ! {
    eprintln!("scale: {message}");
    std::process::exit(1)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The high-water mark of resident memory, in MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.file_name().is_some_and(|n| {
            // The loader reads neither the generator's notes nor dot files (`.blastmap-index`).
            n != "synth.json" && !n.to_string_lossy().starts_with('.')
        }) {
            out.push(path);
        }
    }
}

/// Reading and parsing every file of the snapshot: JSON into `serde_json::Value` (with the
/// project's serde_json features), the credential reports record by record.
fn parse_floor(paths: &[PathBuf]) -> usize {
    let mut n = 0;
    for path in paths {
        let Ok(bytes) = std::fs::read(path) else {
            fail(format!("cannot read {}", path.display()))
        };
        if path.extension().is_some_and(|e| e == "csv") {
            let mut reader = csv::Reader::from_reader(&bytes[..]);
            n += reader.records().filter_map(Result::ok).count();
        } else {
            match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(v) => n += usize::from(!v.is_null()),
                Err(e) => fail(format!("{}: {e}", path.display())),
            }
        }
    }
    n
}

struct Phase {
    name: &'static str,
    times: Vec<Duration>,
    peak: Option<f64>,
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    t.get(t.len() / 2).copied().unwrap_or_default()
}

fn measure<T>(reps: usize, name: &'static str, mut f: impl FnMut() -> T) -> Phase {
    let mut times = Vec::with_capacity(reps);
    let mut peak: Option<f64> = None;
    for _ in 0..reps {
        reset_peak();
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed());
        drop(out);
        peak = match (peak, peak_mib()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    eprintln!("  {name}: median {:?}", median(&times));
    Phase { name, times, peak }
}

/// `n` access keys of the graph drawn with a fixed seed (SplitMix64), for a typical radius:
/// most leaked keys are not the widest.
fn typical_keys(graph: &blastmap::graph::Graph, n: usize) -> Vec<blastmap::graph::NodeId> {
    let mut keys: Vec<_> = graph
        .nodes_of_kind(NodeKind::Credential)
        .filter(|&id| graph.node(id).class == "access-key")
        .collect();
    keys.sort_by(|a, b| graph.node(*a).key.cmp(&graph.node(*b).key));
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    if keys.is_empty() {
        return keys;
    }
    (0..n)
        .map(|_| keys[(next() % keys.len() as u64) as usize])
        .collect()
}

fn snapshot(size: Size, seed: u64) -> (PathBuf, Generated) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/synth")
        .join(format!("{}-seed{seed}", size.as_str()));
    if let Some(g) = read_summary(&dir) {
        return (dir, g);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let start = Instant::now();
    match generate(size.scale(), seed, &dir) {
        Ok(g) => {
            eprintln!("generated {} in {:?}", dir.display(), start.elapsed());
            (dir, g)
        }
        Err(e) => fail(e.to_string()),
    }
}

fn main() {
    let size = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "small".to_string());
    let size = match size.as_str() {
        "small" => Size::Small,
        "medium" => Size::Medium,
        "large" => Size::Large,
        "xl" => Size::Xl,
        other => fail(format!(
            "unknown size `{other}`: small, medium, large or xl"
        )),
    };
    let seed: u64 = std::env::var("BLASTMAP_SCALE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let reps: usize = std::env::var("BLASTMAP_SCALE_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let (dir, generated) = snapshot(size, seed);
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    let bytes: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let skip_note = std::env::var("BLASTMAP_SCALE_SKIP").unwrap_or_default();
    if !skip_note.is_empty() {
        println!("skipped: {skip_note}");
    }
    println!(
        "size {} (seed {seed}): {} accounts, {} users, {} roles, {} files, {:.1} MB; {reps} repetitions",
        size.as_str(),
        generated.accounts,
        generated.users,
        generated.roles,
        paths.len(),
        bytes as f64 / 1e6
    );
    let rules = RuleSet::builtin().unwrap_or_else(|e| fail(e.to_string()));
    let key = generated.leaked_key.clone();
    let open = || Snapshot::open(&dir).unwrap_or_else(|e| fail(e.to_string()));

    // Phases to leave out on the biggest sizes: build, pipeline, radius, all, what-if,
    // revoke-plan (the floor, load and one unmeasured build always run).
    let skip = std::env::var("BLASTMAP_SCALE_SKIP").unwrap_or_default();
    let on = |phase: &str| !skip.split(',').any(|s| s.trim() == phase);

    let mut phases = vec![measure(reps, "parse floor", || parse_floor(&paths))];
    phases.push(measure(reps, "load", open));
    let snap = open();
    if on("build") {
        phases.push(measure(reps, "build (incl. escalation rules)", || {
            build(&snap, &rules)
        }));
    }
    // What `blastmap radius --from KEY` does without an index: load, decide the edges of the
    // principals the key reaches (`build_from`), one radius.
    let pipeline = |key: &str| {
        let s = open();
        let (a, start) = build_from(&s, &rules, |graph| select(graph, key))
            .unwrap_or_else(|e| fail(e.to_string()));
        radius(&a.graph, start).reached.len()
    };
    if on("pipeline") {
        phases.push(measure(reps, "load + build + one radius, wide key", || {
            pipeline(&key)
        }));
    }
    reset_peak();
    let started = Instant::now();
    let mut analysis = build(&snap, &rules);
    if !on("build") {
        // Skipped as a phase: report the one build the queries need.
        phases.push(Phase {
            name: "build (one run)",
            times: vec![started.elapsed()],
            peak: peak_mib(),
        });
    }
    let start = select(&analysis.graph, &key).unwrap_or_else(|e| fail(e.to_string()));
    let graph_size = (analysis.graph.node_count(), analysis.graph.edge_count());
    let many = reps.max(21);
    // The first query on a graph builds its compact adjacency; measured on its own.
    phases.push(measure(reps, "compact adjacency (once per graph)", || {
        Compact::new(&analysis.graph).edge_count()
    }));
    let compact = analysis.graph.compact();
    let definite_edges: usize = analysis
        .graph
        .node_ids()
        .map(|n| {
            compact
                .out_edges(n)
                .filter(|s| s.reach == Reach::Definite)
                .count()
        })
        .sum();
    let wide = radius(&analysis.graph, start).reached.len();
    let typical = typical_keys(&analysis.graph, 101);
    let mut sizes: Vec<usize> = typical
        .iter()
        .map(|&k| radius(&analysis.graph, k).reached.len())
        .collect();
    sizes.sort_unstable();
    if on("pipeline") {
        // The typical key whose radius is the median of the sample's.
        let mut by_size: Vec<(usize, blastmap::graph::NodeId)> = typical
            .iter()
            .map(|&k| (radius(&analysis.graph, k).reached.len(), k))
            .collect();
        by_size.sort_unstable();
        if let Some(&(_, median)) = by_size.get(by_size.len() / 2) {
            let median = analysis.graph.node(median).key.clone();
            phases.push(measure(
                reps,
                "load + build + one radius, typical key",
                || pipeline(&median),
            ));
        }
    }
    if on("radius") {
        phases.push(measure(many, "one radius, wide key", || {
            radius(&analysis.graph, start).reached.len()
        }));
        phases.push(measure(many, "  + summary (admin, counts)", || {
            let r = radius(&analysis.graph, start);
            let s = RadiusSummary::new(&analysis.graph, &r, &analysis.missing);
            (s.admin_reach(), s.counts().principals)
        }));
        let mut at = 0;
        phases.push(measure(typical.len(), "one radius, typical key", || {
            let k = typical[at % typical.len()];
            at += 1;
            radius(&analysis.graph, k).reached.len()
        }));
    }
    if on("all") {
        phases.push(measure(reps, "all principals summarised", || {
            summarise_all(&analysis.graph, |n| {
                let node = analysis.graph.node(n);
                node.kind == NodeKind::Principal && matches!(node.class, "user" | "role")
            })
            .len()
        }));
    }
    let changes = [Change::RemoveTrust {
        role: generated.what_if_role.clone(),
        principal: generated.what_if_principal.clone(),
    }];
    let principal = generated.what_if_principal.clone();
    if on("what-if") {
        phases.push(measure(reps, "one what-if (remove-trust)", || {
            let applied = apply(&snap, &changes).unwrap_or_else(|e| fail(e.to_string()));
            radius_after(&mut analysis.graph, &principal, &applied, &rules.rules).len()
        }));
    }
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|e| fail(e.to_string()));
    let missing = analysis.missing.clone();
    if on("revoke-plan") {
        phases.push(measure(reps, "one revoke-plan", || {
            let inputs = Inputs {
                snapshot: &snap,
                graph: &mut analysis.graph,
                missing: &missing,
                rules: &rules.rules,
                start,
                now,
                exposed_since: None,
            };
            plan(inputs)
                .map(|p| p.steps.len())
                .unwrap_or_else(|e| fail(e))
        }));
    }

    println!(
        "graph: {} nodes, {} edges ({definite_edges} definite)",
        graph_size.0, graph_size.1
    );
    println!(
        "wide key {key}: {wide} nodes reached; typical keys ({} drawn with seed 1 among the \
         access keys): median {} nodes reached, largest {}",
        typical.len(),
        sizes.get(sizes.len() / 2).copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0)
    );
    let floor = median(&phases[0].times);
    println!(
        "{:<36} {:>12} {:>12} {:>10} {:>12}",
        "phase", "median", "fastest", "÷ floor", "peak MiB"
    );
    for p in &phases {
        let m = median(&p.times);
        // The fastest run is the least disturbed by whatever else the machine runs.
        let fastest = p.times.iter().min().copied().unwrap_or_default();
        let ratio = m.as_secs_f64() / floor.as_secs_f64().max(f64::MIN_POSITIVE);
        let peak = p.peak.map_or("-".to_string(), |v| format!("{v:.0}"));
        println!(
            "{:<36} {:>12} {:>12} {:>10.2} {:>12}",
            p.name,
            format!("{m:.2?}"),
            format!("{fastest:.2?}"),
            ratio,
            peak
        );
    }
}
