//! `collect aws`: the order of the work, the manifest, and what stops a collection.

use crate::config;
use crate::error::{CallError, Error};
use crate::progress::Progress;
use crate::writer::{Missing, Writer};
use crate::{iam, inventory, org, resources};
use aws_config::SdkConfig;
use serde_json::json;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What `blastmap collect aws` was asked to do.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The snapshot directory to write (replaced when it already holds a snapshot).
    pub out: PathBuf,
    /// A named profile of the shared config files (otherwise `AWS_PROFILE` or the default).
    pub profile: Option<String>,
    /// Regions for regional services; by default every region enabled for the account.
    pub regions: Option<Vec<String>>,
    /// Also collect the organisation (SCPs, RCPs, OUs, accounts).
    pub org: bool,
    /// Collect every member account too, through this role in each (needs `org`).
    pub member_role: Option<String>,
    /// No progress on stderr.
    pub quiet: bool,
    /// AWS calls in flight at once.
    pub concurrency: usize,
    /// Written to the manifest: the name and version of the program.
    pub collector: String,
}

/// A finished collection.
#[derive(Debug, Clone)]
pub struct Collected {
    pub out: PathBuf,
    /// The account of the credentials used.
    pub account: String,
    /// Every account collected (the caller's, then members).
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub sources: Vec<String>,
    pub missing: Vec<Missing>,
}

/// What every part of a collection shares.
pub struct Ctx {
    pub writer: Writer,
    pub progress: Progress,
    pub regions: Vec<String>,
    limit: Arc<Semaphore>,
    width: usize,
}

impl Ctx {
    /// Runs one AWS call under the concurrency bound.
    pub async fn call<T>(&self, f: impl Future<Output = T>) -> T {
        let _permit = self.limit.acquire().await.ok();
        f.await
    }

    pub fn concurrency(&self) -> usize {
        self.width
    }

    /// Records a source that could not be read and says so on stderr.
    pub fn missing(&self, source: &str, error: &CallError) {
        self.missing_reason(source, error.reason());
    }

    pub fn missing_reason(&self, source: &str, reason: String) {
        self.progress
            .note(&format!("warning: {source} not collected: {reason}"));
        self.writer.missing(source, reason);
    }
}

pub async fn collect(options: &CollectOptions) -> Result<Collected, Error> {
    if options.member_role.is_some() && !options.org {
        return Err(Error::Usage(
            "--member-role needs --org: member accounts are listed by the organisation".into(),
        ));
    }
    if let Some(bad) = options.regions.iter().flatten().find(|r| !valid_region(r)) {
        return Err(Error::Usage(format!(
            "`{bad}` is not a region name (like us-east-1)"
        )));
    }
    let writer = Writer::prepare(&options.out)?;
    let staging = writer.staging().to_path_buf();
    let ctx_result = tokio::select! {
        result = run(options, writer) => result,
        _ = tokio::signal::ctrl_c() => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Error::Usage("interrupted; no snapshot was written".into()));
        }
    };
    ctx_result
}

async fn run(options: &CollectOptions, writer: Writer) -> Result<Collected, Error> {
    let progress = Progress::new(options.quiet);
    let sdk = config::load(options.profile.as_deref()).await;
    let who = match caller(&sdk).await {
        Ok(who) => who,
        Err(e) => {
            writer.abandon();
            return Err(e);
        }
    };
    let regions = match &options.regions {
        Some(r) => r.clone(),
        None => enabled_regions(&sdk, &progress).await,
    };
    let ctx = Ctx {
        writer,
        progress,
        regions: regions.clone(),
        limit: Arc::new(Semaphore::new(options.concurrency.max(1))),
        width: options.concurrency.max(1),
    };
    let mut accounts = vec![who.account.clone()];
    let result = async {
        collect_account(&ctx, &who.account, &sdk).await?;
        if options.org {
            let members = org::collect(&ctx, &sdk, &who.account).await;
            if let Some(role) = &options.member_role {
                for member in members {
                    let member_sdk =
                        match org::assume(&ctx, &sdk, &who.partition, &member, role).await {
                            Ok(member_sdk) => member_sdk,
                            Err(e) => {
                                ctx.missing(&format!("aws/{member}/gaad.json"), &e);
                                continue;
                            }
                        };
                    collect_account(&ctx, &member, &member_sdk).await?;
                    accounts.push(member);
                }
            }
        }
        Ok::<(), Error>(())
    }
    .await;
    if let Err(e) = result {
        ctx.writer.abandon();
        return Err(e);
    }
    let manifest = json!({
        "format_version": 1,
        "collector": options.collector,
        "collected_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "account": who.account,
        "caller_arn": who.arn,
        "accounts": accounts,
        "regions": regions,
    });
    let written = ctx.writer.finish(manifest)?;
    Ok(Collected {
        out: written.out,
        account: who.account,
        accounts,
        regions,
        sources: written.sources,
        missing: written.missing,
    })
}

/// Every source of one account. Fails only when the account cannot be read at all.
async fn collect_account(ctx: &Ctx, account: &str, sdk: &SdkConfig) -> Result<(), Error> {
    let spinner = ctx.progress.spinner(format!("account {account}"));
    let (iam_result, (), ()) = tokio::join!(
        iam::collect(ctx, account, sdk),
        resources::collect(ctx, account, sdk),
        inventory::collect(ctx, account, sdk),
    );
    spinner.finish_and_clear();
    iam_result
}

pub struct Caller {
    pub account: String,
    pub arn: String,
    pub partition: String,
}

/// `sts:GetCallerIdentity`: whose credentials these are. Every failure here stops the
/// collection with a message that says what to fix.
pub async fn caller(sdk: &SdkConfig) -> Result<Caller, Error> {
    let who = config::sts_probe(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| fatal(sdk, "sts", CallError::from_sdk("sts:GetCallerIdentity", e)))?;
    let account = who.account().unwrap_or_default().to_string();
    let arn = who.arn().unwrap_or_default().to_string();
    if account.is_empty() {
        return Err(Error::Call {
            operation: "sts:GetCallerIdentity".into(),
            reason: "the answer names no account".into(),
        });
    }
    let partition = arn.split(':').nth(1).unwrap_or("aws").to_string();
    Ok(Caller {
        account,
        arn,
        partition,
    })
}

/// The error that stops a command when a call every result depends on fails.
pub fn fatal(sdk: &SdkConfig, service: &str, e: CallError) -> Error {
    if e.is_unreachable() {
        Error::Unreachable {
            endpoint: config::endpoint(sdk, service),
            message: e.detail(),
        }
    } else if e.is_credentials() {
        Error::Credentials {
            message: e.detail(),
        }
    } else {
        Error::Call {
            operation: e.operation.to_string(),
            reason: e.detail(),
        }
    }
}

/// The regions enabled for the account (`ec2:DescribeRegions`), or the configured region
/// alone when that is denied.
async fn enabled_regions(sdk: &SdkConfig, progress: &Progress) -> Vec<String> {
    let home = sdk
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| config::DEFAULT_REGION.to_string());
    match aws_sdk_ec2::Client::new(sdk)
        .describe_regions()
        .send()
        .await
    {
        Ok(out) => {
            let mut regions: Vec<String> = out
                .regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_string))
                .collect();
            regions.sort();
            if regions.is_empty() {
                vec![home]
            } else {
                regions
            }
        }
        Err(e) => {
            let e = CallError::from_sdk("ec2:DescribeRegions", e);
            progress.note(&format!(
                "warning: cannot list the enabled regions ({}); collecting {home} only, pass --regions to choose",
                e.reason()
            ));
            vec![home]
        }
    }
}

fn valid_region(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 32
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
