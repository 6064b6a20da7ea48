//! Any bytes as a policy document, raw or URL-encoded: parsing must return a value or an
//! error with a pointer, never panic.
#![no_main]

use blastmap::aws::policy::document::decode_document;
use blastmap::aws::policy::{Policy, PolicySource};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let as_string = serde_json::Value::String(text.to_string());
    let as_json = serde_json::from_str::<serde_json::Value>(text).ok();
    for value in std::iter::once(as_string).chain(as_json) {
        if let Ok(document) = decode_document(&value) {
            let source = PolicySource { file: Arc::from("fuzz.json"), pointer: String::new(), name: "fuzz".into() };
            let _ = Policy::parse(source, &document);
        }
    }
});
