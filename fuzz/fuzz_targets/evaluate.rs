//! A policy against an arbitrary request: see `blastmap_fuzz::evaluate_policy`.
#![no_main]

libfuzzer_sys::fuzz_target!(
    |input: blastmap_fuzz::EvaluateInput| blastmap_fuzz::evaluate_policy(&input)
);
