//! Snapshot shapes that must load: missing optional files, a single GAAD file, GAAD pages,
//! both timestamp spellings.

use crate::support::*;
use blastmap::snapshot::Snapshot;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// id → (reach, hops) of every reached node.
fn reach_map(doc: &Value) -> BTreeMap<String, (String, u64)> {
    nodes(doc)
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                (
                    n["reach"].as_str().unwrap().to_string(),
                    n["hops"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn without_access_keys_and_credential_report_a_user_still_analyses() {
    let dir = copy_acme();
    std::fs::remove_file(account_file(dir.path(), "access-keys.json")).unwrap();
    std::fs::remove_file(account_file(dir.path(), "credential-report.csv")).unwrap();

    let doc = radius_json(dir.path(), CI_DEPLOYER);
    assert_eq!(doc["from"]["id"], CI_DEPLOYER);
    assert_eq!(doc["admin"], "definite");
    let missing = str_list(&doc["missing_sources"]);
    for source in [
        format!("aws/{ACCOUNT}/access-keys.json"),
        format!("aws/{ACCOUNT}/credential-report.csv"),
        "aws/organizations.json".to_string(),
        format!("aws/{ACCOUNT}/resource-policies.json"),
    ] {
        assert!(missing.contains(&source), "{source} in {missing:?}");
    }
    assert_eq!(missing.len(), 4, "{missing:?}");
    let details = doc["missing_source_details"].as_array().unwrap();
    let keys = details
        .iter()
        .find(|d| d["source"] == format!("aws/{ACCOUNT}/access-keys.json"))
        .unwrap();
    assert_eq!(keys["reason"], "file absent");
    assert!(!keys["may_hide"].as_str().unwrap().is_empty());

    // Without the credential report, nothing is claimed about passwords and MFA.
    let user = node(&doc, "arn:aws:iam::111122223333:user/heidi.schmidt");
    assert!(user["attrs"].get("console_password").is_none(), "{user}");
    assert!(user["attrs"].get("mfa").is_none(), "{user}");

    // The reach from the user does not depend on the files that are gone.
    assert_eq!(
        reach_map(&doc),
        reach_map(&radius_json(&acme(), CI_DEPLOYER))
    );
}

#[test]
fn a_single_gaad_file_is_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    // Not under aws/<ACCOUNT_ID>/: the account comes from the ARNs.
    let file = dir.path().join("export.json");
    std::fs::copy(account_file(&acme(), "gaad.json"), &file).unwrap();

    let doc = radius_json(&file, "ci-deployer");
    assert_eq!(doc["from"]["id"], CI_DEPLOYER);
    assert_eq!(doc["from"]["account"], ACCOUNT);
    assert_eq!(doc["admin"], "definite");
    assert_eq!(
        doc["admin_accounts"],
        json!([{"account": ACCOUNT, "reach": "definite"}])
    );
    assert_eq!(
        str_list(&doc["missing_sources"]),
        vec![
            format!("aws/{ACCOUNT}/access-keys.json"),
            format!("aws/{ACCOUNT}/credential-report.csv"),
            "aws/organizations.json".to_string(),
            format!("aws/{ACCOUNT}/resource-policies.json"),
        ]
    );
    assert_eq!(
        reach_map(&doc),
        reach_map(&radius_json(&acme(), CI_DEPLOYER))
    );
    // Evidence names the file as given.
    let control = node(&doc, &format!("aws:account:{ACCOUNT}"));
    let last = steps(control).last().unwrap();
    assert_eq!(last["evidence"][0]["file"], "export.json");
}

#[test]
fn a_single_gaad_file_without_account_arns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gaad.json");
    std::fs::write(&file, r#"{"UserDetailList": [], "RoleDetailList": []}"#).unwrap();
    let r = radius(&file, "anyone", &[]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.starts_with("error: "), "{r:#?}");
    assert!(r.stderr.contains(&file.display().to_string()), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1);
}

#[test]
fn gaad_as_an_array_of_pages() {
    let dir = copy_acme();
    let path = account_file(dir.path(), "gaad.json");
    let whole = read_json(&path);
    let users = whole["UserDetailList"].as_array().unwrap();
    let (first_users, rest_users) = users.split_at(users.len() / 2);
    let pages = json!([
        {
            "UserDetailList": first_users,
            "GroupDetailList": whole["GroupDetailList"],
            "IsTruncated": true,
            "Marker": "page-2"
        },
        {
            "UserDetailList": rest_users,
            "RoleDetailList": whole["RoleDetailList"],
            "IsTruncated": true,
            "Marker": "page-3"
        },
        {
            "Policies": whole["Policies"],
            "IsTruncated": false
        }
    ]);
    write_json(&path, &pages);

    let paged = radius_json(dir.path(), LEAKED_KEY);
    let merged = radius_json(&acme(), LEAKED_KEY);
    assert_eq!(reach_map(&paged), reach_map(&merged));
    assert_eq!(paged["admin"], "definite");
    assert_eq!(paged["counts"], merged["counts"]);
    // Pointers lead into the page that holds the statement.
    let control = node(&paged, &format!("aws:account:{ACCOUNT}"));
    let first_hop = &steps(control)[1];
    assert_eq!(
        first_hop["evidence"][0]["pointer"],
        "/1/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0"
    );
    let admin = steps(control).last().unwrap();
    assert!(
        admin["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pointer"].as_str().unwrap().starts_with("/2/Policies/")),
        "{admin}"
    );
}

#[test]
fn gaad_pages_with_an_error_point_into_the_page() {
    let dir = copy_acme();
    let path = account_file(dir.path(), "gaad.json");
    let whole = read_json(&path);
    let mut second = json!({"UserDetailList": whole["UserDetailList"]});
    second["UserDetailList"][1]["UserId"] = json!(["not", "a", "string"]);
    write_json(
        &path,
        &json!([{"RoleDetailList": whole["RoleDetailList"]}, second]),
    );
    let r = radius(dir.path(), CI_DEPLOYER, &[]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("`/1/UserDetailList/1/UserId`"), "{r:#?}");
}

/// A minimal snapshot whose dates are written both ways.
fn timestamp_snapshot() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("aws").join(ACCOUNT);
    std::fs::create_dir_all(&account).unwrap();
    let user = |name: &str, date: &str| {
        json!({
            "Path": "/", "UserName": name, "UserId": format!("AIDA{}", name.to_uppercase()),
            "Arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"), "CreateDate": date
        })
    };
    write_json(
        &account.join("gaad.json"),
        &json!({
            "UserDetailList": [user("zulu", "2025-03-14T10:20:47Z"), user("offset", "2025-03-14T10:20:47+00:00")],
            "RoleDetailList": [{
                "Path": "/", "RoleName": "r", "RoleId": "AROAR",
                "Arn": format!("arn:aws:iam::{ACCOUNT}:role/r"),
                "CreateDate": "2025-03-14T10:20:47.000Z",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            }]
        }),
    );
    let key = |id: &str, user: &str, date: &str| {
        json!({
            "UserName": user, "AccessKeyId": id, "Status": "Active", "CreateDate": date,
            "LastUsed": {"LastUsedDate": date, "ServiceName": "sts", "Region": "us-east-1"}
        })
    };
    write_json(
        &account.join("access-keys.json"),
        &json!({"AccessKeyMetadata": [
            key("AKIAEXAMPLEZULU00001", "zulu", "2026-11-19T23:41:00Z"),
            key("AKIAEXAMPLEOFFSET001", "offset", "2026-11-19T23:41:00+00:00"),
        ]}),
    );
    dir
}

#[test]
fn timestamps_with_z_and_with_offset_both_load() {
    let dir = timestamp_snapshot();
    let snapshot = Snapshot::open(dir.path()).expect("both spellings load");
    let account = &snapshot.aws_accounts[0];
    assert_eq!(account.id, ACCOUNT);
    let created: Vec<_> = account.users.iter().map(|u| u.created).collect();
    assert!(created.iter().all(Option::is_some), "{created:?}");
    assert_eq!(created[0], created[1], "Z and +00:00 are the same instant");
    let keys: Vec<_> = account.keys.iter().map(|k| k.created).collect();
    assert!(keys[0].is_some());
    assert_eq!(keys[0], keys[1]);
    let used: Vec<_> = account
        .keys
        .iter()
        .map(|k| k.last_used.as_ref().and_then(|l| l.last_used_date))
        .collect();
    assert!(used[0].is_some());
    assert_eq!(used[0], used[1]);

    // And the CLI runs on it.
    for key in ["AKIAEXAMPLEZULU00001", "AKIAEXAMPLEOFFSET001"] {
        let doc = radius_json(dir.path(), key);
        assert_eq!(doc["from"]["id"], key);
        assert_eq!(doc["admin"], "none");
    }
}

#[test]
fn acme_loads_with_its_mixed_timestamps() {
    let snapshot = Snapshot::open(&acme()).unwrap();
    let account = &snapshot.aws_accounts[0];
    assert_eq!(account.users.len(), 17);
    assert_eq!(account.roles.len(), 23);
    assert_eq!(account.groups.len(), 6);
    assert_eq!(account.keys.len(), 14);
    assert!(account.users.iter().all(|u| u.created.is_some()));
    let report = account.credential_report.as_ref().expect("report loaded");
    assert!(report.contains_key("<root_account>"));
    assert!(report.contains_key("kevin.obrien"));
    // Only default versions are kept: DeployStagingPolicy v2.
    let deploy = &account.managed["arn:aws:iam::111122223333:policy/DeployStagingPolicy"];
    assert!(
        deploy
            .source
            .pointer
            .ends_with("/PolicyVersionList/0/Document"),
        "{}",
        deploy.source.pointer
    );
}

#[test]
fn acme_inactive_key_reaches_its_user_conditionally() {
    let doc = radius_json(&acme(), "AKIAEXAMPLEDOKAFOR01");
    let user = node(&doc, "arn:aws:iam::111122223333:user/dave.okafor");
    assert_eq!(user["reach"], "conditional");
    assert_eq!(undecided_keys(user), vec!["key status".to_string()]);
    assert!(
        nodes(&doc).iter().all(|n| n["reach"] == "conditional"),
        "everything behind an inactive key is conditional"
    );
}
