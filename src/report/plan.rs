//! The revocation plan's three forms: Markdown for the incident ticket, JSON
//! (`blastmap.revoke-plan.v1`), and a reviewable shell script whose mutating commands are all
//! commented out. The plan itself is decided in `aws::revoke`.

use crate::aws::revoke::Plan;
use std::fmt::Write;

const SECTIONS: [(&str, &str); 4] = [
    ("contain", "Contain the key"),
    ("sessions", "Kill sessions it could have minted"),
    (
        "persistence",
        "Look for derived credentials and persistence",
    ),
    ("secrets", "Rotate the secrets it could read"),
];

pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Revocation plan for access key `{}`\n", plan.key);
    let _ = writeln!(
        out,
        "- owner: `user/{}` in account `{}`\n- administrator control reached: **{}**\n- generated: {}{}\n",
        plan.owner.as_deref().unwrap_or("?"),
        plan.account.as_deref().unwrap_or("?"),
        plan.admin,
        plan.generated_at,
        plan.exposed_since
            .as_deref()
            .map(|s| format!("; exposed since {s}"))
            .unwrap_or_default()
    );
    for (section, title) in SECTIONS {
        let steps: Vec<_> = plan.steps.iter().filter(|s| s.section == section).collect();
        if steps.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}\n");
        for s in steps {
            let _ = writeln!(out, "### {}. {}\n", s.number, s.title);
            for b in &s.because {
                let _ = writeln!(out, "- because: {b}");
            }
            let _ = writeln!(out, "- cost: {}", s.cost);
            if let Some(until) = &s.valid_until {
                let _ = writeln!(
                    out,
                    "- a session minted before revocation stays valid until {until}"
                );
            }
            if !s.audit.is_empty() {
                let _ = writeln!(out, "- audit in CloudTrail: {}", s.audit.join(", "));
            }
            let _ = writeln!(out, "\n```sh");
            for c in &s.commands {
                let _ = writeln!(
                    out,
                    "# {}{}",
                    c.what,
                    if c.mutating {
                        " (changes the account)"
                    } else {
                        ""
                    }
                );
                let _ = writeln!(out, "{}", c.command);
            }
            let _ = writeln!(out, "```\n");
        }
    }
    if !plan.scope_corrections.is_empty() {
        let _ = writeln!(out, "## Narrow what made this leak damaging\n");
        let _ = writeln!(
            out,
            "Each change was tried on the snapshot: the radius of the key before and after.\n"
        );
        let _ = writeln!(
            out,
            "| change | because | admin before → after | principals before → after |\n|---|---|---|---|"
        );
        for c in &plan.scope_corrections {
            let _ = writeln!(
                out,
                "| {} | {} | {} → {} | {} → {} |",
                c.changes.join("<br>**and** "),
                c.because.join("<br>"),
                c.admin_before,
                c.admin_after,
                c.principals_before,
                c.principals_after
            );
        }
        out.push('\n');
    }
    if !plan.replace_with.is_empty() {
        let _ = writeln!(out, "## Replace the key with short-lived credentials\n");
        for r in &plan.replace_with {
            let _ = writeln!(out, "- **{}**: {}", r.mechanism, r.why);
        }
        out.push('\n');
    }
    if !plan.missing_sources.is_empty() {
        let _ = writeln!(out, "## Not looked at\n");
        for m in &plan.missing_sources {
            let _ = writeln!(out, "- {m}");
        }
    }
    out
}

/// Writes the plan as JSON to `out` as it is encoded, without holding the text: a wide
/// radius's plan runs to tens of megabytes. An encoding error (none is possible for these
/// types) is reported as [`std::io::ErrorKind::InvalidData`].
pub fn write_json(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, plan).map_err(|e| {
        if e.is_io() {
            std::io::Error::from(e)
        } else {
            std::io::Error::new(std::io::ErrorKind::InvalidData, e)
        }
    })?;
    std::io::Write::write_all(&mut out, b"\n")?;
    std::io::Write::flush(&mut out)
}

/// Every mutating command commented out: a person reviews the script and uncomments what
/// they mean to run.
pub fn shell(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#!/bin/sh");
    let _ = writeln!(
        out,
        "# Revocation plan for access key {} (user/{}, account {}).",
        plan.key,
        plan.owner.as_deref().unwrap_or("?"),
        plan.account.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        out,
        "# Generated by blastmap revoke-plan at {}.",
        plan.generated_at
    );
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# Every command that changes the account is commented out (`#! `). Read each step,"
    );
    let _ = writeln!(
        out,
        "# uncomment what you mean to run, and run the script with the responder's credentials."
    );
    let _ = writeln!(
        out,
        "# Read-only commands (listing, CloudTrail lookups) run as they are, except those that"
    );
    let _ = writeln!(
        out,
        "# need a value from an earlier listing (`<EACH_LISTED>`, `<KEY_ID>`): those start `#? `."
    );
    let _ = writeln!(out, "set -eu");
    for s in &plan.steps {
        let _ = writeln!(out, "\n# --- {}. {}", s.number, s.title);
        for b in &s.because {
            let _ = writeln!(out, "# because: {b}");
        }
        let _ = writeln!(out, "# cost: {}", s.cost);
        for c in &s.commands {
            let _ = writeln!(out, "# {}", c.what);
            if c.mutating {
                let _ = writeln!(out, "#! {}", c.command);
            } else if needs_a_value(&c.command) {
                let _ = writeln!(out, "#? {}", c.command);
            } else {
                let _ = writeln!(out, "{}", c.command);
            }
        }
    }
    if !plan.scope_corrections.is_empty() {
        let _ = writeln!(
            out,
            "\n# --- Narrowing changes (verified with blastmap what-if): apply with care"
        );
        for c in &plan.scope_corrections {
            let _ = writeln!(
                out,
                "# {} (admin {} -> {}, principals {} -> {})",
                c.changes.join(" AND "),
                c.admin_before,
                c.admin_after,
                c.principals_before,
                c.principals_after
            );
        }
    }
    out
}

/// Whether a command holds a `<PLACEHOLDER>` the responder fills in: run as it is, the shell
/// would read it as a redirection.
fn needs_a_value(command: &str) -> bool {
    command.split('<').skip(1).any(|rest| {
        rest.split_once('>').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        })
    })
}
