//! Any bytes as a policy document: see `blastmap_fuzz::policy_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| blastmap_fuzz::policy_parse(data));
