use crate::query::SelectError;
use crate::snapshot::LoadError;

/// Why a command failed. Displayed as one line; every variant is bad input (exit code 2)
/// except a failure to write the output.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error(transparent)]
    Can(#[from] crate::aws::can::CanError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
    /// `path` found none: the report is on stdout, the exit code says it (1).
    #[error("no path")]
    NoPath,
    /// Checks that ran and found problems: the report is on stdout.
    #[error("{0}")]
    Failed(String),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot encode the output as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Load(_)
            | CliError::Select(_)
            | CliError::Can(_)
            | CliError::Usage(_)
            | CliError::Rules(_) => 2,
            CliError::Failed(_) | CliError::NoPath => 1,
            CliError::Output(_) | CliError::Json(_) => 1,
        }
    }
}
