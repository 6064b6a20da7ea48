//! The SDK configuration: the standard credential chain, `AWS_PROFILE`, `AWS_REGION` and
//! `AWS_ENDPOINT_URL` as the aws CLI reads them, plus retries and timeouts.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// IAM, STS and Organizations answer from one region; the CLI's default when none is set.
pub const DEFAULT_REGION: &str = "us-east-1";

pub async fn load(profile: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Throttling, 5xx and dropped connections are retried with exponential backoff.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_millis(200)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return config
            .into_builder()
            .region(Region::new(DEFAULT_REGION))
            .build();
    }
    config
}

/// The configuration for another region.
pub fn in_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config
        .clone()
        .into_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// The endpoint a call goes to, for messages: `AWS_ENDPOINT_URL` or AWS's own.
pub fn endpoint(config: &SdkConfig, service: &str) -> String {
    match config.endpoint_url() {
        Some(url) => url.to_string(),
        None => format!(
            "https://{service}.{}.amazonaws.com",
            config
                .region()
                .map(|r| r.as_ref())
                .unwrap_or(DEFAULT_REGION)
        ),
    }
}

/// Fails fast for the first call: an unreachable endpoint should be reported in seconds.
pub fn probe_retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(200))
}

pub fn sts(config: &SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(config)
}

pub fn sts_probe(config: &SdkConfig) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::config::Builder::from(config)
        .retry_config(probe_retry())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

pub fn iam(config: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

pub fn iam_probe(config: &SdkConfig) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::config::Builder::from(config)
        .retry_config(probe_retry())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// S3 with path-style addresses when a custom endpoint is set (a local server has no
/// per-bucket host names).
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
