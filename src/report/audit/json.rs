//! `blastmap.audit.v1`, documented in docs/json-schema.md. These types are the contract with
//! users' scripts: internal refactors must not change them.

use super::AuditView;
use crate::audit::{CHECKS, Fact, Finding};
use crate::graph::{Graph, RecordRef, StatementRef};
use crate::report::json::{MissingDoc, NodeRef, PathStep, node_ref, step};
use serde::Serialize;

pub const AUDIT_SCHEMA: &str = "blastmap.audit.v1";

#[derive(Serialize)]
pub struct AuditDoc<'a> {
    pub schema: &'static str,
    pub as_of: String,
    pub as_of_source: &'a str,
    pub thresholds: Thresholds,
    pub counts: serde_json::Map<String, serde_json::Value>,
    pub findings: Vec<FindingDoc<'a>>,
    pub checks: Vec<CheckDoc>,
    pub missing_sources: Vec<&'a str>,
    pub missing_source_details: Vec<MissingDoc<'a>>,
}

#[derive(Serialize)]
pub struct Thresholds {
    pub unused_days: i64,
    pub key_age_days: i64,
}

#[derive(Serialize)]
pub struct CheckDoc {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub severity: &'static str,
}

#[derive(Serialize)]
pub struct FindingDoc<'a> {
    pub id: &'a str,
    pub check: &'static str,
    pub severity: &'static str,
    pub title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach: Option<&'static str>,
    pub subject: NodeRef<'a>,
    pub principals: Vec<NodeRef<'a>>,
    pub facts: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathDoc<'a>>,
    pub evidence: &'a [StatementRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub records: &'a [RecordRef],
    pub fix: &'a str,
    pub commands: &'a [String],
}

#[derive(Serialize)]
pub struct PathDoc<'a> {
    pub from: &'a str,
    pub steps: Vec<PathStep<'a>>,
}

/// Facts as a JSON object: numbers stay numbers.
pub fn facts(f: &Finding) -> serde_json::Map<String, serde_json::Value> {
    f.facts
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Fact::Text(t) => serde_json::Value::from(t.as_str()),
                Fact::Number(n) => serde_json::Value::from(*n),
                Fact::Flag(b) => serde_json::Value::from(*b),
            };
            (k.to_string(), value)
        })
        .collect()
}

pub fn finding_doc<'a>(graph: &'a Graph, f: &'a Finding) -> FindingDoc<'a> {
    FindingDoc {
        id: &f.id,
        check: f.check,
        severity: f.severity.as_str(),
        title: &f.title,
        reach: f.reach.map(|r| r.as_str()),
        subject: node_ref(graph, f.subject),
        principals: f.principals.iter().map(|&p| node_ref(graph, p)).collect(),
        facts: facts(f),
        path: f.path.as_ref().map(|w| PathDoc {
            from: &graph.node(w.start).key,
            steps: w.edges.iter().map(|&e| step(graph, e)).collect(),
        }),
        evidence: &f.evidence,
        records: &f.records,
        fix: &f.fix,
        commands: &f.commands,
    }
}

pub fn audit_doc<'a>(view: &'a AuditView<'a>) -> AuditDoc<'a> {
    let audit = view.audit;
    AuditDoc {
        schema: AUDIT_SCHEMA,
        as_of: audit
            .options
            .as_of
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        as_of_source: &audit.options.as_of_source,
        thresholds: Thresholds {
            unused_days: audit.options.unused_days,
            key_age_days: audit.options.key_age_days,
        },
        counts: audit
            .counts()
            .into_iter()
            .map(|(s, n)| (s.as_str().to_string(), serde_json::Value::from(n)))
            .collect(),
        findings: audit
            .findings
            .iter()
            .map(|f| finding_doc(view.graph, f))
            .collect(),
        checks: CHECKS
            .iter()
            .map(|c| CheckDoc {
                id: c.id,
                title: c.title,
                description: c.description,
                severity: c.severity.as_str(),
            })
            .collect(),
        missing_sources: audit.missing.iter().map(|m| m.source.as_str()).collect(),
        missing_source_details: audit.missing.iter().map(MissingDoc::of).collect(),
    }
}

pub fn render(view: &AuditView) -> Result<String, serde_json::Error> {
    let mut out = serde_json::to_string_pretty(&audit_doc(view))?;
    out.push('\n');
    Ok(out)
}
