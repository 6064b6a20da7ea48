//! Any bytes as an account's gaad.json: see `blastmap_fuzz::gaad_load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| blastmap_fuzz::gaad_load(data));
