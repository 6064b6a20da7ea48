//! `blastmap collect aws --out SNAPSHOT`: live, read-only collection of a snapshot. The
//! work is done by the `connectors/aws` crate, reached through the `aws` feature; without
//! it the command says so.

use super::CliError;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(subcommand)]
    pub cloud: CollectCloud,
}

#[derive(Debug, Subcommand)]
pub enum CollectCloud {
    /// Collect an AWS account (and its organisation with --org) with read-only calls.
    Aws(AwsArgs),
}

#[derive(Debug, Args)]
pub struct AwsArgs {
    /// The snapshot directory to write. An existing snapshot there is replaced once the new
    /// one is complete.
    #[arg(long, value_name = "SNAPSHOT")]
    pub out: PathBuf,
    /// A named profile of the AWS config files (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Regions of the regional services (resource policies, inventories); by default every
    /// region enabled for the account.
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    pub regions: Option<Vec<String>>,
    /// Also collect the organisation: OUs, accounts, SCPs and RCPs with their targets.
    #[arg(long)]
    pub org: bool,
    /// Collect every member account of the organisation too, through this role in each.
    #[arg(long, value_name = "ROLE_NAME", requires = "org")]
    pub member_role: Option<String>,
    /// AWS calls in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// No progress or warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: CollectArgs, out: &mut dyn Write) -> Result<(), CliError> {
    match args.cloud {
        CollectCloud::Aws(aws) => live::collect_aws(aws, out),
    }
}

#[cfg(feature = "aws")]
mod live {
    use super::AwsArgs;
    use crate::cli::CliError;
    use crate::cli::locate::redact_line;
    use std::io::Write;

    pub fn collect_aws(args: AwsArgs, out: &mut dyn Write) -> Result<(), CliError> {
        let options = blastmap_aws::CollectOptions {
            out: args.out,
            profile: args.profile,
            regions: args.regions,
            org: args.org,
            member_role: args.member_role,
            quiet: args.quiet,
            concurrency: usize::from(args.concurrency),
            collector: format!("blastmap {}", env!("CARGO_PKG_VERSION")),
        };
        let done = blastmap_aws::collect(&options).map_err(|e| {
            let message = redact_line(&e.to_string());
            if e.is_bad_input() {
                CliError::Usage(message)
            } else {
                CliError::Output(std::io::Error::other(message))
            }
        })?;
        let mut text = format!(
            "collected {} into {} (regions: {})\n",
            match done.accounts.as_slice() {
                [one] => format!("account {one}"),
                many => format!("accounts {}", many.join(", ")),
            },
            done.out.display(),
            done.regions.join(", ")
        );
        text.push_str(&format!("{} sources written\n", done.sources.len()));
        if done.missing.is_empty() {
            text.push_str("nothing missing\n");
        } else {
            text.push_str(&format!(
                "{} sources missing or partial (listed in manifest.json and in every report):\n",
                done.missing.len()
            ));
            for m in &done.missing {
                text.push_str(&format!("  {}: {}\n", m.source, redact_line(&m.reason)));
            }
        }
        text.push_str(&format!(
            "next: blastmap radius -s {} --from AKIA...\n",
            done.out.display()
        ));
        out.write_all(text.as_bytes())?;
        Ok(())
    }
}

#[cfg(not(feature = "aws"))]
mod live {
    use super::AwsArgs;
    use crate::cli::CliError;
    use std::io::Write;

    pub fn collect_aws(_args: AwsArgs, _out: &mut dyn Write) -> Result<(), CliError> {
        Err(CliError::Usage(
            "`collect aws` calls AWS, but this blastmap was built without the aws feature; rebuild with `cargo build --features aws`, or export a snapshot with the AWS CLI (docs/snapshot-format.md)".into(),
        ))
    }
}
