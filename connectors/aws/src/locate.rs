//! `locate AKIA...`: which account owns an access key (`sts:GetAccessKeyInfo`) and, in the
//! analyst's own account, which user and when it was last used
//! (`iam:GetAccessKeyLastUsed`).

use crate::collect::{caller, fatal};
use crate::config;
use crate::error::{CallError, Error};
use crate::json::time;

#[derive(Debug, Clone)]
pub struct LocateOptions {
    /// The access key id (`AKIA...` or `ASIA...`), already checked by the caller.
    pub key_id: String,
    pub profile: Option<String>,
}

#[derive(Debug, Clone)]
pub struct KeyLocation {
    pub key_id: String,
    /// The account that owns the key, as STS says.
    pub account: String,
    /// The account of the analyst's credentials.
    pub caller_account: String,
    /// The IAM user the key belongs to, when IAM said.
    pub user: Option<String>,
    pub last_use: Option<LastUse>,
    /// What could not be found out, and why.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUse {
    pub date: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
}

pub async fn locate(options: &LocateOptions) -> Result<KeyLocation, Error> {
    let sdk = config::load(options.profile.as_deref()).await;
    let me = caller(&sdk).await?;
    let info = config::sts(&sdk)
        .get_access_key_info()
        .access_key_id(&options.key_id)
        .send()
        .await
        .map_err(|e| fatal(&sdk, "sts", CallError::from_sdk("sts:GetAccessKeyInfo", e)))?;
    let account = info.account().unwrap_or_default().to_string();
    let mut location = KeyLocation {
        key_id: options.key_id.clone(),
        account: account.clone(),
        caller_account: me.account.clone(),
        user: None,
        last_use: None,
        notes: vec![],
    };
    if options.key_id.starts_with("ASIA") {
        location.notes.push(
            "ASIA... is a temporary key of a role session or session token: it has no IAM user, and its use is in CloudTrail".into(),
        );
        return Ok(location);
    }
    if account != me.account {
        location.notes.push(format!(
            "the key belongs to account {account}, not to the account of your credentials ({}): run `blastmap locate` with credentials of {account} to learn its user",
            me.account
        ));
        return Ok(location);
    }
    match config::iam_probe(&sdk)
        .get_access_key_last_used()
        .access_key_id(&options.key_id)
        .send()
        .await
    {
        Ok(out) => {
            location.user = out.user_name().map(str::to_string);
            location.last_use = out.access_key_last_used().map(|l| LastUse {
                date: l.last_used_date().map(time),
                service: Some(l.service_name().to_string()).filter(|s| s != "N/A"),
                region: Some(l.region().to_string()).filter(|s| s != "N/A"),
            });
        }
        Err(e) => {
            let e = CallError::from_sdk("iam:GetAccessKeyLastUsed", e);
            if e.is_unreachable() {
                return Err(fatal(&sdk, "iam", e));
            }
            location.notes.push(match e.code() {
                Some("NoSuchEntity") => format!(
                    "IAM of account {account} has no such key: it was deleted, or it is not a key of this account (STS names the caller's account for keys it does not know)"
                ),
                _ => format!("cannot learn the key's user: {}", e.reason()),
            });
        }
    }
    Ok(location)
}
