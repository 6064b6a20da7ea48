//! The AWS conformance suite: every case in `tests/conformance/aws/*.json` is a snapshot
//! fragment, a request and the decision AWS documents for it (see the README there). A case's
//! snapshot is complete: an account without a `resource-policies.json` has none.

use blastmap::aws::can::{CanRequest, Credential, can};
use blastmap::aws::policy::{Context, Policy, PolicySource};
use blastmap::snapshot::Snapshot;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MIN_CASES: usize = 200;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/aws")
}

fn write_snapshot(dir: &Path, files: &serde_json::Map<String, Value>) {
    for (rel, content) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_vec_pretty(content).unwrap()).unwrap();
    }
    let aws = dir.join("aws");
    for entry in std::fs::read_dir(&aws).unwrap() {
        let entry = entry.unwrap();
        let policies = entry.path().join("resource-policies.json");
        if entry.path().join("gaad.json").is_file() && !policies.exists() {
            std::fs::write(policies, br#"{"Policies": []}"#).unwrap();
        }
    }
}

fn request(case: &Value) -> CanRequest {
    let r = &case["request"];
    let mut context = Context::new();
    if let Some(map) = r["context"].as_object() {
        for (key, values) in map {
            let values = match values {
                Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect(),
                other => vec![
                    other
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| other.to_string()),
                ],
            };
            context.set_many(key, values);
        }
    }
    for key in r["context_empty"].as_array().into_iter().flatten() {
        context.set_many(key.as_str().unwrap(), Vec::new());
    }
    let session_policy = r.get("session_policy").filter(|v| !v.is_null()).map(|doc| {
        let source = PolicySource {
            file: Arc::from("session-policy.json"),
            pointer: String::new(),
            name: "session policy".into(),
        };
        Policy::parse(source, doc).unwrap()
    });
    CanRequest {
        principal: r["principal"].as_str().unwrap().to_string(),
        action: r["action"].as_str().unwrap().to_string(),
        resource: r["resource"].as_str().unwrap().to_string(),
        context,
        credential: match r["credential"].as_str() {
            Some("long-term") => Credential::LongTerm,
            Some("session") => Credential::Session,
            _ => Credential::Unknown,
        },
        session_policy,
    }
}

/// Runs one case; `Err` says how it went wrong.
fn run_case(case: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    write_snapshot(
        dir.path(),
        case["snapshot"].as_object().ok_or("no snapshot")?,
    );
    let snapshot =
        Snapshot::open(dir.path()).map_err(|e| format!("snapshot does not load: {e}"))?;
    let (_, decision) = can(&snapshot, &request(case)).map_err(|e| e.to_string())?;
    let got = blastmap::report::json::decision_word(decision.value);
    let expected = case["expected"].as_str().ok_or("no expected decision")?;
    let steps = || {
        decision
            .steps
            .iter()
            .map(|s| format!("{} {} ({})", s.stage, s.outcome, s.detail))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if got != expected {
        return Err(format!("expected {expected}, got {got}: {}", steps()));
    }
    for key in case["undecided"].as_array().into_iter().flatten() {
        let key = key.as_str().unwrap_or_default();
        if !decision
            .undecided
            .iter()
            .any(|u| u.key.eq_ignore_ascii_case(key))
        {
            let named: Vec<&str> = decision.undecided.iter().map(|u| u.key.as_str()).collect();
            return Err(format!(
                "conditional, but `{key}` is not among the undecided keys {named:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn aws_policy_evaluation_conformance() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let doc: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            total += 1;
            let name = case["name"].as_str().unwrap_or("?");
            if let Err(why) = run_case(case) {
                let file = file.file_name().unwrap().to_string_lossy();
                failures.push(format!("{file}: {name}: {why}"));
            }
        }
    }
    assert!(
        total >= MIN_CASES,
        "the suite must hold at least {MIN_CASES} cases, found {total}"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
