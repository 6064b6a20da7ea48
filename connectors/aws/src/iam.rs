//! IAM: authorization details, access keys with their last use, the credential report and
//! the identity providers of one account.

use crate::collect::{Ctx, fatal};
use crate::config;
use crate::error::{CallError, Error};
use crate::json::{Obj, policy_document};
use aws_config::SdkConfig;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, GroupDetail, InstanceProfile, ManagedPolicyDetail,
    PolicyDetail, PolicyVersion, RoleDetail, Tag, UserDetail,
};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

pub async fn collect(ctx: &Ctx, account: &str, sdk: &SdkConfig) -> Result<(), Error> {
    let iam = config::iam(sdk);
    let rel = |name: &str| format!("aws/{account}/{name}");
    let gaad_file = rel("gaad.json");
    let gaad = match gaad(ctx, &iam, &gaad_file).await {
        Ok(gaad) => Some(gaad),
        Err(e) if e.is_unreachable() => return Err(fatal(sdk, "iam", e)),
        Err(e) => {
            ctx.missing(&gaad_file, &e);
            None
        }
    };
    let users: Option<Vec<String>> = gaad.as_ref().map(|g| {
        g["UserDetailList"]
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| u["UserName"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    });
    if let Some(gaad) = &gaad {
        ctx.writer.json(&gaad_file, gaad)?;
    }
    let keys_file = rel("access-keys.json");
    let (keys, report, providers) = tokio::join!(
        access_keys(ctx, &iam, users, &keys_file),
        credential_report(ctx, &iam),
        identity_providers(ctx, &iam),
    );
    match keys {
        Ok(keys) => ctx.writer.json(&rel("access-keys.json"), &keys)?,
        Err(e) => ctx.missing(&rel("access-keys.json"), &e),
    }
    match report {
        Ok(csv) => ctx.writer.bytes(&rel("credential-report.csv"), &csv)?,
        Err(e) => ctx.missing(&rel("credential-report.csv"), &e),
    }
    match providers {
        Ok(p) => ctx.writer.json(&rel("identity-providers.json"), &p)?,
        Err(e) => ctx.missing(&rel("identity-providers.json"), &e),
    }
    Ok(())
}

/// `get-account-authorization-details`, its pages merged as the CLI merges them, with policy
/// documents decoded, `PolicyName`/`PolicyId` filled where a server left them out, and each
/// role's `MaxSessionDuration` from `list-roles`.
async fn gaad(ctx: &Ctx, iam: &aws_sdk_iam::Client, file: &str) -> Result<Value, CallError> {
    const OP: &str = "iam:GetAccountAuthorizationDetails";
    let spinner = ctx.progress.spinner("IAM authorization details");
    let (mut users, mut groups, mut roles, mut policies) = (vec![], vec![], vec![], vec![]);
    let mut pages = iam
        .get_account_authorization_details()
        .into_paginator()
        .send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk(OP, e))?;
        users.extend(page.user_detail_list().iter().map(user));
        groups.extend(page.group_detail_list().iter().map(group));
        roles.extend(page.role_detail_list().iter().map(role));
        policies.extend(page.policies().iter().map(managed_policy));
    }
    spinner.finish_and_clear();
    fill_policy_names(ctx, iam, &mut policies, file).await;
    add_max_session_durations(ctx, iam, &mut roles, file).await;
    Ok(json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    }))
}

async fn fill_policy_names(
    ctx: &Ctx,
    iam: &aws_sdk_iam::Client,
    policies: &mut [Value],
    file: &str,
) {
    let unnamed: Vec<(usize, String)> = policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get("PolicyName").is_none() || p.get("PolicyId").is_none())
        .filter_map(|(i, p)| p["Arn"].as_str().map(|a| (i, a.to_string())))
        .collect();
    if unnamed.is_empty() {
        return;
    }
    let bar = ctx
        .progress
        .bar(unnamed.len() as u64, "managed policy names");
    let answers: Vec<_> = futures::stream::iter(unnamed)
        .map(|(i, arn)| {
            let bar = &bar;
            async move {
                let r = ctx.call(iam.get_policy().policy_arn(&arn).send()).await;
                bar.inc(1);
                (i, r.map_err(|e| CallError::from_sdk("iam:GetPolicy", e)))
            }
        })
        .buffer_unordered(ctx.concurrency())
        .collect()
        .await;
    bar.finish_and_clear();
    for (i, answer) in answers {
        match answer {
            Ok(out) => {
                if let (Some(policy), Some(Value::Object(entry))) =
                    (out.policy(), policies.get_mut(i))
                {
                    if let Some(name) = policy.policy_name() {
                        entry.insert("PolicyName".into(), json!(name));
                    }
                    if let Some(id) = policy.policy_id() {
                        entry.insert("PolicyId".into(), json!(id));
                    }
                }
            }
            Err(e) => ctx.missing(&format!("{file} (policy names)"), &e),
        }
    }
}

async fn add_max_session_durations(
    ctx: &Ctx,
    iam: &aws_sdk_iam::Client,
    roles: &mut [Value],
    file: &str,
) {
    let mut durations = HashMap::new();
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = ctx.call(pages.next()).await {
        match page {
            Ok(page) => {
                for r in page.roles() {
                    if let Some(d) = r.max_session_duration() {
                        durations.insert(r.arn().to_string(), d);
                    }
                }
            }
            Err(e) => {
                ctx.missing(
                    &format!("{file} (MaxSessionDuration)"),
                    &CallError::from_sdk("iam:ListRoles", e),
                );
                return;
            }
        }
    }
    for role in roles.iter_mut() {
        let arn = role["Arn"].as_str().unwrap_or_default().to_string();
        if let (Some(d), Value::Object(entry)) = (durations.get(&arn), role) {
            entry.insert("MaxSessionDuration".into(), json!(d));
        }
    }
}

fn user(u: &UserDetail) -> Value {
    Obj::new()
        .s("Path", u.path())
        .s("UserName", u.user_name())
        .s("UserId", u.user_id())
        .s("Arn", u.arn())
        .t("CreateDate", u.create_date())
        .list("UserPolicyList", u.user_policy_list(), inline)
        .strs("GroupList", u.group_list())
        .list(
            "AttachedManagedPolicies",
            u.attached_managed_policies(),
            attached,
        )
        .o(
            "PermissionsBoundary",
            u.permissions_boundary().map(boundary),
        )
        .list("Tags", u.tags(), tag)
        .build()
}

fn group(g: &GroupDetail) -> Value {
    Obj::new()
        .s("Path", g.path())
        .s("GroupName", g.group_name())
        .s("GroupId", g.group_id())
        .s("Arn", g.arn())
        .t("CreateDate", g.create_date())
        .list("GroupPolicyList", g.group_policy_list(), inline)
        .list(
            "AttachedManagedPolicies",
            g.attached_managed_policies(),
            attached,
        )
        .build()
}

fn role(r: &RoleDetail) -> Value {
    Obj::new()
        .s("Path", r.path())
        .s("RoleName", r.role_name())
        .s("RoleId", r.role_id())
        .s("Arn", r.arn())
        .t("CreateDate", r.create_date())
        .o(
            "AssumeRolePolicyDocument",
            r.assume_role_policy_document().map(policy_document),
        )
        .list(
            "InstanceProfileList",
            r.instance_profile_list(),
            instance_profile,
        )
        .list("RolePolicyList", r.role_policy_list(), inline)
        .list(
            "AttachedManagedPolicies",
            r.attached_managed_policies(),
            attached,
        )
        .o(
            "PermissionsBoundary",
            r.permissions_boundary().map(boundary),
        )
        .list("Tags", r.tags(), tag)
        .o(
            "RoleLastUsed",
            r.role_last_used().map(|l| {
                Obj::new()
                    .t("LastUsedDate", l.last_used_date())
                    .s("Region", l.region())
                    .build()
            }),
        )
        .build()
}

fn instance_profile(p: &InstanceProfile) -> Value {
    Obj::new()
        .s("Path", p.path())
        .s("InstanceProfileName", p.instance_profile_name())
        .s("InstanceProfileId", p.instance_profile_id())
        .s("Arn", p.arn())
        .t("CreateDate", p.create_date())
        .list("Roles", p.roles(), |r| {
            Obj::new()
                .s("Path", r.path())
                .s("RoleName", r.role_name())
                .s("RoleId", r.role_id())
                .s("Arn", r.arn())
                .build()
        })
        .build()
}

fn managed_policy(p: &ManagedPolicyDetail) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .s("PolicyId", p.policy_id())
        .s("Arn", p.arn())
        .s("Path", p.path())
        .s("DefaultVersionId", p.default_version_id())
        .n("AttachmentCount", p.attachment_count())
        .n(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count(),
        )
        .n("IsAttachable", p.is_attachable())
        .s("Description", p.description())
        .t("CreateDate", p.create_date())
        .t("UpdateDate", p.update_date())
        .list("PolicyVersionList", p.policy_version_list(), version)
        .build()
}

fn version(v: &PolicyVersion) -> Value {
    Obj::new()
        .o("Document", v.document().map(policy_document))
        .s("VersionId", v.version_id())
        .n("IsDefaultVersion", v.is_default_version())
        .t("CreateDate", v.create_date())
        .build()
}

fn inline(p: &PolicyDetail) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .o("PolicyDocument", p.policy_document().map(policy_document))
        .build()
}

fn attached(p: &AttachedPolicy) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .s("PolicyArn", p.policy_arn())
        .build()
}

fn boundary(b: &AttachedPermissionsBoundary) -> Value {
    Obj::new()
        .s(
            "PermissionsBoundaryType",
            b.permissions_boundary_type().map(|t| t.as_str()),
        )
        .s("PermissionsBoundaryArn", b.permissions_boundary_arn())
        .build()
}

fn tag(t: &Tag) -> Value {
    Obj::new().s("Key", t.key()).s("Value", t.value()).build()
}

/// The merged `list-access-keys` of every user, each key with its `get-access-key-last-used`.
async fn access_keys(
    ctx: &Ctx,
    iam: &aws_sdk_iam::Client,
    users: Option<Vec<String>>,
    file: &str,
) -> Result<Value, CallError> {
    let users = match users {
        Some(users) => users,
        None => {
            let mut names = vec![];
            let mut pages = iam.list_users().into_paginator().send();
            while let Some(page) = ctx.call(pages.next()).await {
                let page = page.map_err(|e| CallError::from_sdk("iam:ListUsers", e))?;
                names.extend(page.users().iter().map(|u| u.user_name().to_string()));
            }
            names
        }
    };
    let bar = ctx.progress.bar(users.len() as u64, "access keys");
    let per_user: Vec<Result<Vec<Value>, CallError>> = futures::stream::iter(users)
        .map(|name| {
            let bar = &bar;
            async move {
                let keys = user_keys(ctx, iam, &name, file).await;
                bar.inc(1);
                keys
            }
        })
        .buffered(ctx.concurrency())
        .collect()
        .await;
    bar.finish_and_clear();
    let mut all = vec![];
    for keys in per_user {
        match keys {
            Ok(keys) => all.extend(keys),
            // Keys of the other users are still worth having; the gap is recorded.
            Err(e) => ctx.missing(file, &e),
        }
    }
    Ok(json!({ "AccessKeyMetadata": all }))
}

async fn user_keys(
    ctx: &Ctx,
    iam: &aws_sdk_iam::Client,
    user: &str,
    file: &str,
) -> Result<Vec<Value>, CallError> {
    let mut keys = vec![];
    let mut pages = iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = ctx.call(pages.next()).await {
        let page = page.map_err(|e| CallError::from_sdk("iam:ListAccessKeys", e))?;
        for k in page.access_key_metadata() {
            let id = k.access_key_id().unwrap_or_default().to_string();
            let last = ctx
                .call(iam.get_access_key_last_used().access_key_id(&id).send())
                .await;
            let last_used = match last {
                Ok(out) => out.access_key_last_used().map(|l| {
                    Obj::new()
                        .t("LastUsedDate", l.last_used_date())
                        .s("ServiceName", l.service_name())
                        .s("Region", l.region())
                        .build()
                }),
                Err(e) => {
                    let e = CallError::from_sdk("iam:GetAccessKeyLastUsed", e);
                    ctx.missing(&format!("{file} (LastUsed)"), &e);
                    None
                }
            };
            keys.push(
                Obj::new()
                    .s("UserName", k.user_name().unwrap_or(user))
                    .s("AccessKeyId", id.as_str())
                    .s("Status", k.status().map(|s| s.as_str()))
                    .t("CreateDate", k.create_date())
                    .o("LastUsed", last_used)
                    .build(),
            );
        }
    }
    Ok(keys)
}

/// Generates the credential report, waits until it is complete, and returns it decoded.
async fn credential_report(ctx: &Ctx, iam: &aws_sdk_iam::Client) -> Result<Vec<u8>, CallError> {
    use aws_sdk_iam::types::ReportStateType;
    let spinner = ctx.progress.spinner("credential report");
    let mut wait = Duration::from_millis(500);
    for attempt in 0.. {
        let out = ctx
            .call(iam.generate_credential_report().send())
            .await
            .map_err(|e| CallError::from_sdk("iam:GenerateCredentialReport", e))?;
        if out.state() == Some(&ReportStateType::Complete) {
            break;
        }
        if attempt >= 40 {
            return Err(CallError {
                operation: "iam:GenerateCredentialReport",
                kind: crate::error::CallErrorKind::Other {
                    message: "the report was not complete after two minutes".into(),
                },
            });
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    let report = ctx
        .call(iam.get_credential_report().send())
        .await
        .map_err(|e| CallError::from_sdk("iam:GetCredentialReport", e))?;
    spinner.finish_and_clear();
    Ok(report
        .content()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default())
}

/// OIDC and SAML providers (`list-open-id-connect-providers` with each provider's
/// `get-open-id-connect-provider`, and `list-saml-providers`).
async fn identity_providers(ctx: &Ctx, iam: &aws_sdk_iam::Client) -> Result<Value, CallError> {
    let list = ctx
        .call(iam.list_open_id_connect_providers().send())
        .await
        .map_err(|e| CallError::from_sdk("iam:ListOpenIDConnectProviders", e))?;
    let mut oidc = vec![];
    for entry in list.open_id_connect_provider_list() {
        let Some(arn) = entry.arn() else { continue };
        let p = ctx
            .call(
                iam.get_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .send(),
            )
            .await
            .map_err(|e| CallError::from_sdk("iam:GetOpenIDConnectProvider", e))?;
        oidc.push(
            Obj::new()
                .s("Arn", arn)
                .s("Url", p.url())
                .strs("ClientIDList", p.client_id_list())
                .strs("ThumbprintList", p.thumbprint_list())
                .t("CreateDate", p.create_date())
                .build(),
        );
    }
    let saml = ctx
        .call(iam.list_saml_providers().send())
        .await
        .map_err(|e| CallError::from_sdk("iam:ListSAMLProviders", e))?;
    let saml: Vec<Value> = saml
        .saml_provider_list()
        .iter()
        .map(|p| {
            Obj::new()
                .s("Arn", p.arn())
                .t("ValidUntil", p.valid_until())
                .t("CreateDate", p.create_date())
                .build()
        })
        .collect();
    Ok(json!({ "OpenIDConnectProviderList": oidc, "SAMLProviderList": saml }))
}
