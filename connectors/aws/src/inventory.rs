//! The inventories escalation rules need: which compute runs as which role. Each file is
//! the aws CLI's output of one command, run in every collected region and merged (the lists
//! concatenated), reduced to the fields that matter for reach (no environment variables,
//! stack parameters or other places secrets live).
//!
//! ```text
//! aws/<ACCOUNT>/ec2-instances.json          ec2 describe-instances
//! aws/<ACCOUNT>/lambda-functions.json       lambda list-functions
//! aws/<ACCOUNT>/glue-dev-endpoints.json     glue get-dev-endpoints
//! aws/<ACCOUNT>/sagemaker-notebooks.json    sagemaker list-notebook-instances + describe-notebook-instance
//! aws/<ACCOUNT>/cloudformation-stacks.json  cloudformation describe-stacks
//! aws/<ACCOUNT>/codebuild-projects.json     codebuild list-projects + batch-get-projects
//! ```
//!
//! A region whose listing fails leaves the file written with the other regions, and the
//! manifest names the file and the failure.

use crate::collect::Ctx;
use crate::config;
use crate::error::CallError;
use crate::json::Obj;
use aws_config::SdkConfig;
use futures::StreamExt;
use serde_json::{Value, json};

#[derive(Clone, Copy)]
enum Kind {
    Ec2,
    Lambda,
    Glue,
    SageMaker,
    CloudFormation,
    CodeBuild,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Ec2,
        Kind::Lambda,
        Kind::Glue,
        Kind::SageMaker,
        Kind::CloudFormation,
        Kind::CodeBuild,
    ];

    fn file(self) -> &'static str {
        match self {
            Kind::Ec2 => "ec2-instances.json",
            Kind::Lambda => "lambda-functions.json",
            Kind::Glue => "glue-dev-endpoints.json",
            Kind::SageMaker => "sagemaker-notebooks.json",
            Kind::CloudFormation => "cloudformation-stacks.json",
            Kind::CodeBuild => "codebuild-projects.json",
        }
    }
}

pub async fn collect(ctx: &Ctx, account: &str, sdk: &SdkConfig) {
    let jobs: Vec<(Kind, String)> = ctx
        .regions
        .iter()
        .flat_map(|r| Kind::ALL.into_iter().map(move |k| (k, r.clone())))
        .collect();
    let bar = ctx.progress.bar(jobs.len() as u64, "inventories");
    let results: Vec<(Kind, String, Result<Value, CallError>)> = futures::stream::iter(jobs)
        .map(|(kind, region)| {
            let bar = &bar;
            async move {
                let sdk = config::in_region(sdk, &region);
                let value = match kind {
                    Kind::Ec2 => ec2(ctx, &sdk).await,
                    Kind::Lambda => lambda(ctx, &sdk).await,
                    Kind::Glue => glue(ctx, &sdk).await,
                    Kind::SageMaker => sagemaker(ctx, &sdk).await,
                    Kind::CloudFormation => cloudformation(ctx, &sdk).await,
                    Kind::CodeBuild => codebuild(ctx, &sdk).await,
                };
                bar.inc(1);
                (kind, region, value)
            }
        })
        .buffer_unordered(ctx.concurrency())
        .collect()
        .await;
    bar.finish_and_clear();
    for kind in Kind::ALL {
        let file = format!("aws/{account}/{}", kind.file());
        let mut merged = serde_json::Map::new();
        let mut read_any = false;
        for (k, region, value) in &results {
            if k.file() != kind.file() {
                continue;
            }
            match value {
                Ok(Value::Object(lists)) => {
                    read_any = true;
                    for (key, list) in lists {
                        let into = merged
                            .entry(key.clone())
                            .or_insert_with(|| Value::Array(vec![]));
                        if let (Value::Array(into), Value::Array(items)) = (into, list) {
                            into.extend(items.iter().cloned());
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => ctx.missing_reason(&file, format!("{} in {region}", e.reason())),
            }
        }
        if read_any && let Err(e) = ctx.writer.json(&file, &Value::Object(merged)) {
            ctx.writer.missing(&file, e.to_string());
        }
    }
}

fn tags<'a>(tags: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Value {
    Value::Array(
        tags.into_iter()
            .map(|(k, v)| Obj::new().s("Key", k).s("Value", v).build())
            .collect(),
    )
}

async fn ec2(ctx: &Ctx, sdk: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_ec2::Client::new(sdk);
    let mut reservations = vec![];
    let mut pages = client.describe_instances().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("ec2:DescribeInstances", e))?;
        for r in page.reservations() {
            let instances: Vec<Value> = r
                .instances()
                .iter()
                .map(|i| {
                    Obj::new()
                        .s("InstanceId", i.instance_id())
                        .s("InstanceType", i.instance_type().map(|t| t.as_str()))
                        .o(
                            "State",
                            i.state().map(|s| {
                                Obj::new().s("Name", s.name().map(|n| n.as_str())).build()
                            }),
                        )
                        .o(
                            "IamInstanceProfile",
                            i.iam_instance_profile()
                                .map(|p| Obj::new().s("Arn", p.arn()).s("Id", p.id()).build()),
                        )
                        .t("LaunchTime", i.launch_time())
                        .o(
                            "Placement",
                            i.placement().map(|p| {
                                Obj::new()
                                    .s("AvailabilityZone", p.availability_zone())
                                    .build()
                            }),
                        )
                        .s("VpcId", i.vpc_id())
                        .s("SubnetId", i.subnet_id())
                        .s("PublicIpAddress", i.public_ip_address())
                        .o(
                            "MetadataOptions",
                            i.metadata_options().map(|m| {
                                Obj::new()
                                    .s("HttpTokens", m.http_tokens().map(|t| t.as_str()))
                                    .s("HttpEndpoint", m.http_endpoint().map(|t| t.as_str()))
                                    .build()
                            }),
                        )
                        .v("Tags", tags(i.tags().iter().map(|t| (t.key(), t.value()))))
                        .build()
                })
                .collect();
            reservations.push(
                Obj::new()
                    .s("ReservationId", r.reservation_id())
                    .s("OwnerId", r.owner_id())
                    .v("Instances", instances)
                    .build(),
            );
        }
    }
    Ok(json!({ "Reservations": reservations }))
}

async fn lambda(ctx: &Ctx, sdk: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_lambda::Client::new(sdk);
    let mut functions = vec![];
    let mut pages = client.list_functions().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("lambda:ListFunctions", e))?;
        functions.extend(page.functions().iter().map(|f| {
            // `Environment` is left out: function variables often hold secrets.
            Obj::new()
                .s("FunctionName", f.function_name())
                .s("FunctionArn", f.function_arn())
                .s("Runtime", f.runtime().map(|r| r.as_str()))
                .s("Role", f.role())
                .s("Handler", f.handler())
                .s("LastModified", f.last_modified())
                .build()
        }));
    }
    Ok(json!({ "Functions": functions }))
}

async fn glue(ctx: &Ctx, sdk: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_glue::Client::new(sdk);
    let mut endpoints = vec![];
    let mut pages = client.get_dev_endpoints().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("glue:GetDevEndpoints", e))?;
        endpoints.extend(page.dev_endpoints().iter().map(|d| {
            Obj::new()
                .s("EndpointName", d.endpoint_name())
                .s("RoleArn", d.role_arn())
                .s("Status", d.status())
                .s("PublicAddress", d.public_address())
                .build()
        }));
    }
    Ok(json!({ "DevEndpoints": endpoints }))
}

async fn sagemaker(ctx: &Ctx, sdk: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_sagemaker::Client::new(sdk);
    let mut names = vec![];
    let mut pages = client.list_notebook_instances().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("sagemaker:ListNotebookInstances", e))?;
        names.extend(
            page.notebook_instances()
                .iter()
                .filter_map(|n| n.notebook_instance_name().map(str::to_string)),
        );
    }
    let described: Vec<Result<Value, CallError>> = futures::stream::iter(names)
        .map(|name| {
            let client = client.clone();
            ctx.call(async move {
                let d = client
                    .describe_notebook_instance()
                    .notebook_instance_name(&name)
                    .send()
                    .await
                    .map_err(|e| CallError::from_sdk("sagemaker:DescribeNotebookInstance", e))?;
                Ok(Obj::new()
                    .s("NotebookInstanceName", d.notebook_instance_name())
                    .s("NotebookInstanceArn", d.notebook_instance_arn())
                    .s("RoleArn", d.role_arn())
                    .s(
                        "NotebookInstanceStatus",
                        d.notebook_instance_status().map(|s| s.as_str()),
                    )
                    .s(
                        "DirectInternetAccess",
                        d.direct_internet_access().map(|s| s.as_str()),
                    )
                    .s("RootAccess", d.root_access().map(|s| s.as_str()))
                    .build())
            })
        })
        .buffered(ctx.concurrency())
        .collect()
        .await;
    let notebooks = described.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "NotebookInstances": notebooks }))
}

async fn cloudformation(ctx: &Ctx, sdk: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_cloudformation::Client::new(sdk);
    let mut stacks = vec![];
    let mut pages = client.describe_stacks().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("cloudformation:DescribeStacks", e))?;
        // `Parameters` and `Outputs` are left out: they can hold secrets.
        stacks.extend(page.stacks().iter().map(|s| {
            Obj::new()
                .s("StackName", s.stack_name())
                .s("StackId", s.stack_id())
                .s("RoleARN", s.role_arn())
                .s("StackStatus", s.stack_status().map(|x| x.as_str()))
                .t("CreationTime", s.creation_time())
                .v(
                    "Capabilities",
                    Value::Array(
                        s.capabilities()
                            .iter()
                            .map(|c| Value::String(c.as_str().to_string()))
                            .collect(),
                    ),
                )
                .build()
        }));
    }
    Ok(json!({ "Stacks": stacks }))
}

async fn codebuild(ctx: &Ctx, sdk: &SdkConfig) -> Result<Value, CallError> {
    let client = aws_sdk_codebuild::Client::new(sdk);
    let mut names: Vec<String> = vec![];
    let mut pages = client.list_projects().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("codebuild:ListProjects", e))?;
        names.extend(page.projects().iter().cloned());
    }
    let mut projects = vec![];
    // `batch-get-projects` is CodeBuild's only way to read a project (IAM classes it as a
    // read); at most 100 names a call.
    for chunk in names.chunks(100) {
        let out = ctx
            .call(
                client
                    .batch_get_projects()
                    .set_names(Some(chunk.to_vec()))
                    .send(),
            )
            .await
            .map_err(|e| CallError::from_sdk("codebuild:BatchGetProjects", e))?;
        // Environment variables are left out: they can hold plaintext secrets.
        projects.extend(out.projects().iter().map(|p| {
            Obj::new()
                .s("name", p.name())
                .s("arn", p.arn())
                .s("serviceRole", p.service_role())
                .s("encryptionKey", p.encryption_key())
                .build()
        }));
    }
    Ok(json!({ "projects": projects }))
}
