//! One `can` decision for a principal with 50 attached policies of 20 statements each,
//! after loading: the cost the semantics must stay under (20 µs, see docs/performance.md).
//! Run with `cargo bench --bench can`.

use blastmap::aws::authz::Authorizer;
use blastmap::aws::inventory::Gaad;
use blastmap::aws::load::{SourceFile, account_from_gaad};
use blastmap::aws::model::Account;
use blastmap::aws::principal::{PolicyBook, Principal};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const ACCOUNT: &str = "111122223333";

fn main() {
    divan::main();
}

/// 50 managed policies of 20 statements: varied actions, resources with wildcards and
/// variables, conditions, and a few denies, none of which matches the request first.
fn account() -> Account {
    let services = [
        "s3", "ec2", "dynamodb", "sqs", "sns", "lambda", "kms", "logs", "iam", "sts",
    ];
    let mut policies = Vec::new();
    let mut attached = Vec::new();
    for p in 0..50 {
        let statements: Vec<Value> = (0..20)
            .map(|s| {
                let service = services[(p + s) % services.len()];
                let mut st = json!({
                    "Sid": format!("S{p}x{s}"),
                    "Effect": if s % 9 == 8 { "Deny" } else { "Allow" },
                    "Action": [format!("{service}:Get*"), format!("{service}:List*"), format!("{service}:Describe{s}*")],
                    "Resource": [format!("arn:aws:{service}:us-east-1:{ACCOUNT}:thing-{p}-{s}/*"), format!("arn:aws:{service}:*:{ACCOUNT}:${{aws:username}}/{s}/*")],
                });
                if s % 4 == 0 {
                    st["Condition"] = json!({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}, "Bool": {"aws:SecureTransport": "true"}});
                }
                st
            })
            .collect();
        let arn = format!("arn:aws:iam::{ACCOUNT}:policy/bench-{p}");
        attached.push(json!({"PolicyName": format!("bench-{p}"), "PolicyArn": arn}));
        policies.push(json!({
            "PolicyName": format!("bench-{p}"), "Arn": arn, "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": {"Version": "2012-10-17", "Statement": statements}}]
        }));
    }
    let gaad = json!({
        "UserDetailList": [{"UserName": "bench", "UserId": "AIDAEXAMPLEBENCH0001", "Arn": format!("arn:aws:iam::{ACCOUNT}:user/bench"),
            "AttachedManagedPolicies": attached}],
        "Policies": policies,
    });
    let gaad: Gaad = serde_json::from_value(gaad).unwrap_or_default();
    let file = SourceFile {
        disk: Path::new("bench.json"),
        relative: Arc::from("bench.json"),
    };
    match account_from_gaad(ACCOUNT, &file, vec![(String::new(), gaad)]) {
        Ok(account) => account,
        Err(e) => {
            eprintln!("benchmark account does not load: {e}");
            std::process::exit(1);
        }
    }
}

#[divan::bench]
fn can_decision_50_policies_x_20_statements(bencher: divan::Bencher) {
    let accounts = vec![std::sync::Arc::new(account())];
    let book = PolicyBook::new(&accounts);
    let principal = Principal::user(&accounts[0], &accounts[0].users[0], &book);
    let authz = Authorizer::new(&accounts, None);
    let resource = format!("arn:aws:s3:us-east-1:{ACCOUNT}:bench/7/object");
    bencher.bench_local(|| {
        let d = authz.decide(
            &principal,
            "s3:GetObject",
            divan::black_box(&resource),
            None,
        );
        divan::black_box(d.value)
    });
}
