//! Policy and trust documents: the statement shapes real accounts hold (wildcards,
//! `NotAction`, conditions, boundaries, escalation enablers, OIDC trusts).

use super::rng::Rng;
use serde_json::{Value, json};

pub fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

const SERVICES: &[(&str, &[&str])] = &[
    (
        "s3",
        &["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:Get*"],
    ),
    (
        "dynamodb",
        &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:*",
        ],
    ),
    (
        "sqs",
        &["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
    ),
    ("sns", &["sns:Publish", "sns:Subscribe"]),
    (
        "logs",
        &["logs:CreateLogStream", "logs:PutLogEvents", "logs:*"],
    ),
    (
        "kms",
        &["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"],
    ),
    (
        "secretsmanager",
        &[
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        ],
    ),
    (
        "ec2",
        &["ec2:Describe*", "ec2:StartInstances", "ec2:StopInstances"],
    ),
    ("lambda", &["lambda:InvokeFunction", "lambda:GetFunction"]),
    (
        "cloudwatch",
        &["cloudwatch:PutMetricData", "cloudwatch:Get*"],
    ),
];

fn resource(service: &str, account: &str, name: &str) -> String {
    match service {
        "s3" => format!("arn:aws:s3:::example-{name}/*"),
        "dynamodb" => format!("arn:aws:dynamodb:us-east-1:{account}:table/{name}*"),
        "sqs" => format!("arn:aws:sqs:*:{account}:{name}-*"),
        "sns" => format!("arn:aws:sns:us-east-1:{account}:{name}"),
        "logs" => format!("arn:aws:logs:*:{account}:log-group:/app/{name}:*"),
        "kms" => format!("arn:aws:kms:us-east-1:{account}:key/*"),
        "secretsmanager" => format!("arn:aws:secretsmanager:*:{account}:secret:{name}/*"),
        "lambda" => format!("arn:aws:lambda:*:{account}:function:{name}-*"),
        _ => "*".to_string(),
    }
}

/// An application's permissions: a few services on its own resources, sometimes conditional.
pub fn app_statements(rng: &mut Rng, account: &str, name: &str) -> Vec<Value> {
    let count = 1 + rng.below(4);
    (0..count)
        .map(|_| {
            let (service, actions) = SERVICES[rng.below(SERVICES.len())];
            let action: Vec<&str> = (0..1 + rng.below(3))
                .map(|_| actions[rng.below(actions.len())])
                .collect();
            let mut s = json!({"Effect": "Allow", "Action": action, "Resource": resource(service, account, name)});
            if rng.chance(0.15) {
                s["Condition"] = condition(rng);
            }
            s
        })
        .collect()
}

/// A condition of the kinds real policies carry; most cannot be decided from a snapshot.
pub fn condition(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => json!({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}),
        1 => json!({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "198.51.100.0/24"]}}),
        2 => json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        3 => json!({"StringEquals": {"aws:PrincipalTag/team": "payments"}}),
        _ => json!({"StringEquals": {"aws:SourceVpce": "vpce-0example1234567"}}),
    }
}

/// The techniques of `policies/aws` that a careless grant enables.
pub fn escalation_statement(rng: &mut Rng, account: &str) -> Value {
    let actions: &[&str] = match rng.below(8) {
        0 => &["iam:CreateAccessKey"],
        1 => &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        2 => &["iam:AttachUserPolicy"],
        3 => &["iam:CreatePolicyVersion"],
        4 => &["iam:UpdateAssumeRolePolicy"],
        5 => &["iam:PutRolePolicy"],
        6 => &["iam:PassRole", "ec2:RunInstances"],
        _ => &["iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
    };
    let resource = if rng.chance(0.5) {
        "*".to_string()
    } else {
        format!("arn:aws:iam::{account}:*")
    };
    json!({"Sid": "Escalation", "Effect": "Allow", "Action": actions, "Resource": resource})
}

/// Everything except IAM and Organizations: the classic "power user".
pub fn power_user() -> Value {
    doc(vec![
        json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}),
        json!({"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles", "iam:GetRole"], "Resource": "*"}),
    ])
}

/// A permission boundary for developer-created roles: broad data access, no IAM writes.
pub fn boundary() -> Value {
    doc(vec![
        json!({"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "sqs:*", "sns:*", "logs:*", "lambda:*", "cloudwatch:*", "sts:AssumeRole", "kms:Decrypt"], "Resource": "*"}),
        json!({"Effect": "Deny", "Action": ["iam:*User*", "iam:*Policy*", "iam:*AccessKey*"], "Resource": "*"}),
    ])
}

pub fn administrator_access() -> Value {
    doc(vec![
        json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    ])
}

pub fn read_only_access() -> Value {
    doc(vec![json!({"Effect": "Allow", "Action": [
        "*:Describe*", "*:Get*", "*:List*", "s3:GetObject", "cloudwatch:*"
    ], "Resource": "*"})])
}

/// A trust policy: one statement per principal block, each with its own condition.
pub fn trust(statements: Vec<Value>) -> Value {
    doc(statements)
}

pub fn trust_aws(principals: Vec<String>, condition: Option<Value>) -> Value {
    let mut s =
        json!({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"});
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

pub fn trust_service(service: &str) -> Value {
    json!({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
}

/// GitHub Actions through the account's OIDC provider, with or without a `sub` condition.
pub fn trust_github(account: &str, repo: Option<&str>) -> Value {
    let provider = "token.actions.githubusercontent.com";
    let mut condition = json!({"StringEquals": {format!("{provider}:aud"): "sts.amazonaws.com"}});
    if let Some(repo) = repo {
        condition["StringLike"] = json!({format!("{provider}:sub"): format!("repo:example-org/{repo}:ref:refs/heads/main")});
    }
    json!({"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{account}:oidc-provider/{provider}")},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})
}

pub fn assume(resources: Vec<String>) -> Value {
    json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resources})
}
