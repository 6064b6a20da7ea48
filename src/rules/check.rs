//! `blastmap rules check`: every rule well formed (done when loading) and every example
//! behaving: each builds a one-account snapshot around an actor, lowers it with the rule
//! alone, and compares the edge the rule creates with what the example expects.

use super::{ExampleStatement, Gives, Rule, RuleSet, Target};
use crate::graph::{Graph, NodeId, Reach};
use crate::snapshot::Snapshot;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const ACCOUNT: &str = "123456789012";

/// One example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rule: String,
    pub example: String,
    pub message: String,
}

/// Runs every example of every rule; returns the failures and how many examples ran.
pub fn check(rules: &RuleSet) -> (Vec<Failure>, usize) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for rule in &rules.rules {
        for example in &rule.examples {
            ran += 1;
            let got = match run_example(rule, example) {
                Ok(got) => got,
                Err(message) => {
                    failures.push(Failure {
                        rule: rule.id.clone(),
                        example: example.name.clone(),
                        message,
                    });
                    continue;
                }
            };
            if got != example.expect {
                failures.push(Failure {
                    rule: rule.id.clone(),
                    example: example.name.clone(),
                    message: format!("expected {}, got {got}", example.expect),
                });
            }
        }
    }
    (failures, ran)
}

fn statement(effect: &str, s: &ExampleStatement) -> Value {
    let mut v = json!({"Effect": effect, "Action": s.action, "Resource": s.resource});
    if let Some(condition) = &s.condition {
        if let Ok(c) = serde_json::to_value(condition) {
            v["Condition"] = c;
        }
    }
    v
}

/// The reach of the edge the rule creates from the example's actor: `definite`,
/// `conditional`, or `none`.
fn run_example(rule: &Rule, example: &super::ExampleSyntax) -> Result<String, String> {
    let dir = TempDir::new().map_err(|e| format!("cannot make a temporary snapshot: {e}"))?;
    let account_dir = dir.path.join("aws").join(ACCOUNT);
    std::fs::create_dir_all(&account_dir).map_err(|e| e.to_string())?;
    let arn = |kind: &str, name: &str| format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}");
    let mut statements: Vec<Value> = example
        .allow
        .iter()
        .map(|s| statement("Allow", s))
        .collect();
    statements.extend(example.deny.iter().map(|s| statement("Deny", s)));
    let actor_policy = json!([{"PolicyName": "actor-inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]);
    let own_policy = arn("policy", "actor-policy");
    let attached = json!([{"PolicyName": "actor-policy", "PolicyArn": own_policy}]);
    let root_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]});
    let target_trust = match &example.target_trusts {
        Some(service) => {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        }
        None => root_trust.clone(),
    };
    let mut users = vec![
        json!({"UserName": "target", "UserId": "AIDAEXAMPLETARGET001", "Arn": arn("user", "target"), "GroupList": []}),
    ];
    let mut roles = vec![
        json!({"RoleName": "target-role", "RoleId": "AROAEXAMPLETARGET001", "Arn": arn("role", "target-role"), "Path": "/",
        "AssumeRolePolicyDocument": target_trust,
        "InstanceProfileList": [{"Arn": arn("instance-profile", "target-role")}]}),
    ];
    if example.actor_is_role {
        roles.push(json!({"RoleName": "actor", "RoleId": "AROAEXAMPLEACTOR0001", "Arn": arn("role", "actor"), "Path": "/",
            "AssumeRolePolicyDocument": root_trust, "RolePolicyList": actor_policy, "AttachedManagedPolicies": attached}));
    } else {
        let groups: Vec<&str> = if example.in_group {
            vec!["target-group"]
        } else {
            vec![]
        };
        users.push(json!({"UserName": "actor", "UserId": "AIDAEXAMPLEACTOR0001", "Arn": arn("user", "actor"),
            "UserPolicyList": actor_policy, "AttachedManagedPolicies": attached, "GroupList": groups}));
    }
    let mut versions = vec![
        json!({"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}}),
    ];
    if example.other_version == Some(true) {
        versions.push(json!({"VersionId": "v2", "IsDefaultVersion": false, "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}));
    }
    // A group to join is worth joining: it allows everything. A group the actor is in already
    // allows little, or the actor would be an administrator before any technique.
    let group_grant = if example.in_group {
        json!({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    } else {
        json!({"Effect": "Allow", "Action": "*", "Resource": "*"})
    };
    let gaad = json!({
        "UserDetailList": users,
        "RoleDetailList": roles,
        "GroupDetailList": [{"GroupName": "target-group", "GroupId": "AGPAEXAMPLEGROUP0001", "Arn": arn("group", "target-group"),
            "GroupPolicyList": [{"PolicyName": "group", "PolicyDocument": {"Version": "2012-10-17", "Statement": [group_grant]}}]}],
        "Policies": [{"PolicyName": "actor-policy", "Arn": own_policy, "DefaultVersionId": "v1", "PolicyVersionList": versions}],
    });
    write(&account_dir.join("gaad.json"), &gaad)?;
    if let Some(password) = example.target_password {
        let csv = format!(
            "user,arn,password_enabled,mfa_active\ntarget,{},{password},false\nactor,{},false,false\n",
            arn("user", "target"),
            arn("user", "actor")
        );
        std::fs::write(account_dir.join("credential-report.csv"), csv)
            .map_err(|e| e.to_string())?;
    }
    for (kind, presence) in &example.inventory {
        let runs_as = match presence.as_str() {
            "with" if kind == "ec2-instances" => arn("instance-profile", "target-role"),
            "with" => arn("role", "target-role"),
            _ => arn("role", "someone-else"),
        };
        let file = inventory_document(kind, &runs_as)?;
        write(&account_dir.join(format!("{kind}.json")), &file)?;
    }

    let snapshot = Snapshot::open(&dir.path)
        .map_err(|e| format!("the example's snapshot does not load: {e}"))?;
    let mut graph = Graph::new();
    crate::aws::lower::lower(
        &snapshot.aws_accounts,
        None,
        std::slice::from_ref(rule),
        &mut graph,
    );
    let actor = graph
        .find_key(&arn(
            if example.actor_is_role {
                "role"
            } else {
                "user"
            },
            "actor",
        ))
        .ok_or("the example's actor is missing")?;
    let target = match (rule.target, rule.gives) {
        (_, Gives::Admin) => graph.find_key(&format!("aws:account:{ACCOUNT}")),
        (Target::User, _) => graph.find_key(&arn("user", "target")),
        (Target::Role, _) => graph.find_key(&arn("role", "target-role")),
        (Target::Group, _) => graph.find_key(&arn("group", "target-group")),
        _ => None,
    }
    .ok_or("the example's target is missing")?;
    Ok(reach_of(&graph, actor, target, &rule.id))
}

fn reach_of(graph: &Graph, from: NodeId, to: NodeId, rule: &str) -> String {
    let best = graph
        .out_edges(from)
        .filter(|(e, t)| *t == to && graph.edge(*e).evidence.rule.as_deref() == Some(rule))
        .map(|(e, _)| graph.edge(e).reach)
        .min();
    match best {
        Some(Reach::Definite) => "definite".into(),
        Some(Reach::Conditional) => "conditional".into(),
        None => "none".into(),
    }
}

fn inventory_document(kind: &str, runs_as: &str) -> Result<Value, String> {
    Ok(match kind {
        "ec2-instances" => {
            json!({"Reservations": [{"Instances": [{"InstanceId": "i-0example", "IamInstanceProfile": {"Arn": runs_as}}]}]})
        }
        "lambda-functions" => {
            json!({"Functions": [{"FunctionArn": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"), "Role": runs_as}]})
        }
        "glue-dev-endpoints" => {
            json!({"DevEndpoints": [{"EndpointName": "e", "RoleArn": runs_as}]})
        }
        "sagemaker-notebooks" => {
            json!({"NotebookInstances": [{"NotebookInstanceArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/n"), "RoleArn": runs_as}]})
        }
        "cloudformation-stacks" => {
            json!({"Stacks": [{"StackId": format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/s/1"), "RoleARN": runs_as}]})
        }
        "codebuild-projects" => {
            json!({"projects": [{"arn": format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/p"), "serviceRole": runs_as}]})
        }
        other => return Err(format!("unknown inventory `{other}` in an example")),
    })
}

fn write(path: &Path, value: &Value) -> Result<(), String> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A directory removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("blastmap-rules-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
