use std::path::PathBuf;

/// Why a snapshot could not be loaded. Every message is one line that names the file and,
/// inside it, the JSON pointer or CSV line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("snapshot `{}` does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` at `{pointer}`: {message}", file.display())]
    Invalid {
        file: PathBuf,
        /// JSON pointer inside the file (`/UserDetailList/3/CreateDate`).
        pointer: String,
        message: String,
    },
    #[error("`{}` line {line}: {message}", file.display())]
    Csv {
        file: PathBuf,
        line: u64,
        message: String,
    },
    #[error(
        "`{}` holds no AWS account data; expected `aws/<ACCOUNT_ID>/gaad.json` (see docs/snapshot-format.md)",
        path.display()
    )]
    Empty { path: PathBuf },
}

impl LoadError {
    pub fn invalid(
        file: impl Into<PathBuf>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let pointer = pointer.into();
        LoadError::Invalid {
            file: file.into(),
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer
            },
            message: message.into(),
        }
    }
}
