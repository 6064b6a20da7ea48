//! A parsed policy against an arbitrary request and context: evaluation must not panic, and
//! every hit must say what decides it exactly when it is undecided.
#![no_main]

use arbitrary::Arbitrary;
use blastmap::aws::policy::{Caller, Context, Policy, PolicySource, Request, Tri, evaluate};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

#[derive(Debug, Arbitrary)]
struct Input {
    policy: String,
    action: String,
    resource: String,
    keys: Vec<(String, Vec<String>)>,
    absent: Vec<String>,
    caller_arn: String,
    caller_account: String,
    with_caller: bool,
}

fuzz_target!(|input: Input| {
    let Ok(document) = serde_json::from_str::<serde_json::Value>(&input.policy) else { return };
    let source = PolicySource { file: Arc::from("fuzz.json"), pointer: String::new(), name: "fuzz".into() };
    let Ok(policy) = Policy::parse(source, &document) else { return };
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
        resource_is_pattern: false,
        caller: input.with_caller.then_some(&caller),
        context: &context,
    };
    let verdict = evaluate([&policy], &request);
    for hit in verdict.allows.iter().chain(&verdict.denies) {
        assert!(hit.value != Tri::False, "a statement that cannot apply is not a hit");
        // An undecided hit says what decides it; a certain one carries nothing undecided.
        assert_eq!(hit.value == Tri::Unknown, !hit.undecided.is_empty(), "{hit:?}");
    }
});
