//! `blastmap locate AKIA...`: which account and user own an access key, from the analyst's
//! credentials (`sts:GetAccessKeyInfo`, `iam:GetAccessKeyLastUsed`), and which snapshot to
//! collect next. Live AWS access comes from the `aws` feature; without it the command says
//! so.

use super::{CliError, Format};
use crate::redact;
use clap::Args;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// The access key id (AKIA... or ASIA...), never the secret.
    #[arg(value_name = "ACCESS_KEY_ID")]
    pub key_id: String,
    /// A named profile of the AWS config files (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// What `locate` found, as its JSON output (`blastmap.locate.v1`) carries it.
#[derive(Debug, Serialize)]
pub struct Located {
    pub schema: &'static str,
    pub key_id: String,
    pub account: String,
    pub caller_account: String,
    pub user: Option<String>,
    pub last_used: Option<LastUsed>,
    pub notes: Vec<String>,
    pub next: Vec<String>,
}

#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(Debug, Serialize)]
pub struct LastUsed {
    pub date: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
}

pub fn run(args: LocateArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let key_id = check_key_id(&args.key_id)?;
    let located = live::locate(&key_id, args.profile.as_deref())?;
    let text = match args.format {
        Format::Table => table(&located),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&located)?;
            s.push('\n');
            s
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// An access key id: four letters naming its kind and 16 more upper-case letters and
/// digits. Anything else is refused before a network call, and never echoed if it looks
/// like a secret.
pub fn check_key_id(input: &str) -> Result<String, CliError> {
    let id = input.trim();
    let valid = id.len() == 20
        && ["AKIA", "ASIA"].iter().any(|p| id.starts_with(p))
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if valid {
        return Ok(id.to_string());
    }
    if redact::looks_secret(id) {
        return Err(CliError::Usage(format!(
            "`{}` looks like a secret access key, not its id: pass the key id (AKIA...), never the secret",
            redact::fingerprint(id)
        )));
    }
    Err(CliError::Usage(format!(
        "`{}` is not an access key id: expected AKIA... or ASIA... (20 upper-case letters and digits)",
        redact::for_display(id)
    )))
}

/// Replaces every word of `text` that looks like a secret by its fingerprint, so that an
/// error message from a credential provider can be shown.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub fn redact_line(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let core = word.trim_matches(|c: char| "`'\"()[],;".contains(c));
            if !core.is_empty() && redact::looks_secret(core) {
                word.replace(core, &redact::fingerprint(core))
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn table(l: &Located) -> String {
    let mut s = String::new();
    let mut row = |k: &str, v: &str| s.push_str(&format!("{k:<11}{v}\n"));
    row("key", &l.key_id);
    let whose = if l.account == l.caller_account {
        " (the account of your credentials)"
    } else {
        " (another account than your credentials')"
    };
    row("account", &format!("{}{whose}", l.account));
    row("user", l.user.as_deref().unwrap_or("unknown"));
    let used = match &l.last_used {
        Some(LastUsed {
            date: Some(d),
            service,
            region,
        }) => format!(
            "{d} ({} in {})",
            service.as_deref().unwrap_or("unknown service"),
            region.as_deref().unwrap_or("unknown region")
        ),
        Some(_) => "never".to_string(),
        None => "unknown".to_string(),
    };
    row("last used", &used);
    for note in &l.notes {
        row("note", note);
    }
    for (i, step) in l.next.iter().enumerate() {
        row(if i == 0 { "next" } else { "" }, step);
    }
    s
}

#[cfg_attr(not(feature = "aws"), allow(dead_code))]
/// The commands to run next: collect the owning account, then the radius from the key.
fn next_steps(key_id: &str, account: &str) -> Vec<String> {
    vec![
        format!(
            "blastmap collect aws --out snap-{account}   # with credentials of account {account}"
        ),
        format!("blastmap radius -s snap-{account} --from {key_id}"),
    ]
}

#[cfg(feature = "aws")]
mod live {
    use super::{LastUsed, Located, next_steps, redact_line};
    use crate::cli::CliError;

    pub fn locate(key_id: &str, profile: Option<&str>) -> Result<Located, CliError> {
        let found = blastmap_aws::locate(&blastmap_aws::LocateOptions {
            key_id: key_id.to_string(),
            profile: profile.map(str::to_string),
        })
        .map_err(|e| CliError::Usage(redact_line(&e.to_string())))?;
        Ok(Located {
            schema: "blastmap.locate.v1",
            next: next_steps(&found.key_id, &found.account),
            key_id: found.key_id,
            account: found.account,
            caller_account: found.caller_account,
            user: found.user,
            last_used: found.last_use.map(|l| LastUsed {
                date: l.date,
                service: l.service,
                region: l.region,
            }),
            notes: found.notes.iter().map(|n| redact_line(n)).collect(),
        })
    }
}

#[cfg(not(feature = "aws"))]
mod live {
    use super::Located;
    use crate::cli::CliError;

    pub fn locate(_key_id: &str, _profile: Option<&str>) -> Result<Located, CliError> {
        Err(CliError::Usage(
            "`locate` calls AWS, but this blastmap was built without the aws feature; rebuild with `cargo build --features aws`".into(),
        ))
    }
}
