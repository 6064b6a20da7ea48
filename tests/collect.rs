//! `blastmap collect aws` against moto's server mode: a realistic account is created through
//! the API, collected, loaded, and analysed; the radius must equal the radius of the same
//! account written by hand, and every request the collection sent must be a read.

use crate::moto::{self, aws_env, operation, run_with_env};
use crate::support::{radius_json, read_json};
use blastmap::snapshot::Snapshot;
use serde_json::Value;
use std::path::Path;

const ACCOUNT: &str = "123456789012";

fn collect(moto: &moto::Moto, out: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "collect",
        "aws",
        "--out",
        out.to_str().unwrap(),
        "--regions",
        "us-east-1",
    ];
    args.extend_from_slice(extra);
    run_with_env(&args, &moto.env())
}

/// The parts of a radius that do not depend on file layout: which nodes are reached, how
/// (definite or conditional, in how many hops, along which edges), and the evidence by
/// policy and statement rather than by JSON pointer.
fn normalized(doc: &Value) -> Value {
    let mut nodes: Vec<Value> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let path: Vec<Value> = n["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let evidence: Vec<Value> = s["evidence"]
                        .as_array()
                        .map(|e| {
                            e.iter()
                                .map(|e| serde_json::json!([e["policy"], e["sid"], e["effect"]]))
                                .collect()
                        })
                        .unwrap_or_default();
                    serde_json::json!({
                        "from": s["from"], "to": s["to"], "edge": s["edge"], "reach": s["reach"],
                        "mechanism": s["mechanism"], "evidence": evidence, "notes": s["notes"],
                    })
                })
                .collect();
            let mut attrs = n["attrs"].clone();
            if let Some(a) = attrs.as_object_mut() {
                // Ids are random in moto; the credential report exists only when collected.
                a.retain(|k, _| !k.ends_with("_id") && k != "console_password" && k != "mfa");
            }
            serde_json::json!({
                "id": n["id"], "kind": n["kind"], "class": n["class"], "reach": n["reach"],
                "hops": n["hops"], "attrs": attrs, "path": path,
            })
        })
        .collect();
    nodes.sort_by_key(|n| n["id"].to_string());
    serde_json::json!({
        "from": doc["from"]["id"], "admin": doc["admin"], "admin_accounts": doc["admin_accounts"],
        "counts": doc["counts"], "nodes": nodes,
    })
}

fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(all_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Equality with a short message: the first node that differs, not two whole documents.
fn assert_same(collected: &Value, by_hand: &Value, start: &str) {
    if collected == by_hand {
        return;
    }
    let index = |doc: &Value| -> std::collections::BTreeMap<String, Value> {
        doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["id"].to_string(), n.clone()))
            .collect()
    };
    let (a, b) = (index(collected), index(by_hand));
    let only_collected: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_by_hand: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    let differing = a.iter().find(|(k, v)| b.get(*k).is_some_and(|w| w != *v));
    panic!(
        "radius from {start} differs\nonly collected: {only_collected:?}\nonly by hand: {only_by_hand:?}\nfirst differing node: collected {}\n by hand {}\nsummary: {} vs {}",
        differing.map(|(_, v)| v.to_string()).unwrap_or_default(),
        differing
            .and_then(|(k, _)| b.get(k))
            .map(|v| v.to_string())
            .unwrap_or_default(),
        serde_json::json!([collected["admin"], collected["counts"]]),
        serde_json::json!([by_hand["admin"], by_hand["counts"]]),
    );
}

#[test]
fn a_collected_account_has_the_radius_of_the_same_account_written_by_hand() {
    let Some(session) = moto::moto("collect_vs_handwritten") else {
        return;
    };
    let moto = session.moto;
    let tmp = tempfile::tempdir().unwrap();
    let hand = tmp.path().join("hand");
    let made = moto.script("populate.py", &[&hand]);

    // Collect the account alone, then again with its organisation and member account.
    let snap = tmp.path().join("snap");
    let org_snap = tmp.path().join("org-snap");
    moto.start_recording();
    let plain = collect(moto, &snap, &["--quiet"]);
    let member = made["member_account"].as_str().unwrap();
    let with_org = collect(
        moto,
        &org_snap,
        &["--org", "--member-role", "OrganizationAccountAccessRole"],
    );
    let requests = moto.stop_recording();
    assert_eq!(plain.code, Some(0), "{plain:#?}");
    assert!(
        plain.stderr.is_empty(),
        "--quiet prints nothing: {}",
        plain.stderr
    );
    assert_eq!(with_org.code, Some(0), "{with_org:#?}");
    assert!(
        plain.stdout.contains(&format!("account {ACCOUNT}")),
        "{}",
        plain.stdout
    );
    assert!(with_org.stdout.contains(member), "{}", with_org.stdout);

    // Read-only: every request moto received during both collections.
    assert!(
        requests.len() > 50,
        "the recording holds the collection: {}",
        requests.len()
    );
    let ops: Vec<(String, bool)> = requests.iter().map(operation).collect();
    let writes: Vec<&String> = ops
        .iter()
        .filter(|(_, read)| !read)
        .map(|(op, _)| op)
        .collect();
    assert!(
        writes.is_empty(),
        "the collector sent requests that are not reads: {writes:?}"
    );
    for expected in [
        "GetAccountAuthorizationDetails",
        "GetPolicy",
        "ListRoles",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
        "GenerateCredentialReport",
        "GetCredentialReport",
        "ListOpenIDConnectProviders",
        "GetKeyPolicy",
        "GetResourcePolicy",
        "GetQueueAttributes",
        "GetTopicAttributes",
        "DescribeInstances",
        "DescribeStacks",
        "BatchGetProjects",
        "DescribeNotebookInstance",
        "GetDevEndpoints",
        "DescribeOrganization",
        "ListTargetsForPolicy",
    ] {
        assert!(
            ops.iter().any(|(op, _)| op == expected),
            "no {expected} in {ops:?}"
        );
    }
    let assumed: Vec<&Value> = requests
        .iter()
        .filter(|r| operation(r).0 == "AssumeRole")
        .collect();
    assert_eq!(
        assumed.len(),
        1,
        "AssumeRole only into the member account, once"
    );

    // The files, in the CLI's shapes.
    let dir = snap.join("aws").join(ACCOUNT);
    let manifest = read_json(&snap.join("manifest.json"));
    assert_eq!(manifest["format_version"], 1);
    assert!(
        manifest["collector"]
            .as_str()
            .unwrap()
            .starts_with("blastmap ")
    );
    assert!(manifest["collected_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(manifest["account"], ACCOUNT);
    let sources: Vec<&str> = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for file in [
        "gaad.json",
        "access-keys.json",
        "credential-report.csv",
        "resource-policies.json",
        "identity-providers.json",
    ] {
        assert!(
            sources.contains(&format!("aws/{ACCOUNT}/{file}").as_str()),
            "{file} in {sources:?}"
        );
        assert!(dir.join(file).is_file(), "{file} written");
    }
    assert!(
        !snap.join("aws/organizations.json").exists(),
        "no organisation without --org"
    );

    let gaad = read_json(&dir.join("gaad.json"));
    for p in gaad["Policies"].as_array().unwrap() {
        assert!(
            p["PolicyName"].is_string() && p["PolicyId"].is_string(),
            "names filled: {}",
            p["Arn"]
        );
        for v in p["PolicyVersionList"].as_array().unwrap() {
            assert!(v["Document"].is_object(), "documents decoded: {}", p["Arn"]);
        }
    }
    for r in gaad["RoleDetailList"].as_array().unwrap() {
        assert!(r["AssumeRolePolicyDocument"].is_object());
        assert!(
            r["MaxSessionDuration"].is_u64(),
            "MaxSessionDuration merged from ListRoles"
        );
    }
    let deploy = gaad["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RoleName"] == "deploy")
        .unwrap();
    assert_eq!(deploy["MaxSessionDuration"], 7200);
    assert!(
        deploy["PermissionsBoundary"]["PermissionsBoundaryArn"]
            .as_str()
            .unwrap()
            .ends_with("/boundaries/deploy-boundary")
    );
    let ci = gaad["UserDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["UserName"] == "ci-deployer")
        .unwrap();
    assert!(ci["UserPolicyList"][0]["PolicyDocument"].is_object());

    let keys = read_json(&dir.join("access-keys.json"));
    let keys = keys["AccessKeyMetadata"].as_array().unwrap();
    assert_eq!(keys.len(), 4);
    assert!(
        keys.iter().all(|k| k["LastUsed"].is_object()),
        "each key with its last use"
    );
    assert!(keys.iter().any(|k| k["Status"] == "Inactive"));

    let report = std::fs::read_to_string(dir.join("credential-report.csv")).unwrap();
    assert!(report.starts_with("user,arn,"), "the decoded CSV: {report}");

    let policies = read_json(&dir.join("resource-policies.json"));
    let policies = policies["Policies"].as_array().unwrap();
    let bucket = policies
        .iter()
        .find(|p| p["ResourceArn"] == "arn:aws:s3:::acme-artifacts")
        .unwrap();
    assert_eq!(bucket["Policy"]["Statement"][0]["Sid"], "PartnerRead");
    assert!(
        policies
            .iter()
            .any(|p| p["ResourceArn"] == "arn:aws:s3:::acme-logs" && p["Policy"].is_null())
    );
    for kind in ["kms", "secretsmanager", "sqs", "sns", "lambda"] {
        assert!(
            policies.iter().any(|p| p["ResourceArn"]
                .as_str()
                .unwrap()
                .starts_with(&format!("arn:aws:{kind}:"))),
            "a {kind} resource"
        );
    }

    let regional = dir.clone();
    let ec2 = read_json(&regional.join("ec2-instances.json"));
    assert!(
        ec2["Reservations"][0]["Instances"][0]["IamInstanceProfile"]["Arn"]
            .as_str()
            .unwrap()
            .ends_with("instance-profile/ec2-app")
    );
    assert!(
        read_json(&regional.join("lambda-functions.json"))["Functions"][0]["Role"]
            .as_str()
            .unwrap()
            .ends_with("role/service/lambda-exec")
    );
    assert!(
        read_json(&regional.join("cloudformation-stacks.json"))["Stacks"][0]["RoleARN"]
            .as_str()
            .unwrap()
            .ends_with("role/ci/deploy")
    );
    assert!(
        read_json(&regional.join("codebuild-projects.json"))["projects"][0]["serviceRole"]
            .as_str()
            .unwrap()
            .ends_with("role/ci/deploy")
    );
    assert!(
        read_json(&regional.join("sagemaker-notebooks.json"))["NotebookInstances"][0]["RoleArn"]
            .as_str()
            .unwrap()
            .ends_with("role/ec2-app")
    );
    assert!(
        read_json(&regional.join("glue-dev-endpoints.json"))["DevEndpoints"][0]["RoleArn"]
            .as_str()
            .unwrap()
            .ends_with("role/ec2-app")
    );

    // Secrets stay out: function variables and build variables are not collected.
    for file in all_files(&snap).into_iter().chain(all_files(&org_snap)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for secret in [
            "hunter2-not-to-be-collected",
            "plaintext-not-to-be-collected",
            "not-a-real-secret",
        ] {
            assert!(!text.contains(secret), "{} holds a secret", file.display());
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no staging directory is left: {leftovers:?}"
    );

    // The organisation and the member account.
    let org = read_json(&org_snap.join("aws/organizations.json"));
    assert_eq!(org["ManagementAccountId"], ACCOUNT);
    let scp = org["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicySummary"]["Name"] == "deny-leave")
        .unwrap();
    assert_eq!(scp["Content"]["Statement"][0]["Effect"], "Deny");
    assert_eq!(scp["Targets"][0]["Type"], "ORGANIZATIONAL_UNIT");
    assert!(
        org["Accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["Id"] == member && a["ParentId"].as_str().unwrap().starts_with("ou-"))
    );
    assert!(
        org_snap
            .join("aws")
            .join(member)
            .join("gaad.json")
            .is_file()
    );
    let org_manifest = read_json(&org_snap.join("manifest.json"));
    assert_eq!(
        org_manifest["accounts"],
        serde_json::json!([ACCOUNT, member])
    );

    // Both load; the member's key resolves in the organisation snapshot.
    let loaded = Snapshot::open(&snap).expect("the collected snapshot loads");
    assert_eq!(loaded.aws_accounts.len(), 1);
    let loaded = Snapshot::open(&org_snap).expect("the organisation snapshot loads");
    assert_eq!(loaded.aws_accounts.len(), 2);
    assert!(loaded.organization.is_some());
    let member_key = made["member_key"].as_str().unwrap();
    let doc = radius_json(&org_snap, member_key);
    assert_eq!(doc["from"]["account"], member);

    // The radius from every key and role equals the radius of the hand-written snapshot.
    let mut starts: Vec<String> = made["keys"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|ids| {
            ids.as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
        })
        .collect();
    starts.extend(
        made["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string()),
    );
    starts.extend(
        made["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string()),
    );
    assert_eq!(starts.len(), 4 + 5 + 4);
    for start in &starts {
        let collected = normalized(&radius_json(&snap, start));
        let by_hand = normalized(&radius_json(&hand, start));
        assert_same(&collected, &by_hand, start);
    }
    let bob = normalized(&radius_json(
        &snap,
        made["keys"]["bob"][0].as_str().unwrap(),
    ));
    assert_eq!(bob["admin"], "definite", "the comparison is not vacuous");
}

#[test]
fn a_permission_the_analyst_lacks_is_a_missing_source_not_a_failure() {
    let Some(session) = moto::moto("missing_sources") else {
        return;
    };
    let moto = session.moto;
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("snap");
    // No organisation exists: DescribeOrganization answers AWSOrganizationsNotInUseException.
    moto.python("client('iam').create_user(UserName='solo')");
    let r = collect(moto, &snap, &["--org"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let manifest = read_json(&snap.join("manifest.json"));
    let missing = manifest["missing_sources"].as_array().unwrap();
    let org = missing
        .iter()
        .find(|m| m["source"] == "aws/organizations.json")
        .expect("organisation recorded missing");
    assert_eq!(
        org["reason"],
        "AWSOrganizationsNotInUseException: organizations:DescribeOrganization"
    );
    assert!(r.stdout.contains("aws/organizations.json"), "{}", r.stdout);
    // The analysis lists it too.
    let doc = radius_json(&snap, "arn:aws:iam::123456789012:user/solo");
    let details = doc["missing_source_details"].as_array().unwrap();
    assert!(details.iter().any(|d| {
        d["source"] == "aws/organizations.json"
            && d["reason"]
                .as_str()
                .unwrap()
                .starts_with("AWSOrganizationsNotInUseException")
    }));
}

#[test]
fn an_unreachable_endpoint_is_one_line_naming_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("snap");
    let r = run_with_env(
        &["collect", "aws", "--out", out.to_str().unwrap(), "--quiet"],
        &aws_env(&endpoint),
    );
    if r.stderr.contains("built without the aws feature") {
        return;
    }
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    assert!(
        r.stderr.contains(&endpoint),
        "names the endpoint: {}",
        r.stderr
    );
    assert!(!out.exists(), "nothing is written");
    let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(leftovers, 0, "no staging directory is left");
}

#[test]
fn bad_collect_arguments_are_refused_before_any_call() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("snap");
    let env = aws_env("http://127.0.0.1:9");
    let r = run_with_env(
        &[
            "collect",
            "aws",
            "--out",
            out.to_str().unwrap(),
            "--member-role",
            "R",
        ],
        &env,
    );
    assert_eq!(r.code, Some(2), "--member-role needs --org: {r:#?}");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let r = run_with_env(&["collect", "aws", "--out", file.to_str().unwrap()], &env);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = run_with_env(
        &[
            "collect",
            "aws",
            "--out",
            out.to_str().unwrap(),
            "--regions",
            "us-east-1,Not A Region",
        ],
        &env,
    );
    assert_eq!(r.code, Some(2), "{r:#?}");
}
