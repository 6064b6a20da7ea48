//! Runs every fuzz target's body on its seed corpus (`fuzz/seeds/`), and, since this package
//! has an integration test, makes `cargo test` build the libFuzzer binaries too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arbitrary::{Arbitrary, Unstructured};
use std::path::Path;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect()
}

#[test]
fn policy_parse_seeds() {
    let seeds = seeds("policy_parse");
    assert!(seeds.len() >= 10);
    for seed in seeds {
        blastmap_fuzz::policy_parse(&seed);
    }
}

#[test]
fn evaluate_seeds() {
    for seed in seeds("policy_parse") {
        // The same documents, against requests built from their own bytes.
        let mut u = Unstructured::new(&seed);
        if let Ok(mut input) = blastmap_fuzz::EvaluateInput::arbitrary(&mut u) {
            input.policy = String::from_utf8_lossy(&seed).into_owned();
            blastmap_fuzz::evaluate_policy(&input);
        }
    }
}

#[test]
fn gaad_load_seeds() {
    for seed in seeds("gaad_load") {
        blastmap_fuzz::gaad_load(&seed);
    }
}

#[test]
fn fuzz_binaries_were_built() {
    for target in ["policy_parse", "evaluate", "gaad_load"] {
        let exe = match target {
            "policy_parse" => env!("CARGO_BIN_EXE_policy_parse"),
            "evaluate" => env!("CARGO_BIN_EXE_evaluate"),
            _ => env!("CARGO_BIN_EXE_gaad_load"),
        };
        assert!(Path::new(exe).is_file(), "{exe}");
    }
}
