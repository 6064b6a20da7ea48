//! `resource-policies.json`: the resource-based policies of the resources one account owns
//! (S3 buckets, KMS keys, Secrets Manager secrets, Lambda functions, SQS queues, SNS
//! topics), in every collected region.

use crate::collect::Ctx;
use crate::config;
use crate::error::CallError;
use crate::json::policy_document;
use aws_config::SdkConfig;
use futures::StreamExt;
use serde_json::{Value, json};

/// A listed resource and its policy (`None`: it has none).
type Entry = (String, Option<String>);

/// One service in one region: the entries read, and the failures (a failed listing, or
/// resources whose policy could not be read).
struct Part {
    entries: Vec<Entry>,
    failures: Vec<(CallError, Option<String>)>,
}

impl Part {
    fn failed(e: CallError, region: Option<&str>) -> Part {
        Part {
            entries: vec![],
            failures: vec![(e, region.map(str::to_string))],
        }
    }
}

#[derive(Clone, Copy)]
enum Service {
    Kms,
    Secrets,
    Lambda,
    Sqs,
    Sns,
}

pub async fn collect(ctx: &Ctx, account: &str, sdk: &SdkConfig) {
    let file = format!("aws/{account}/resource-policies.json");
    let mut jobs: Vec<(Service, String)> = vec![];
    for region in &ctx.regions {
        for service in [
            Service::Kms,
            Service::Secrets,
            Service::Lambda,
            Service::Sqs,
            Service::Sns,
        ] {
            jobs.push((service, region.clone()));
        }
    }
    let bar = ctx.progress.bar(jobs.len() as u64 + 1, "resource policies");
    let s3_part = s3(ctx, sdk).await;
    bar.inc(1);
    let mut parts: Vec<Part> = futures::stream::iter(jobs)
        .map(|(service, region)| {
            let bar = &bar;
            async move {
                let sdk = config::in_region(sdk, &region);
                let part = match service {
                    Service::Kms => kms(ctx, &sdk, &region).await,
                    Service::Secrets => secrets(ctx, &sdk, &region).await,
                    Service::Lambda => lambda(ctx, &sdk, &region).await,
                    Service::Sqs => sqs(ctx, &sdk, &region).await,
                    Service::Sns => sns(ctx, &sdk, &region).await,
                };
                bar.inc(1);
                part
            }
        })
        .buffer_unordered(ctx.concurrency())
        .collect()
        .await;
    bar.finish_and_clear();
    parts.push(s3_part);
    let mut entries = vec![];
    for part in parts {
        entries.extend(part.entries);
        for (e, region) in part.failures {
            let reason = match region {
                Some(r) => format!("{} in {r}", e.reason()),
                None => e.reason(),
            };
            // The file is still written: the resources read are known, and the manifest
            // says which were not.
            ctx.missing_reason(&file, reason);
        }
    }
    entries.sort();
    entries.dedup();
    let policies: Vec<Value> = entries
        .into_iter()
        .map(|(arn, policy)| {
            json!({
                "ResourceArn": arn,
                "Policy": policy.as_deref().map(policy_document).unwrap_or(Value::Null),
            })
        })
        .collect();
    if let Err(e) = ctx.writer.json(&file, &json!({ "Policies": policies })) {
        ctx.progress.note(&format!("error: {e}"));
        ctx.writer.missing(&file, e.to_string());
    }
}

/// Runs `f` on every listed item, under the concurrency bound, and gathers the answers.
async fn per_item<T, F, Fut>(ctx: &Ctx, items: Vec<T>, region: Option<&str>, f: F) -> Part
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<Entry, CallError>>,
{
    let answers: Vec<Result<Entry, CallError>> = futures::stream::iter(items)
        .map(|item| ctx.call(f(item)))
        .buffered(ctx.concurrency())
        .collect()
        .await;
    let mut part = Part {
        entries: vec![],
        failures: vec![],
    };
    for a in answers {
        match a {
            Ok(entry) => part.entries.push(entry),
            Err(e) => part.failures.push((e, region.map(str::to_string))),
        }
    }
    part
}

/// Buckets are listed once for the account; each bucket's policy is read in its region.
async fn s3(ctx: &Ctx, sdk: &SdkConfig) -> Part {
    let client = config::s3(sdk);
    let mut buckets = vec![];
    let mut pages = client.list_buckets().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => buckets.extend(page.buckets().iter().filter_map(|b| {
                b.name()
                    .map(|n| (n.to_string(), b.bucket_region().map(str::to_string)))
            })),
            Err(e) => return Part::failed(CallError::from_sdk("s3:ListAllMyBuckets", e), None),
        }
    }
    per_item(ctx, buckets, None, |(name, region)| {
        let client = client.clone();
        async move {
            let region = match region {
                Some(r) => r,
                None => {
                    let loc = client
                        .get_bucket_location()
                        .bucket(&name)
                        .send()
                        .await
                        .map_err(|e| CallError::from_sdk("s3:GetBucketLocation", e))?;
                    match loc.location_constraint().map(|c| c.as_str()) {
                        None | Some("") => "us-east-1".to_string(),
                        Some("EU") => "eu-west-1".to_string(),
                        Some(r) => r.to_string(),
                    }
                }
            };
            let regional = config::s3(&config::in_region(sdk, &region));
            let policy = match regional.get_bucket_policy().bucket(&name).send().await {
                Ok(out) => out.policy().map(str::to_string),
                Err(e) => {
                    let e = CallError::from_sdk("s3:GetBucketPolicy", e);
                    if e.code() == Some("NoSuchBucketPolicy") {
                        None
                    } else {
                        return Err(e);
                    }
                }
            };
            Ok((format!("arn:aws:s3:::{name}"), policy))
        }
    })
    .await
}

async fn kms(ctx: &Ctx, sdk: &SdkConfig, region: &str) -> Part {
    let client = aws_sdk_kms::Client::new(sdk);
    let mut keys = vec![];
    let mut pages = client.list_keys().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => keys.extend(
                page.keys()
                    .iter()
                    .filter_map(|k| Some((k.key_id()?.to_string(), k.key_arn()?.to_string()))),
            ),
            Err(e) => return Part::failed(CallError::from_sdk("kms:ListKeys", e), Some(region)),
        }
    }
    per_item(ctx, keys, Some(region), |(id, arn)| {
        let client = client.clone();
        async move {
            let out = client
                .get_key_policy()
                .key_id(&id)
                .policy_name("default")
                .send()
                .await
                .map_err(|e| CallError::from_sdk("kms:GetKeyPolicy", e))?;
            Ok((arn, out.policy().map(str::to_string)))
        }
    })
    .await
}

async fn secrets(ctx: &Ctx, sdk: &SdkConfig, region: &str) -> Part {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let mut arns = vec![];
    let mut pages = client.list_secrets().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => arns.extend(
                page.secret_list()
                    .iter()
                    .filter_map(|s| s.arn().map(str::to_string)),
            ),
            Err(e) => {
                return Part::failed(
                    CallError::from_sdk("secretsmanager:ListSecrets", e),
                    Some(region),
                );
            }
        }
    }
    per_item(ctx, arns, Some(region), |arn| {
        let client = client.clone();
        async move {
            let out = client
                .get_resource_policy()
                .secret_id(&arn)
                .send()
                .await
                .map_err(|e| CallError::from_sdk("secretsmanager:GetResourcePolicy", e))?;
            Ok((arn, out.resource_policy().map(str::to_string)))
        }
    })
    .await
}

async fn lambda(ctx: &Ctx, sdk: &SdkConfig, region: &str) -> Part {
    let client = aws_sdk_lambda::Client::new(sdk);
    let mut arns = vec![];
    let mut pages = client.list_functions().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => arns.extend(
                page.functions()
                    .iter()
                    .filter_map(|f| f.function_arn().map(str::to_string)),
            ),
            Err(e) => {
                return Part::failed(CallError::from_sdk("lambda:ListFunctions", e), Some(region));
            }
        }
    }
    per_item(ctx, arns, Some(region), |arn| {
        let client = client.clone();
        async move {
            match client.get_policy().function_name(&arn).send().await {
                Ok(out) => Ok((arn, out.policy().map(str::to_string))),
                Err(e) => {
                    let e = CallError::from_sdk("lambda:GetPolicy", e);
                    if e.code() == Some("ResourceNotFoundException") {
                        Ok((arn, None))
                    } else {
                        Err(e)
                    }
                }
            }
        }
    })
    .await
}

async fn sqs(ctx: &Ctx, sdk: &SdkConfig, region: &str) -> Part {
    use aws_sdk_sqs::types::QueueAttributeName;
    let client = aws_sdk_sqs::Client::new(sdk);
    let mut urls = vec![];
    let mut pages = client.list_queues().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => urls.extend(page.queue_urls().iter().cloned()),
            Err(e) => return Part::failed(CallError::from_sdk("sqs:ListQueues", e), Some(region)),
        }
    }
    per_item(ctx, urls, Some(region), |url| {
        let client = client.clone();
        async move {
            let out = client
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::Policy)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .map_err(|e| CallError::from_sdk("sqs:GetQueueAttributes", e))?;
            let attrs = out.attributes();
            let arn = attrs
                .and_then(|a| a.get(&QueueAttributeName::QueueArn))
                .cloned()
                .unwrap_or(url);
            let policy = attrs
                .and_then(|a| a.get(&QueueAttributeName::Policy))
                .cloned();
            Ok((arn, policy))
        }
    })
    .await
}

async fn sns(ctx: &Ctx, sdk: &SdkConfig, region: &str) -> Part {
    let client = aws_sdk_sns::Client::new(sdk);
    let mut arns = vec![];
    let mut pages = client.list_topics().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => arns.extend(
                page.topics()
                    .iter()
                    .filter_map(|t| t.topic_arn().map(str::to_string)),
            ),
            Err(e) => return Part::failed(CallError::from_sdk("sns:ListTopics", e), Some(region)),
        }
    }
    per_item(ctx, arns, Some(region), |arn| {
        let client = client.clone();
        async move {
            let out = client
                .get_topic_attributes()
                .topic_arn(&arn)
                .send()
                .await
                .map_err(|e| CallError::from_sdk("sns:GetTopicAttributes", e))?;
            let policy = out.attributes().and_then(|a| a.get("Policy")).cloned();
            Ok((arn, policy))
        }
    })
    .await
}
