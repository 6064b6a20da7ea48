//! Building the graph of a generated account, with and without the escalation rules: the
//! rules must not dominate the build. Run with `cargo bench --bench build`.

use blastmap::aws::inventory::Gaad;
use blastmap::aws::load::{SourceFile, account_from_gaad};
use blastmap::aws::model::Account;
use blastmap::graph::Graph;
use blastmap::rules::RuleSet;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const ACCOUNT: &str = "210987654321";

fn main() {
    if std::env::var_os("BLASTMAP_BENCH_COUNT").is_some() {
        let accounts = vec![account(600, 600)];
        let rules = RuleSet::builtin().map(|r| r.rules).unwrap_or_default();
        for (name, rules) in [("without", &[][..]), ("with", &rules[..])] {
            let mut graph = Graph::new();
            blastmap::aws::lower::lower(&accounts, None, rules, &mut graph);
            let mut by_kind = std::collections::BTreeMap::new();
            for id in graph.node_ids() {
                for (e, _) in graph.out_edges(id) {
                    let edge = graph.edge(e);
                    *by_kind
                        .entry(format!(
                            "{} {}",
                            edge.kind.as_str(),
                            edge.evidence.rule.clone().unwrap_or_default()
                        ))
                        .or_insert(0) += 1;
                }
            }
            eprintln!(
                "{name}: {} nodes, {} edges: {by_kind:?}",
                graph.node_count(),
                graph.edge_count()
            );
        }
        return;
    }
    divan::main();
}

/// `users` users in `users / 10` groups, `roles` roles trusting the account, users or services,
/// policies that allow assuming some roles, a few admins and escalation enablers.
fn account(users: usize, roles: usize) -> Account {
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

#[divan::bench(args = [200, 600])]
fn lower_without_rules(bencher: divan::Bencher, size: usize) {
    let accounts = vec![account(size, size)];
    bencher.bench_local(|| {
        let mut graph = Graph::new();
        blastmap::aws::lower::lower(&accounts, None, &[], &mut graph);
        divan::black_box(graph.edge_count())
    });
}

#[divan::bench(args = [200, 600])]
fn lower_with_all_rules(bencher: divan::Bencher, size: usize) {
    let accounts = vec![account(size, size)];
    let rules = match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("built-in rules do not load: {e}");
            std::process::exit(1);
        }
    };
    bencher.bench_local(|| {
        let mut graph = Graph::new();
        blastmap::aws::lower::lower(&accounts, None, &rules.rules, &mut graph);
        divan::black_box(graph.edge_count())
    });
}
