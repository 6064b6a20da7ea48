use super::{CliError, Format};
use crate::aws::can::{CanRequest, Credential, can};
use crate::aws::policy::{Context, Policy, PolicySource};
use crate::report;
use crate::snapshot::{LoadError, Snapshot};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct CanArgs {
    /// Snapshot directory, or a single `aws iam get-account-authorization-details` file.
    #[arg(short = 's', long = "snapshot", value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The user or role making the request (ARN or unique name); a role means a session of it.
    #[arg(long, value_name = "ARN")]
    pub principal: String,
    /// The action, e.g. `s3:GetObject`.
    #[arg(long, value_name = "ACTION")]
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key`.
    #[arg(long, value_name = "ARN")]
    pub resource: String,
    /// A condition key of the request, `KEY=VALUE`; repeat a key for several values. A key
    /// not given is unknown.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// A condition key present with an empty set of values.
    #[arg(long = "context-empty", value_name = "KEY")]
    pub context_empty: Vec<String>,
    /// What signed the request: decides the MFA and token-time keys.
    #[arg(long, value_enum, default_value_t = CredentialArg::Unknown)]
    pub credential: CredentialArg,
    /// A session policy passed when the session was minted (a JSON policy file).
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialArg {
    /// A user's access key: no MFA, no token issue time.
    LongTerm,
    /// Temporary credentials.
    Session,
    /// Not said: MFA and token-time keys are unknown unless given with --context.
    Unknown,
}

pub fn run(args: CanArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let context = parse_context(&args.context, &args.context_empty)?;
    let session_policy = match &args.session_policy {
        Some(path) => Some(read_policy(path)?),
        None => None,
    };
    let snapshot = Snapshot::open(&args.snapshot)?;
    let request = CanRequest {
        principal: args.principal.clone(),
        action: args.action.clone(),
        resource: args.resource.clone(),
        context,
        credential: match args.credential {
            CredentialArg::LongTerm => Credential::LongTerm,
            CredentialArg::Session => Credential::Session,
            CredentialArg::Unknown => Credential::Unknown,
        },
        session_policy,
    };
    let (principal, decision) = can(&snapshot, &request)?;
    let view = report::CanView {
        principal: &principal,
        action: &request.action,
        resource: &request.resource,
        decision: &decision,
    };
    let text = match args.format {
        Format::Table => report::table::render_can(&view),
        Format::Json => report::json::render_can(&view)?,
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

fn parse_context(pairs: &[String], empty: &[String]) -> Result<Context, CliError> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(CliError::Usage(format!(
                "`--context {}` must be KEY=VALUE",
                crate::redact::for_display(pair)
            )));
        };
        values
            .entry(key.trim().to_string())
            .or_default()
            .push(value.to_string());
    }
    let mut context = Context::new();
    for (key, list) in values {
        context.set_many(&key, list);
    }
    for key in empty {
        if context.get(key).is_some() {
            return Err(CliError::Usage(format!(
                "`{key}` is given both with --context and --context-empty"
            )));
        }
        context.set_many(key, Vec::new());
    }
    Ok(context)
}

fn read_policy(path: &std::path::Path) -> Result<Policy, CliError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: serde_json::Value = crate::snapshot::json::from_slice(path, &bytes)?;
    let source = PolicySource {
        file: Arc::from(path.display().to_string().as_str()),
        pointer: String::new(),
        name: "session policy".into(),
    };
    Policy::parse(source, &value)
        .map_err(|e| CliError::Load(LoadError::invalid(path, e.pointer, e.message)))
}
