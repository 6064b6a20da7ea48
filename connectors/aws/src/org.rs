//! `aws/organizations.json`: the organisation, its OUs and accounts, and the SCPs and RCPs
//! with their targets; and the credentials of member accounts for `--member-role`.

use crate::collect::Ctx;
use crate::error::CallError;
use crate::json::{Obj, policy_document};
use aws_config::SdkConfig;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::PolicyType;
use serde_json::{Value, json};

const FILE: &str = "aws/organizations.json";

/// Writes the organisation (or records why it could not be read) and returns the ids of
/// the active member accounts other than the caller's.
pub async fn collect(ctx: &Ctx, sdk: &SdkConfig, caller: &str) -> Vec<String> {
    let spinner = ctx.progress.spinner("organization");
    let result = read(ctx, &Client::new(sdk)).await;
    spinner.finish_and_clear();
    match result {
        Ok((value, accounts, gaps)) => {
            for e in gaps {
                ctx.missing(FILE, &e);
            }
            if let Err(e) = ctx.writer.json(FILE, &value) {
                ctx.writer.missing(FILE, e.to_string());
            }
            accounts.into_iter().filter(|a| a != caller).collect()
        }
        Err(e) => {
            ctx.missing(FILE, &e);
            vec![]
        }
    }
}

type Read = (Value, Vec<String>, Vec<CallError>);

async fn read(ctx: &Ctx, org: &Client) -> Result<Read, CallError> {
    let described = ctx
        .call(org.describe_organization().send())
        .await
        .map_err(|e| CallError::from_sdk("organizations:DescribeOrganization", e))?;
    let o = described.organization();
    let organization = Obj::new()
        .s("Id", o.and_then(|o| o.id()))
        .s("Arn", o.and_then(|o| o.arn()))
        .s(
            "FeatureSet",
            o.and_then(|o| o.feature_set()).map(|f| f.as_str()),
        )
        .s("MasterAccountId", o.and_then(|o| o.master_account_id()))
        .s("MasterAccountArn", o.and_then(|o| o.master_account_arn()))
        .build();
    let management = o.and_then(|o| o.master_account_id()).map(str::to_string);

    let mut roots = vec![];
    let mut root_ids = vec![];
    let mut pages = org.list_roots().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("organizations:ListRoots", e))?;
        for r in page.roots() {
            if let Some(id) = r.id() {
                root_ids.push(id.to_string());
            }
            roots.push(
                Obj::new()
                    .s("Id", r.id())
                    .s("Arn", r.arn())
                    .s("Name", r.name())
                    .build(),
            );
        }
    }

    // Walk the tree from the roots: every OU and account, each with its parent.
    let mut ous = vec![];
    let mut accounts = vec![];
    let mut active = vec![];
    let mut parents = root_ids.clone();
    while let Some(parent) = parents.pop() {
        let mut pages = org
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = ctx.call(pages.next()).await {
            let page = page.map_err(|e| {
                CallError::from_sdk("organizations:ListOrganizationalUnitsForParent", e)
            })?;
            for ou in page.organizational_units() {
                if let Some(id) = ou.id() {
                    parents.push(id.to_string());
                }
                ous.push(
                    Obj::new()
                        .s("Id", ou.id())
                        .s("Arn", ou.arn())
                        .s("Name", ou.name())
                        .s("ParentId", parent.as_str())
                        .build(),
                );
            }
        }
        let mut pages = org
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = ctx.call(pages.next()).await {
            let page =
                page.map_err(|e| CallError::from_sdk("organizations:ListAccountsForParent", e))?;
            for a in page.accounts() {
                #[allow(deprecated)]
                let status = a.status().map(|s| s.as_str().to_string());
                if let (Some(id), Some("ACTIVE") | None) = (a.id(), status.as_deref()) {
                    active.push(id.to_string());
                }
                #[allow(deprecated)]
                accounts.push(
                    Obj::new()
                        .s("Id", a.id())
                        .s("Arn", a.arn())
                        .s("Name", a.name())
                        .s("Email", a.email())
                        .s("Status", status)
                        .s("ParentId", parent.as_str())
                        .build(),
                );
            }
        }
    }

    let mut policies = vec![];
    let mut gaps = vec![];
    for kind in [
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ] {
        match policies_of(ctx, org, kind).await {
            Ok(p) => policies.extend(p),
            Err(e) => gaps.push(e),
        }
    }
    active.sort();
    let value = Obj::new()
        .v("Organization", organization)
        .s("ManagementAccountId", management)
        .v("Roots", roots)
        .v("OrganizationalUnits", ous)
        .v("Accounts", accounts)
        .v("Policies", policies)
        .build();
    Ok((value, active, gaps))
}

/// Every policy of one type with its document and targets.
async fn policies_of(ctx: &Ctx, org: &Client, kind: PolicyType) -> Result<Vec<Value>, CallError> {
    let mut summaries = vec![];
    let mut pages = org.list_policies().filter(kind).into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("organizations:ListPolicies", e))?;
        summaries.extend(page.policies().iter().cloned());
    }
    let mut out = vec![];
    for s in summaries {
        let Some(id) = s.id() else { continue };
        let described = ctx
            .call(org.describe_policy().policy_id(id).send())
            .await
            .map_err(|e| CallError::from_sdk("organizations:DescribePolicy", e))?;
        let content = described
            .policy()
            .and_then(|p| p.content())
            .map(policy_document);
        let mut targets = vec![];
        let mut pages = org
            .list_targets_for_policy()
            .policy_id(id)
            .into_paginator()
            .send();
        while let Some(page) = ctx.call(pages.next()).await {
            let page =
                page.map_err(|e| CallError::from_sdk("organizations:ListTargetsForPolicy", e))?;
            targets.extend(page.targets().iter().map(|t| {
                Obj::new()
                    .s("TargetId", t.target_id())
                    .s("Arn", t.arn())
                    .s("Name", t.name())
                    .s("Type", t.r#type().map(|x| x.as_str()))
                    .build()
            }));
        }
        out.push(json!({
            "PolicySummary": Obj::new()
                .s("Id", s.id())
                .s("Arn", s.arn())
                .s("Name", s.name())
                .s("Description", s.description())
                .s("Type", s.r#type().map(|x| x.as_str()))
                .n("AwsManaged", s.aws_managed())
                .build(),
            "Content": content.unwrap_or(Value::Null),
            "Targets": targets,
        }));
    }
    Ok(out)
}

/// Credentials of a member account through `ROLE` in it (`sts:AssumeRole`).
pub async fn assume(
    ctx: &Ctx,
    sdk: &SdkConfig,
    partition: &str,
    account: &str,
    role: &str,
) -> Result<SdkConfig, CallError> {
    let arn = format!("arn:{partition}:iam::{account}:role/{role}");
    let out = ctx
        .call(
            aws_sdk_sts::Client::new(sdk)
                .assume_role()
                .role_arn(&arn)
                .role_session_name("blastmap-collect")
                .send(),
        )
        .await
        .map_err(|e| CallError::from_sdk("sts:AssumeRole", e))?;
    let Some(c) = out.credentials() else {
        return Err(CallError {
            operation: "sts:AssumeRole",
            kind: crate::error::CallErrorKind::Other {
                message: format!("{arn}: the answer holds no credentials"),
            },
        });
    };
    let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
    let credentials = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expiry,
        "blastmap-member-role",
    );
    Ok(sdk
        .clone()
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build())
}
