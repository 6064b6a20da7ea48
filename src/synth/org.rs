//! `aws/organizations.json`: the tree of the plan and its SCPs (the default FullAWSAccess, a
//! guard on leaving the organisation, a region lock with `NotAction`, protection of the
//! break-glass role, a sandbox that may not touch IAM users).

use super::documents::doc;
use super::plan::OrgPlan;
use serde_json::{Value, json};

fn policy(id: &str, name: &str, document: Value, targets: &[(&str, &str)]) -> Value {
    let targets: Vec<Value> = targets
        .iter()
        .map(|(id, kind)| json!({"TargetId": id, "Type": kind}))
        .collect();
    json!({"PolicySummary": {"Id": id, "Name": name, "Type": "SERVICE_CONTROL_POLICY"},
        "Content": document.to_string(), "Targets": targets})
}

pub fn organizations(plan: &OrgPlan) -> Value {
    let root = plan.root_id.as_str();
    let ous: Vec<Value> = plan
        .ous
        .iter()
        .map(|(id, name, parent)| json!({"Id": id, "Name": name, "ParentId": parent}))
        .collect();
    let accounts: Vec<Value> = plan
        .accounts
        .iter()
        .map(|a| json!({"Id": a.id, "Name": a.name, "ParentId": a.parent}))
        .collect();
    // AWS attaches FullAWSAccess to every root, OU and account: an SCP must allow at each level.
    let mut everywhere: Vec<(&str, &str)> = vec![(root, "ROOT")];
    everywhere.extend(
        plan.ous
            .iter()
            .map(|(id, _, _)| (id.as_str(), "ORGANIZATIONAL_UNIT")),
    );
    everywhere.extend(plan.accounts.iter().map(|a| (a.id.as_str(), "ACCOUNT")));
    let workloads = "ou-exam-workloads";
    let sandbox = "ou-exam-sandbox";
    let policies = vec![
        policy(
            "p-FullAWSAccess",
            "FullAWSAccess",
            doc(vec![
                json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            ]),
            &everywhere,
        ),
        policy(
            "p-exam-noleave",
            "deny-leave-organization",
            doc(vec![
                json!({"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "account:CloseAccount"], "Resource": "*"}),
            ]),
            &[(root, "ROOT")],
        ),
        policy(
            "p-exam-regions",
            "region-lock",
            doc(vec![json!({"Effect": "Deny",
                "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*", "cloudfront:*", "route53:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}})]),
            &[(workloads, "ORGANIZATIONAL_UNIT")],
        ),
        policy(
            "p-exam-glass",
            "protect-break-glass",
            doc(vec![json!({"Effect": "Deny",
                "Action": ["iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
                "Resource": "arn:aws:iam::*:role/break-glass",
                "Condition": {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}})]),
            &[
                (workloads, "ORGANIZATIONAL_UNIT"),
                ("ou-exam-infra", "ORGANIZATIONAL_UNIT"),
            ],
        ),
        policy(
            "p-exam-sandbox",
            "sandbox-no-iam-users",
            doc(vec![
                json!({"Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"}),
            ]),
            &[(sandbox, "ORGANIZATIONAL_UNIT")],
        ),
    ];
    json!({
        "Organization": {"Id": plan.org_id},
        "ManagementAccountId": plan.management_id,
        "Roots": [{"Id": root, "Arn": format!("arn:aws:organizations::{}:root/{}/{root}", plan.management_id, plan.org_id), "Name": "Root"}],
        "OrganizationalUnits": ous,
        "Accounts": accounts,
        "Policies": policies,
    })
}
