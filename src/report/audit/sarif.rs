//! SARIF 2.1.0 for code-scanning pipelines. One rule per check, one result per finding: its
//! location is the snapshot line of the statement or record that proves it, its witness path
//! a code flow, its stable id a partial fingerprint.

use super::AuditView;
use super::json::facts;
use crate::audit::{CHECKS, Finding, Severity};
use crate::graph::{Graph, RecordRef, StatementRef};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where snapshot files are, for SARIF locations.
pub struct Locations<'a> {
    /// Prepended to a snapshot-relative path to make the artifact URI (`examples/acme/`).
    pub uri_prefix: &'a str,
    /// Line of (snapshot-relative file, JSON pointer), where known.
    pub lines: &'a HashMap<(String, String), u32>,
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0 and above critical, 7.0 high, 4.0 medium, below low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Value>,
}

/// A percent-encoded URI reference for a path: forward slashes, and nothing a URI cannot hold.
fn uri(prefix: &str, file: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b':');
    let path = format!("{prefix}{file}").replace('\\', "/");
    percent_encoding::utf8_percent_encode(&path, KEEP).to_string()
}

fn physical(loc: &Locations, file: &str, pointer: &str) -> Option<Value> {
    // Pseudo-files (a policy an escalation technique writes) have no artifact.
    if file.starts_with('(') {
        return None;
    }
    let mut p = json!({"artifactLocation": {"uri": uri(loc.uri_prefix, file)}});
    if let Some(line) = loc.lines.get(&(file.to_string(), pointer.to_string())) {
        p["region"] = json!({"startLine": line});
    }
    Some(p)
}

fn statement_location(loc: &Locations, s: &StatementRef, message: Option<String>) -> Option<Value> {
    let p = physical(loc, &s.file, &s.pointer)?;
    let text = message.unwrap_or_else(|| {
        format!(
            "{} statement{} of {} at {}",
            s.effect,
            s.sid
                .as_deref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default(),
            s.policy,
            s.pointer
        )
    });
    Some(json!({"physicalLocation": p, "message": {"text": text}}))
}

fn record_location(loc: &Locations, r: &RecordRef) -> Option<Value> {
    let p = physical(loc, &r.file, &r.pointer)?;
    Some(
        json!({"physicalLocation": p, "message": {"text": format!("{} at {}", r.what, r.pointer)}}),
    )
}

/// Every (file, pointer) a SARIF log of these findings may point at, to look their lines up.
pub fn pointers(graph: &Graph, findings: &[Finding]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in findings {
        out.extend(
            f.evidence
                .iter()
                .map(|s| (s.file.to_string(), s.pointer.to_string())),
        );
        out.extend(
            f.records
                .iter()
                .map(|r| (r.file.clone(), r.pointer.clone())),
        );
        for &e in f.path.iter().flat_map(|w| &w.edges) {
            let ev = &graph.edge(e).evidence;
            out.extend(
                ev.statements
                    .iter()
                    .map(|s| (s.file.to_string(), s.pointer.to_string())),
            );
            out.extend(
                ev.records
                    .iter()
                    .map(|r| (r.file.clone(), r.pointer.clone())),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

fn result(graph: &Graph, f: &Finding, rule_index: usize, loc: &Locations) -> Value {
    let subject = graph.node(f.subject);
    let logical = json!({
        "name": subject.label,
        "fullyQualifiedName": subject.key,
        "kind": subject.class,
    });
    // The primary location: what proves the finding, else the first step that has evidence.
    let path_first = f.path.iter().flat_map(|w| &w.edges).find_map(|&e| {
        let ev = &graph.edge(e).evidence;
        ev.records
            .first()
            .and_then(|r| record_location(loc, r))
            .or_else(|| {
                ev.statements
                    .first()
                    .and_then(|s| statement_location(loc, s, None))
            })
    });
    let primary = f
        .evidence
        .first()
        .and_then(|s| statement_location(loc, s, None))
        .or_else(|| f.records.first().and_then(|r| record_location(loc, r)))
        .or(path_first);
    let mut location = primary.unwrap_or_else(|| json!({}));
    location["logicalLocations"] = json!([logical]);
    let related: Vec<Value> = f
        .evidence
        .iter()
        .skip(1)
        .filter_map(|s| statement_location(loc, s, None))
        .chain(
            f.records
                .iter()
                .skip(usize::from(f.evidence.is_empty()))
                .filter_map(|r| record_location(loc, r)),
        )
        .enumerate()
        .map(|(i, mut v)| {
            v["id"] = json!(i + 1);
            v
        })
        .collect();

    let mut text = format!("{} Fix: {}", f.title, f.fix);
    if !f.commands.is_empty() {
        text.push_str(&format!(" Run: {}", f.commands.join(" ; ")));
    }
    let mut r = json!({
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"blastmapFindingId/v1": f.id},
        "properties": {
            "id": f.id,
            "severity": f.severity.as_str(),
            "security-severity": security_severity(f.severity),
            "facts": facts(f),
            "fix": f.fix,
            "commands": f.commands,
            "principals": f.principals.iter().map(|&p| graph.node(p).key.clone()).collect::<Vec<_>>(),
        },
    });
    if let Some(reach) = f.reach {
        r["properties"]["reach"] = json!(reach.as_str());
    }
    if !related.is_empty() {
        r["relatedLocations"] = json!(related);
    }
    if let Some(w) = &f.path {
        let steps: Vec<Value> = w
            .edges
            .iter()
            .map(|&e| {
                let edge = graph.edge(e);
                let (from, to) = graph.endpoints(e);
                let text = format!(
                    "{} {} {}{}",
                    graph.node(from).label,
                    edge.kind.phrase(),
                    graph.node(to).label,
                    if edge.reach == crate::graph::Reach::Conditional {
                        " (conditional)"
                    } else {
                        ""
                    }
                );
                let mut location = edge
                    .evidence
                    .statements
                    .first()
                    .and_then(|s| statement_location(loc, s, Some(text.clone())))
                    .or_else(|| {
                        edge.evidence.records.first().and_then(|r| {
                            physical(loc, &r.file, &r.pointer)
                                .map(|p| json!({"physicalLocation": p, "message": {"text": text}}))
                        })
                    })
                    .unwrap_or_else(|| json!({"message": {"text": text}}));
                location["logicalLocations"] = json!([{
                    "name": graph.node(to).label,
                    "fullyQualifiedName": graph.node(to).key,
                    "kind": graph.node(to).class,
                }]);
                json!({"location": location, "kinds": [edge.kind.as_str()]})
            })
            .collect();
        if !steps.is_empty() {
            r["codeFlows"] = json!([{
                "message": {"text": format!("witness path from {}", graph.node(w.start).label)},
                "threadFlows": [{"locations": steps}],
            }]);
        }
    }
    r
}

pub fn render(view: &AuditView, loc: &Locations) -> Result<String, serde_json::Error> {
    let rules: Vec<Value> = CHECKS
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.id.replace(['.', '-'], "_"),
                "shortDescription": {"text": c.title},
                "fullDescription": {"text": c.description},
                "help": {"text": format!("{} Every result says how to fix it (message and properties.fix).", c.description)},
                "defaultConfiguration": {"level": level(c.severity)},
                "properties": {
                    "tags": ["security", "iam"],
                    "precision": "high",
                    "security-severity": security_severity(c.severity),
                },
            })
        })
        .collect();
    let results: Vec<Value> = view
        .audit
        .findings
        .iter()
        .map(|f| {
            let index = CHECKS.iter().position(|c| c.id == f.check).unwrap_or(0);
            result(view.graph, f, index, loc)
        })
        .collect();
    let notifications: Vec<Value> = view
        .audit
        .missing
        .iter()
        .map(|m| {
            json!({
                "level": "warning",
                "message": {"text": format!("not looked at: {} ({}){}", m.source, m.reason,
                    if m.may_hide.is_empty() { String::new() } else { format!(": {}", m.may_hide) })},
            })
        })
        .collect();
    let mut invocation = json!({"executionSuccessful": true});
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    let run = json!({
        "tool": {"driver": {
            "name": "blastmap",
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "asOf": view.audit.options.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "snapshot": view.snapshot,
        },
    });
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: vec![run],
    };
    let mut out = serde_json::to_string_pretty(&log)?;
    out.push('\n');
    Ok(out)
}
