use super::CliError;
use crate::rules::{RuleSet, check::check};
use clap::Subcommand;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check every rule (ids, references, targets, permissions) and run its examples.
    Check,
    /// List the rules in force with their ids and titles.
    List,
}

pub fn run(
    command: RulesCommand,
    policies: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let rules = RuleSet::load(policies)?;
    match command {
        RulesCommand::List => {
            for rule in &rules.rules {
                writeln!(out, "{:<48} {}", rule.id, rule.title)?;
            }
            Ok(())
        }
        RulesCommand::Check => {
            let (failures, ran) = check(&rules);
            for f in &failures {
                writeln!(out, "FAIL {} / {}: {}", f.rule, f.example, f.message)?;
            }
            writeln!(
                out,
                "{} rules, {ran} examples: {} passed, {} failed",
                rules.rules.len(),
                ran - failures.len(),
                failures.len()
            )?;
            if failures.is_empty() {
                Ok(())
            } else {
                Err(CliError::Failed(format!(
                    "{} of {ran} rule examples failed",
                    failures.len()
                )))
            }
        }
    }
}
