use super::CliError;
use crate::synth::{Scale, Size, generate};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// small: 1 account, 50 users, 100 roles; medium: 20 accounts, 2k / 5k; large: 200
    /// accounts, 20k / 50k; xl: 2,000 accounts, 100k / 250k.
    #[arg(long, value_enum, default_value_t = Size::Small)]
    pub size: Size,
    /// The same seed writes the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Override the size's number of accounts, users or roles.
    #[arg(long)]
    pub accounts: Option<usize>,
    #[arg(long)]
    pub users: Option<usize>,
    #[arg(long)]
    pub roles: Option<usize>,
    /// The snapshot directory to write (new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: SynthArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let base = args.size.scale();
    let scale = Scale::new(
        args.accounts.unwrap_or(base.accounts),
        args.users.unwrap_or(base.users),
        args.roles.unwrap_or(base.roles),
    );
    let generated =
        generate(scale, args.seed, &args.out).map_err(|e| CliError::Usage(e.to_string()))?;
    generated.write_line(out)?;
    Ok(())
}
