//! Rules as written in `policies/<cloud>/*.toml`: the serde shape, checked into [`super::Rule`].

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rule: Vec<RuleSyntax>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// `user`, `role`, `group`, `self`, `own-group`, `own-policy`.
    pub target: String,
    /// Who can use the technique: `user`, `role`, or either when absent.
    #[serde(default)]
    pub actor: Option<String>,
    /// `act-as`, `admin`, `join`.
    pub gives: String,
    pub permissions: Vec<PermissionSyntax>,
    #[serde(default)]
    pub target_filter: TargetFilterSyntax,
    #[serde(default)]
    pub requires: Vec<RequirementSyntax>,
    #[serde(default)]
    pub persistence: Vec<String>,
    #[serde(default)]
    pub audit: AuditSyntax,
    #[serde(default)]
    pub example: Vec<ExampleSyntax>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSyntax {
    pub action: String,
    /// Resource template: `{target.arn}`, `{self.arn}`, `{account}`, `{region}`; `*` parts
    /// stand for names the holder picks.
    pub resource: String,
    /// Condition keys the request carries (`iam:PassedToService`).
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// The technique itself supplies the allow (a trust it rewrote names the actor): the
    /// permission only must not be explicitly denied.
    #[serde(default)]
    pub unless_denied: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFilterSyntax {
    /// Users: has a console password (`true`: UpdateLoginProfile) or not (`false`:
    /// CreateLoginProfile). Unknown without a credential report: conditional.
    pub console_password: Option<bool>,
    /// Roles: the trust policy lets this service assume the role.
    pub trusts_service: Option<String>,
    /// Roles: the actor can already assume the role (edit it, then use it).
    pub assumable: Option<bool>,
    /// Own policies: another version exists to switch to.
    pub other_version: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementSyntax {
    /// An inventory kind (`ec2-instances`, `lambda-functions`, ...).
    pub inventory: String,
    /// For people: what must exist.
    pub what: String,
    /// Whether an item must run as the target role (directly or by instance profile).
    #[serde(default)]
    pub runs_as_target: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSyntax {
    /// CloudTrail event names to look for after an exposure.
    #[serde(default)]
    pub cloudtrail: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSyntax {
    pub name: String,
    /// Statements of the actor's inline policy (JSON objects written as TOML tables).
    #[serde(default)]
    pub allow: Vec<ExampleStatement>,
    #[serde(default)]
    pub deny: Vec<ExampleStatement>,
    /// Facts about the example's target.
    #[serde(default)]
    pub target_password: Option<bool>,
    #[serde(default)]
    pub target_trusts: Option<String>,
    #[serde(default)]
    pub other_version: Option<bool>,
    /// Whether the actor is a role (default: a user).
    #[serde(default)]
    pub actor_is_role: bool,
    /// Whether the actor (a user) is a member of the example's group.
    #[serde(default)]
    pub in_group: bool,
    /// Inventories present, as kind = [runs-as target?] ("with" / "without").
    #[serde(default)]
    pub inventory: BTreeMap<String, String>,
    /// `definite`, `conditional` or `none`.
    pub expect: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleStatement {
    pub action: Vec<String>,
    pub resource: Vec<String>,
    #[serde(default)]
    pub condition: Option<toml::Value>,
}
