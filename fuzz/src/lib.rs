//! The bodies of the fuzz targets, as plain functions: `fuzz_targets/` wraps them for
//! libFuzzer, and `tests/` runs them on the seed corpus so that every `cargo test` checks
//! they still hold.

use arbitrary::Arbitrary;
use blastmap::aws::policy::document::decode_document;
use blastmap::aws::policy::{Caller, Context, Policy, PolicySource, Request, Tri, evaluate};
use std::sync::Arc;

fn source() -> PolicySource {
    PolicySource {
        file: Arc::from("fuzz.json"),
        pointer: String::new(),
        name: "fuzz".into(),
    }
}

/// Any bytes as a policy document, raw or URL-encoded: parsing returns a policy or an error
/// with a pointer, never panics.
pub fn policy_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let as_string = serde_json::Value::String(text.to_string());
    let as_json = serde_json::from_str::<serde_json::Value>(text).ok();
    for value in std::iter::once(as_string).chain(as_json) {
        if let Ok(document) = decode_document(&value) {
            let _ = Policy::parse(source(), &document);
        }
    }
}

/// A policy, a request and what is known about it, from the fuzzer's bytes.
#[derive(Debug, Arbitrary)]
pub struct EvaluateInput {
    pub policy: String,
    pub action: String,
    pub resource: String,
    pub keys: Vec<(String, Vec<String>)>,
    pub absent: Vec<String>,
    pub caller_arn: String,
    pub caller_account: String,
    pub with_caller: bool,
    pub resource_is_pattern: bool,
}

/// Evaluation never panics, and every hit says what decides it exactly when it is
/// undecided.
pub fn evaluate_policy(input: &EvaluateInput) {
    let Ok(document) = serde_json::from_str::<serde_json::Value>(&input.policy) else {
        return;
    };
    let Ok(policy) = Policy::parse(source(), &document) else {
        return;
    };
    let mut context = Context::new();
    for (key, values) in &input.keys {
        context.set_many(key, values.clone());
    }
    for key in &input.absent {
        context.set_absent(key);
    }
    let caller = Caller {
        arn: input.caller_arn.clone(),
        account: input.caller_account.clone(),
        unique_id: None,
        role_session_of: None,
        has_boundary: false,
    };
    let request = Request {
        action: &input.action,
        resource: &input.resource,
        resource_is_pattern: input.resource_is_pattern,
        caller: input.with_caller.then_some(&caller),
        context: &context,
    };
    let verdict = evaluate([&policy], &request);
    for hit in verdict.allows.iter().chain(&verdict.denies) {
        assert!(
            hit.value != Tri::False,
            "a statement that cannot apply is not a hit"
        );
        assert_eq!(
            hit.value == Tri::Unknown,
            !hit.undecided.is_empty(),
            "{hit:?}"
        );
    }
}

/// Any bytes as an account's gaad.json: loading gives an account or a one-line error, never
/// panics.
pub fn gaad_load(data: &[u8]) {
    let dir = std::env::temp_dir().join(format!("blastmap-fuzz-{}", std::process::id()));
    let account = dir.join("aws").join("111122223333");
    if std::fs::create_dir_all(&account).is_err()
        || std::fs::write(account.join("gaad.json"), data).is_err()
    {
        return;
    }
    if let Err(e) = blastmap::snapshot::Snapshot::open(&dir) {
        assert!(!e.to_string().contains('\n'), "errors are one line: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
