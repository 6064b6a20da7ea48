//! The audit for people: counts, one line per finding, then each finding in full.

use super::{AuditView, counts_line, finding_evidence};
use crate::report::table::{path_line, table};
use std::fmt::Write;

const TITLE_WIDTH: usize = 110;

pub fn render(view: &AuditView) -> String {
    let g = view.graph;
    let audit = view.audit;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Audit of {} as of {} ({})",
        view.snapshot,
        audit
            .options
            .as_of
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        audit.options.as_of_source
    );
    let _ = writeln!(out, "{}", counts_line(audit));

    if !audit.findings.is_empty() {
        out.push('\n');
        let rows: Vec<[String; 3]> = audit
            .findings
            .iter()
            .map(|f| {
                [
                    f.severity.as_str().to_string(),
                    f.id.clone(),
                    truncate(&f.title, TITLE_WIDTH),
                ]
            })
            .collect();
        table(&mut out, ["SEVERITY", "ID", "FINDING"], &rows);

        let _ = writeln!(out, "\nDETAILS");
        for f in &audit.findings {
            let _ = writeln!(out, "\n[{}] {}", f.severity.as_str(), f.id);
            let _ = writeln!(out, "  {}", f.title);
            if let Some(r) = f.reach {
                let _ = writeln!(out, "  reach      {}", r.as_str());
            }
            if !f.principals.is_empty() {
                let names: Vec<&str> = f
                    .principals
                    .iter()
                    .map(|&p| g.node(p).label.as_str())
                    .collect();
                let _ = writeln!(out, "  principals {}", names.join(", "));
            }
            if !f.facts.is_empty() {
                let facts: Vec<String> = f.facts.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = writeln!(out, "  facts      {}", facts.join("; "));
            }
            if let Some(w) = &f.path {
                let _ = writeln!(out, "  path       {}", path_line(g, w.start, &w.edges));
            }
            let evidence = finding_evidence(g, f, |file, pointer| format!("{file}#{pointer}"));
            for (i, line) in evidence.iter().enumerate() {
                let head = if i == 0 { "evidence" } else { "" };
                let _ = writeln!(out, "  {head:<10} {line}");
            }
            let _ = writeln!(out, "  fix        {}", f.fix);
            for c in &f.commands {
                let _ = writeln!(out, "             $ {c}");
            }
        }
    }

    if !audit.missing.is_empty() {
        let _ = writeln!(
            out,
            "\nNOT LOOKED AT (missing from the snapshot or not evaluated)"
        );
        for m in &audit.missing {
            let hide = if m.may_hide.is_empty() {
                String::new()
            } else {
                format!(": {}", m.may_hide)
            };
            let _ = writeln!(out, "  {} ({}){hide}", m.source, m.reason);
        }
    }
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}
