//! Why a collection or a look-up failed, and why one source could not be read.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::path::PathBuf;

/// A failure that stops the whole command. Displayed as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No AWS endpoint answered (network down, wrong `AWS_ENDPOINT_URL`, proxy).
    #[error("cannot reach the AWS endpoint {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    /// No usable credentials, or credentials AWS refused.
    #[error(
        "AWS credentials are missing or not accepted ({message}); set AWS_PROFILE, use --profile, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    Credentials { message: String },
    /// An AWS call every result depends on failed.
    #[error("{operation} failed: {reason}")]
    Call { operation: String, reason: String },
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// The output directory cannot be used.
    #[error("`{}`: {message}", path.display())]
    OutDir { path: PathBuf, message: String },
    /// Writing the snapshot failed.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the failure is the analyst's input or environment (exit code 2) rather than
    /// a failure to write the output (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Write { .. })
    }
}

/// Why one AWS call failed, reduced to what a manifest or a message needs.
#[derive(Debug, Clone)]
pub struct CallError {
    /// `service:Operation`, as IAM names the action.
    pub operation: &'static str,
    pub kind: CallErrorKind,
}

#[derive(Debug, Clone)]
pub enum CallErrorKind {
    /// The service answered with an error code (`AccessDenied`, `NoSuchEntity`, ...).
    Service { code: String, message: String },
    /// The request never got an answer (connection refused, DNS, timeout).
    Unreachable { message: String },
    /// Anything else: credentials could not be loaded, a response could not be parsed.
    Other { message: String },
}

impl CallError {
    pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let kind = match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                CallErrorKind::Service {
                    code: e.code().unwrap_or("Unknown").to_string(),
                    message: one_line(e.message().unwrap_or_default()),
                }
            }
            SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
                CallErrorKind::Unreachable {
                    message: chain(&err),
                }
            }
            SdkError::TimeoutError(_) => CallErrorKind::Unreachable {
                message: chain(&err),
            },
            _ => CallErrorKind::Other {
                message: chain(&err),
            },
        };
        CallError { operation, kind }
    }

    /// The service's error code, when it answered.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            CallErrorKind::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// What the manifest records: `AccessDenied: iam:GenerateCredentialReport`.
    pub fn reason(&self) -> String {
        match &self.kind {
            CallErrorKind::Service { code, .. } => format!("{code}: {}", self.operation),
            CallErrorKind::Unreachable { message } => {
                format!("Unreachable: {} ({message})", self.operation)
            }
            CallErrorKind::Other { message } => format!("Error: {} ({message})", self.operation),
        }
    }

    pub fn is_unreachable(&self) -> bool {
        matches!(self.kind, CallErrorKind::Unreachable { .. })
    }

    /// Whether the code says the caller lacks credentials or they are invalid.
    pub fn is_credentials(&self) -> bool {
        match &self.kind {
            CallErrorKind::Service { code, .. } => matches!(
                code.as_str(),
                "InvalidClientTokenId"
                    | "SignatureDoesNotMatch"
                    | "UnrecognizedClientException"
                    | "ExpiredToken"
                    | "ExpiredTokenException"
                    | "InvalidToken"
            ),
            CallErrorKind::Other { message } => {
                message.contains("credentials") || message.contains("no providers in chain")
            }
            CallErrorKind::Unreachable { .. } => false,
        }
    }

    /// The full one-line description, for errors that stop the command.
    pub fn detail(&self) -> String {
        match &self.kind {
            CallErrorKind::Service { code, message } if message.is_empty() => code.clone(),
            CallErrorKind::Service { code, message } => format!("{code}: {message}"),
            CallErrorKind::Unreachable { message } | CallErrorKind::Other { message } => {
                message.clone()
            }
        }
    }
}

/// An error and its sources on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    one_line(&parts.join(": "))
}

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
