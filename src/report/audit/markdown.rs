//! The audit as Markdown, for a ticket or a pull request: a summary table, then each finding.

use super::{AuditView, counts_line, finding_evidence};
use crate::report::table::path_line;
use std::fmt::Write;

/// Text inside a Markdown table cell or a line: pipes and newlines would break the layout.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(view: &AuditView) -> String {
    let g = view.graph;
    let audit = view.audit;
    let mut out = String::new();
    let _ = writeln!(out, "# blastmap audit of `{}`\n", view.snapshot);
    let _ = writeln!(
        out,
        "As of {} ({}). {}.\n",
        audit
            .options
            .as_of
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        audit.options.as_of_source,
        counts_line(audit)
    );
    if !audit.findings.is_empty() {
        let _ = writeln!(out, "| severity | finding | id |\n|---|---|---|");
        for f in &audit.findings {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` |",
                f.severity.as_str(),
                cell(&f.title),
                f.id
            );
        }
        for f in &audit.findings {
            let _ = writeln!(out, "\n## {}: {}\n", f.severity.as_str(), cell(&f.title));
            let _ = writeln!(out, "- **id**: `{}` (check `{}`)", f.id, f.check);
            if let Some(r) = f.reach {
                let _ = writeln!(out, "- **reach**: {}", r.as_str());
            }
            if !f.principals.is_empty() {
                let names: Vec<String> = f
                    .principals
                    .iter()
                    .map(|&p| format!("`{}`", g.node(p).label))
                    .collect();
                let _ = writeln!(out, "- **principals**: {}", names.join(", "));
            }
            if !f.facts.is_empty() {
                let facts: Vec<String> = f
                    .facts
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", cell(&v.to_string())))
                    .collect();
                let _ = writeln!(out, "- **facts**: {}", facts.join("; "));
            }
            if let Some(w) = &f.path {
                let _ = writeln!(
                    out,
                    "- **path**: `{}`",
                    path_line(g, w.start, &w.edges).replace('`', "'")
                );
            }
            let evidence = finding_evidence(g, f, |file, pointer| format!("`{file}#{pointer}`"));
            if !evidence.is_empty() {
                let _ = writeln!(out, "- **evidence**:");
                for e in evidence {
                    let _ = writeln!(out, "  - {}", cell(&e));
                }
            }
            let _ = writeln!(out, "- **fix**: {}", cell(&f.fix));
            if !f.commands.is_empty() {
                let _ = writeln!(out, "\n```sh");
                for c in &f.commands {
                    let _ = writeln!(out, "{c}");
                }
                let _ = writeln!(out, "```");
            }
        }
    }
    if !audit.missing.is_empty() {
        let _ = writeln!(out, "\n## Not looked at\n");
        for m in &audit.missing {
            let hide = if m.may_hide.is_empty() {
                String::new()
            } else {
                format!(": {}", m.may_hide)
            };
            let _ = writeln!(out, "- `{}` ({}){}", m.source, m.reason, cell(&hide));
        }
    }
    out
}
