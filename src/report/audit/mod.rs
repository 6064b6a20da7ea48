//! The audit's emitters: a table for people, `blastmap.audit.v1` JSON, SARIF 2.1.0 for code
//! scanning, and Markdown. They arrange the findings of `crate::audit`; none decides anything.

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;

use crate::audit::Audit;
use crate::graph::{EdgeId, Graph};

/// Where the audit ran: shown in the reports' headings.
pub struct AuditView<'a> {
    pub graph: &'a Graph,
    pub audit: &'a Audit,
    /// The snapshot as the user named it.
    pub snapshot: &'a str,
}

/// `critical 1, high 3, ...` with zero counts left out, or `no findings`.
pub fn counts_line(audit: &Audit) -> String {
    let parts: Vec<String> = audit
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let total = audit.findings.len();
    if total == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{total} finding{}: {}",
            if total == 1 { "" } else { "s" },
            parts.join(", ")
        )
    }
}

/// Every line of a finding's evidence, each once: its statements, the policies along its
/// path, its records. `at` writes a file and pointer (quoted or not, as the format wants).
pub fn finding_evidence(
    graph: &Graph,
    finding: &crate::audit::Finding,
    at: impl Fn(&str, &str) -> String,
) -> Vec<String> {
    let mut evidence: Vec<String> = finding
        .evidence
        .iter()
        .map(|s| format!("{} ({})", s.policy, at(&s.file, &s.pointer)))
        .collect();
    if let Some(w) = &finding.path {
        for line in path_evidence(graph, &w.edges) {
            if !evidence.contains(&line) {
                evidence.push(line);
            }
        }
    }
    evidence.extend(
        finding
            .records
            .iter()
            .map(|r| format!("{} ({})", r.what, at(&r.file, &r.pointer))),
    );
    evidence
}

/// The policies and records along a path, deduplicated, as `policy (file#pointer)`.
pub fn path_evidence(graph: &Graph, path: &[EdgeId]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &e in path {
        let ev = &graph.edge(e).evidence;
        for s in &ev.statements {
            let line = format!("{} ({}#{})", s.policy, s.file, s.pointer);
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}
