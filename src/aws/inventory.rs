//! Wire types: the JSON and CSV the AWS CLI prints, as serde reads them. Unknown fields are
//! ignored and optional fields may be missing, so that hand-made and collected snapshots of
//! different CLI versions load alike.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A timestamp as the CLI prints it: `2026-01-02T03:04:05Z` or `...+00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{text}` is not an ISO 8601 timestamp with a zone (Z or +00:00)"
                ))
            })
    }
}

/// One page (or the merged pages) of `aws iam get-account-authorization-details`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Gaad {
    #[serde(default)]
    pub user_detail_list: Vec<UserDetail>,
    #[serde(default)]
    pub group_detail_list: Vec<GroupDetail>,
    #[serde(default)]
    pub role_detail_list: Vec<RoleDetail>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicyDetail>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    #[serde(default)]
    pub policy_name: Option<String>,
    pub policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Boundary {
    pub permissions_boundary_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDetail {
    #[serde(default)]
    pub path: Option<String>,
    pub user_name: String,
    pub user_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<Timestamp>,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<Boundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDetail {
    #[serde(default)]
    pub path: Option<String>,
    pub group_name: String,
    pub group_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<Timestamp>,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    #[serde(default)]
    pub path: Option<String>,
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<Timestamp>,
    #[serde(default)]
    pub assume_role_policy_document: Option<Value>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<Boundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Not in GAAD output; present when the snapshot merged `list-roles` or was written by hand.
    #[serde(default)]
    pub max_session_duration: Option<u32>,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    #[serde(default)]
    pub policy_name: Option<String>,
    pub arn: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default)]
    pub document: Option<Value>,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub is_default_version: bool,
}

/// `access-keys.json`: the merged `aws iam list-access-keys` of every user.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeysFile {
    pub access_key_metadata: Vec<AccessKeyMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    pub user_name: String,
    pub access_key_id: String,
    pub status: KeyStatus,
    #[serde(default)]
    pub create_date: Option<Timestamp>,
    /// From `aws iam get-access-key-last-used` (its `AccessKeyLastUsed` object).
    #[serde(default, alias = "AccessKeyLastUsed")]
    pub last_used: Option<LastUsed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
    /// Listed by IAM for keys deactivated after a detected exposure.
    Expired,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LastUsed {
    #[serde(default)]
    pub last_used_date: Option<Timestamp>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// One row of the decoded credential report.
#[derive(Debug, Clone, Deserialize)]
pub struct CredentialReportRow {
    pub user: String,
    pub arn: String,
    #[serde(default)]
    pub password_enabled: Option<String>,
    #[serde(default)]
    pub password_last_used: Option<String>,
    #[serde(default)]
    pub mfa_active: Option<String>,
    #[serde(default)]
    pub access_key_1_active: Option<String>,
    #[serde(default)]
    pub access_key_1_last_used_date: Option<String>,
    #[serde(default)]
    pub access_key_2_active: Option<String>,
    #[serde(default)]
    pub access_key_2_last_used_date: Option<String>,
}

impl CredentialReportRow {
    pub fn has_password(&self) -> bool {
        self.password_enabled.as_deref() == Some("true")
    }

    pub fn has_mfa(&self) -> bool {
        self.mfa_active.as_deref() == Some("true")
    }
}

/// `aws/organizations.json`: the organisation merged from the organizations CLI outputs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrganizationsFile {
    /// `aws organizations describe-organization`'s `Organization`, for the organisation id.
    #[serde(default)]
    pub organization: Option<OrgSummary>,
    #[serde(default)]
    pub roots: Vec<OrgNode>,
    #[serde(default)]
    pub organizational_units: Vec<OrgNode>,
    #[serde(default)]
    pub accounts: Vec<OrgNode>,
    #[serde(default)]
    pub policies: Vec<OrgPolicyEntry>,
    #[serde(default)]
    pub management_account_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgSummary {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgNode {
    pub id: String,
    /// A root's ARN (`arn:aws:organizations::MGMT:root/o-xxxx/r-xxxx`) also names the
    /// organisation.
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub parent_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgPolicyEntry {
    pub policy_summary: OrgPolicySummary,
    /// The policy document: a JSON string as `describe-policy` prints it, or an object.
    pub content: Value,
    #[serde(default)]
    pub targets: Vec<OrgTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgPolicySummary {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "Type")]
    pub kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgTarget {
    pub target_id: String,
}

/// `aws/<ACCOUNT_ID>/resource-policies.json`: resource-based policies of resources the
/// account owns.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourcePoliciesFile {
    pub policies: Vec<ResourcePolicyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourcePolicyEntry {
    pub resource_arn: String,
    /// `null` or absent for a resource that has no policy (listed to record its owner).
    #[serde(default)]
    pub policy: Option<Value>,
}
