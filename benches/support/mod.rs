//! A generated account shared by the benchmarks.

use blastmap::aws::inventory::Gaad;
use blastmap::aws::load::{SourceFile, account_from_gaad};
use blastmap::aws::model::Account;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

pub const ACCOUNT: &str = "210987654321";

/// `users` users in `users / 10` groups, `roles` roles trusting the account, users or services,
/// policies that allow assuming some roles, a few admins and escalation enablers.
pub fn account(users: usize, roles: usize) -> Account {
    let arn = |kind: &str, name: String| format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}");
    let groups = (users / 10).max(1);
    let doc = |statements: Vec<Value>| json!({"Version": "2012-10-17", "Statement": statements});
    let user_list: Vec<Value> = (0..users)
        .map(|i| {
            let mut statements = vec![json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": format!("arn:aws:s3:::bucket-{}/*", i % 50)})];
            statements.push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", format!("app-{}-*", i % 20))}));
            if i % 97 == 0 {
                statements.push(json!({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}));
            }
            if i % 131 == 0 {
                statements.push(json!({"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}));
            }
            json!({"UserName": format!("user-{i}"), "UserId": format!("AIDAEXAMPLE{i:09}"), "Arn": arn("user", format!("user-{i}")),
                "GroupList": [format!("group-{}", i % groups)],
                "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": doc(statements)}]})
        })
        .collect();
    let group_list: Vec<Value> = (0..groups)
        .map(|g| {
            let mut statements = vec![json!({"Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:Get*"], "Resource": "*"})];
            if g == 0 {
                statements.push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
            }
            json!({"GroupName": format!("group-{g}"), "GroupId": format!("AGPAEXAMPLE{g:09}"), "Arn": arn("group", format!("group-{g}")),
                "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": doc(statements)}]})
        })
        .collect();
    let role_list: Vec<Value> = (0..roles)
        .map(|r| {
            let principal = match r % 4 {
                0 => json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
                1 => json!({"AWS": arn("user", format!("user-{}", r % users.max(1)))}),
                2 => json!({"Service": "lambda.amazonaws.com"}),
                _ => json!({"AWS": arn("role", format!("app-{}-{}", (r + 1) % 20, r / 20))}),
            };
            let mut statements = vec![json!({"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": format!("arn:aws:dynamodb:*:{ACCOUNT}:table/t-{}", r % 30)})];
            statements.push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", format!("app-{}-*", (r + 3) % 20))}));
            json!({"RoleName": format!("app-{}-{}", r % 20, r / 20), "RoleId": format!("AROAEXAMPLE{r:09}"), "Arn": arn("role", format!("app-{}-{}", r % 20, r / 20)), "Path": "/",
                "AssumeRolePolicyDocument": doc(vec![json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})]),
                "RolePolicyList": [{"PolicyName": "r", "PolicyDocument": doc(statements)}]})
        })
        .collect();
    let gaad = json!({"UserDetailList": user_list, "GroupDetailList": group_list, "RoleDetailList": role_list});
    let gaad: Gaad = serde_json::from_value(gaad).unwrap_or_default();
    let file = SourceFile {
        disk: Path::new("bench.json"),
        relative: Arc::from("bench.json"),
    };
    match account_from_gaad(ACCOUNT, &file, vec![(String::new(), gaad)]) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("the generated account does not load: {e}");
            std::process::exit(1);
        }
    }
}
