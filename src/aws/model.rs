//! One AWS account as the analyzer sees it: inventory with every policy document parsed.

use super::inventory::{CredentialReportRow, KeyStatus, LastUsed, Timestamp};
use super::policy::Policy;
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct Account {
    pub id: String,
    /// `aws/<ACCOUNT_ID>/gaad.json`, relative to the snapshot root.
    pub gaad_file: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    /// Managed policies by ARN, default version only.
    pub managed: HashMap<String, Policy>,
    /// How many versions each managed policy has (SetDefaultPolicyVersion needs another one).
    pub policy_versions: HashMap<String, usize>,
    /// Managed policies with a non-default version that allows every action on every resource
    /// (switching to it with SetDefaultPolicyVersion makes an administrator).
    pub permissive_versions: std::collections::HashSet<String>,
    /// Inventories of resources escalation techniques need, by kind (`lambda-functions`);
    /// a kind the snapshot did not collect has no entry.
    pub inventories: HashMap<&'static str, Vec<InventoryItem>>,
    pub keys: Vec<AccessKey>,
    /// Credential report rows by user name; `None` when the report is not in the snapshot.
    pub credential_report: Option<HashMap<String, CredentialReportRow>>,
    pub has_access_keys: bool,
    /// Resource-based policies of the account's resources by ARN; `None` when the snapshot
    /// does not hold them.
    pub resource_policies: Option<Vec<(String, Policy)>>,
    /// Resources listed in resource-policies.json with no policy: owned by the account.
    pub resources_without_policy: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct User {
    /// JSON pointer of the entity in the GAAD file.
    pub pointer: String,
    pub name: String,
    pub id: String,
    pub arn: String,
    pub inline: Vec<Policy>,
    pub groups: Vec<String>,
    pub attached: Vec<String>,
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    pub created: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct Group {
    /// JSON pointer of the entity in the GAAD file.
    pub pointer: String,
    pub name: String,
    pub id: String,
    pub arn: String,
    pub inline: Vec<Policy>,
    pub attached: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Role {
    /// JSON pointer of the entity in the GAAD file.
    pub pointer: String,
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    pub inline: Vec<Policy>,
    pub attached: Vec<String>,
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    pub trust: Option<Policy>,
    pub max_session_duration: Option<u32>,
    /// Instance profiles that carry the role to EC2.
    pub instance_profiles: Vec<String>,
}

impl Role {
    /// Service-linked roles live under `/aws-service-role/` and only their service assumes them.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

#[derive(Debug, Clone)]
pub struct AccessKey {
    pub id: String,
    /// JSON pointer of the key in `access-keys.json`.
    pub pointer: String,
    pub user: String,
    pub status: KeyStatus,
    pub created: Option<Timestamp>,
    pub last_used: Option<LastUsed>,
}

/// One resource of an inventory: its id and the role it runs with (directly, or through an
/// instance profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryItem {
    pub id: String,
    /// Role ARN, or instance-profile ARN for EC2 instances.
    pub runs_as: Option<String>,
}
