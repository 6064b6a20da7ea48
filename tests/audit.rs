//! `blastmap audit` end to end: the findings examples/acme was built to show, stable ids,
//! trust and last-accessed checks on edited copies, SARIF against the 2.1.0 schema, --fail-on.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

fn audit(snapshot: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["audit".into(), "-s".into(), snapshot.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    run(args)
}

fn audit_json(snapshot: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let r = audit(snapshot, &args);
    assert_eq!(r.code, Some(0), "blastmap failed: {r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).expect("stdout is JSON");
    assert_eq!(doc["schema"], "blastmap.audit.v1");
    doc
}

fn findings(doc: &Value) -> &[Value] {
    doc["findings"].as_array().expect("`findings` is an array")
}

fn of_check<'a>(doc: &'a Value, check: &str) -> Vec<&'a Value> {
    findings(doc)
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

fn subject(f: &Value) -> &str {
    f["subject"]["id"].as_str().unwrap()
}

#[test]
fn acme_audit_table() {
    // Relative to the package root, where cargo runs the tests: the heading names it.
    let r = audit(Path::new("examples/acme"), &[]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    insta::assert_snapshot!("acme_audit_table", r.stdout);
}

#[test]
fn the_leaked_key_is_the_worst_finding_with_its_path_and_fix() {
    let doc = audit_json(&acme(), &[]);
    let first = &findings(&doc)[0];
    assert_eq!(first["check"], "admin.credential");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["reach"], "definite");
    assert_eq!(subject(first), LEAKED_KEY);
    let steps = first["path"]["steps"].as_array().unwrap();
    assert_eq!(first["path"]["from"], LEAKED_KEY);
    assert_eq!(
        steps.last().unwrap()["to"],
        format!("aws:account:{ACCOUNT}")
    );
    assert_eq!(steps.len(), 10);
    let principals: Vec<&str> = first["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        principals,
        [
            "user/ci-deployer",
            "role/ci-build",
            "role/deploy-staging",
            "role/platform-ops",
            "role/terraform-admin"
        ]
    );
    let fix = first["fix"].as_str().unwrap();
    assert!(
        fix.contains("delete the credential AKIAIOSFODNN7EXAMPLE"),
        "{fix}"
    );
    assert!(
        fix.contains("stop role/platform-ops from reaching session of role/terraform-admin"),
        "{fix}"
    );
    assert_eq!(first["facts"]["radius_principals"], 47);
}

#[test]
fn credentials_reaching_admin_are_ranked_by_radius() {
    let doc = audit_json(&examples().join("iam-vulnerable"), &[]);
    let creds = of_check(&doc, "admin.credential");
    assert!(creds.len() > 2);
    for severity in ["critical", "high"] {
        let sizes: Vec<i64> = creds
            .iter()
            .filter(|f| f["severity"] == severity)
            .map(|f| f["facts"]["radius_nodes"].as_i64().unwrap())
            .collect();
        assert!(
            sizes.windows(2).all(|w| w[0] >= w[1]),
            "{severity}: {sizes:?}"
        );
    }
}

#[test]
fn administrator_equivalent_principals_intended_or_not() {
    let doc = audit_json(&acme(), &[]);
    let admins: BTreeSet<&str> = of_check(&doc, "admin.principal")
        .into_iter()
        .map(subject)
        .collect();
    for name in [
        "terraform-admin",
        "prod-admin",
        "breakglass-admin",
        "legacy-ec2-admin",
    ] {
        assert!(admins.contains(role(name).as_str()), "{name}: {admins:?}");
    }
    let terraform = of_check(&doc, "admin.principal")
        .into_iter()
        .find(|f| subject(f) == role("terraform-admin"))
        .unwrap();
    // Reached by the leaked key: more severe than an admin role nobody's key reaches.
    assert_eq!(terraform["severity"], "high");
    assert_eq!(
        terraform["commands"],
        json!([
            "aws iam detach-role-policy --role-name terraform-admin --policy-arn arn:aws:iam::aws:policy/AdministratorAccess"
        ])
    );
}

#[test]
fn finding_ids_are_unique_and_stable_across_runs_and_copies() {
    let a = audit_json(&acme(), &[]);
    let copy = copy_acme();
    let b = audit_json(copy.path(), &[]);
    let ids = |d: &Value| -> Vec<String> {
        findings(d)
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&a), ids(&b));
    let unique: BTreeSet<String> = ids(&a).into_iter().collect();
    assert_eq!(unique.len(), findings(&a).len());
    for f in findings(&a) {
        let id = f["id"].as_str().unwrap();
        let check = f["check"].as_str().unwrap();
        assert!(id.starts_with(&format!("{check}:")), "{id}");
        assert_eq!(id.len(), check.len() + 13, "{id}");
        assert!(!f["fix"].as_str().unwrap().is_empty(), "{id} has no fix");
    }
}

#[test]
fn keys_are_judged_by_age_last_use_and_status() {
    let doc = audit_json(&acme(), &[]);
    let unused: Vec<&str> = of_check(&doc, "key.unused")
        .into_iter()
        .map(subject)
        .collect();
    assert_eq!(unused, ["AKIAEXAMPLELEGACYRP1"]);
    let legacy = &of_check(&doc, "key.unused")[0];
    assert_eq!(legacy["facts"]["days_since_use"], 690);
    assert_eq!(
        legacy["commands"],
        json!([
            "aws iam delete-access-key --user-name legacy-reporting --access-key-id AKIAEXAMPLELEGACYRP1"
        ])
    );
    let inactive: Vec<&str> = of_check(&doc, "key.inactive")
        .into_iter()
        .map(subject)
        .collect();
    assert_eq!(inactive, ["AKIAEXAMPLEDOKAFOR01"]);
    let old: BTreeSet<&str> = of_check(&doc, "key.old").into_iter().map(subject).collect();
    assert!(old.contains(LEAKED_KEY));
    // Never used, but only 53 days old: neither unused for 90 days nor due for rotation.
    assert!(!old.contains("AKIAEXAMPLEHSCHMIDT1"));
    // The leaked key reaches admin: its rotation weighs more.
    let leaked = of_check(&doc, "key.old")
        .into_iter()
        .find(|f| subject(f) == LEAKED_KEY)
        .unwrap();
    assert_eq!(leaked["severity"], "medium");

    // Judged at another time, ages change.
    let early = audit_json(&acme(), &["--as-of", "2025-04-01T00:00:00Z"]);
    assert_eq!(early["as_of_source"], "--as-of");
    assert!(
        !of_check(&early, "key.old")
            .iter()
            .any(|f| subject(f) == LEAKED_KEY)
    );
}

#[test]
fn keys_from_the_credential_report_alone() {
    let copy = copy_acme();
    std::fs::remove_file(account_file(copy.path(), "access-keys.json")).unwrap();
    let doc = audit_json(copy.path(), &[]);
    let unused = of_check(&doc, "key.unused");
    assert_eq!(unused.len(), 1, "{unused:#?}");
    assert_eq!(
        subject(unused[0]),
        "arn:aws:iam::111122223333:user/legacy-reporting"
    );
    assert_eq!(unused[0]["facts"]["last_used"], "2024-12-30T06:00:00Z");
}

#[test]
fn users_without_mfa_and_console_users_with_keys() {
    let doc = audit_json(&acme(), &[]);
    let no_mfa: Vec<&str> = of_check(&doc, "admin.user-without-mfa")
        .into_iter()
        .map(subject)
        .collect();
    assert_eq!(no_mfa, [CI_DEPLOYER]);
    let console: BTreeSet<&str> = of_check(&doc, "user.console-with-keys")
        .into_iter()
        .map(subject)
        .collect();
    assert!(console.contains("arn:aws:iam::111122223333:user/heidi.schmidt"));
    assert!(!console.contains(CI_DEPLOYER), "no console password");
}

#[test]
fn escalation_techniques_name_the_rule_policy_and_principals() {
    let doc = audit_json(&examples().join("acme-org"), &[]);
    let found = of_check(&doc, "escalation.technique");
    assert!(!found.is_empty());
    for f in &found {
        let rule = f["facts"]["rule"].as_str().unwrap();
        assert!(rule.starts_with("aws."), "{rule}");
        assert!(f["title"].as_str().unwrap().contains(rule));
        assert!(!f["principals"].as_array().unwrap().is_empty());
        // Only the actors' own policies grant it: no guard or pseudo-policy.
        for s in f["evidence"].as_array().unwrap() {
            assert_ne!(s["file"], "aws/organizations.json", "{f:#?}");
            assert!(!s["file"].as_str().unwrap().starts_with('('), "{f:#?}");
        }
    }
    // Without the rules there is nothing to report.
    let none = audit_json(&examples().join("acme-org"), &["--no-escalation"]);
    assert!(of_check(&none, "escalation.technique").is_empty());
}

/// acme's risky-trust negatives (a subject condition, an external id) made positive.
#[test]
fn risky_trust_policies() {
    let doc = audit_json(&acme(), &[]);
    for check in [
        "trust.oidc-without-subject",
        "trust.everyone",
        "trust.foreign-account",
    ] {
        assert!(of_check(&doc, check).is_empty(), "{check}");
    }

    let copy = copy_acme();
    edit_json(&account_file(copy.path(), "gaad.json"), |gaad| {
        let gh = index_of(gaad, "RoleDetailList", "RoleName", "github-actions-deploy");
        let statement = &mut gaad["RoleDetailList"][gh]["AssumeRolePolicyDocument"]["Statement"][0];
        statement["Condition"]
            .as_object_mut()
            .unwrap()
            .remove("StringLike");
        let vendor = index_of(gaad, "RoleDetailList", "RoleName", "vendor-audit");
        gaad["RoleDetailList"][vendor]["AssumeRolePolicyDocument"]["Statement"][0]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
        let export = index_of(gaad, "RoleDetailList", "RoleName", "data-export");
        gaad["RoleDetailList"][export]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] =
            json!({"AWS": "*"});
    });
    let doc = audit_json(copy.path(), &[]);

    let oidc = of_check(&doc, "trust.oidc-without-subject");
    assert_eq!(oidc.len(), 1);
    assert_eq!(subject(oidc[0]), role("github-actions-deploy"));
    assert_eq!(oidc[0]["severity"], "critical");
    assert_eq!(oidc[0]["facts"]["audience_condition"], true);
    assert!(
        oidc[0]["title"]
            .as_str()
            .unwrap()
            .contains("any repository on GitHub")
    );
    assert!(
        oidc[0]["fix"]
            .as_str()
            .unwrap()
            .contains("token.actions.githubusercontent.com:sub")
    );
    let pointer = oidc[0]["evidence"][0]["pointer"].as_str().unwrap();
    assert!(
        pointer.ends_with("/AssumeRolePolicyDocument/Statement/0"),
        "{pointer}"
    );

    let foreign = of_check(&doc, "trust.foreign-account");
    assert_eq!(foreign.len(), 1);
    assert_eq!(subject(foreign[0]), role("vendor-audit"));
    assert_eq!(foreign[0]["severity"], "high");
    assert_eq!(foreign[0]["facts"]["foreign_account"], "444455556666");

    let open = of_check(&doc, "trust.everyone");
    assert_eq!(open.len(), 1);
    assert_eq!(subject(open[0]), role("data-export"));
    assert_eq!(open[0]["severity"], "critical");
}

#[test]
fn unused_services_from_last_accessed_data() {
    let copy = copy_acme();
    let platform_ops = role("platform-ops");
    write_json(
        &account_file(copy.path(), "last-accessed.json"),
        &json!({"Principals": [
            {"Arn": platform_ops, "JobStatus": "COMPLETED", "ServicesLastAccessed": [
                {"ServiceName": "Amazon EC2", "ServiceNamespace": "ec2",
                 "LastAuthenticated": "2026-11-19T10:00:00+00:00", "TotalAuthenticatedEntities": 1},
                {"ServiceName": "Amazon RDS", "ServiceNamespace": "rds", "TotalAuthenticatedEntities": 0},
                {"ServiceName": "AWS Identity and Access Management", "ServiceNamespace": "iam",
                 "LastAuthenticated": "2026-01-02T03:04:05Z"},
                {"ServiceName": "Amazon Route 53", "ServiceNamespace": "route53",
                 "LastAuthenticated": "yesterday"}
            ]},
            {"ServicesLastAccessed": []},
            {"Arn": "arn:aws:iam::111122223333:role/not-there", "ServicesLastAccessed": []},
            {"Arn": role("ci-build"), "JobStatus": "IN_PROGRESS"}
        ]}),
    );
    let doc = audit_json(copy.path(), &[]);
    let unused = of_check(&doc, "permissions.unused");
    assert_eq!(unused.len(), 1, "{unused:#?}");
    let f = unused[0];
    assert_eq!(subject(f), platform_ops);
    assert_eq!(f["severity"], "medium", "iam is among the unused services");
    assert_eq!(f["facts"]["unused_count"], 2);
    assert_eq!(
        f["facts"]["unused_services"],
        "rds (never), iam (last 2026-01-02)"
    );
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["policy"] == "arn:aws:iam::111122223333:policy/PlatformOpsPolicy"),
        "{f:#?}"
    );
    // What could not be read is listed, not fatal.
    let missing = str_list(&doc["missing_sources"]);
    for entry in [
        "aws/111122223333/last-accessed.json#/Principals/1",
        "aws/111122223333/last-accessed.json#/Principals/2",
        "aws/111122223333/last-accessed.json#/Principals/3",
        "aws/111122223333/last-accessed.json#/Principals/0/ServicesLastAccessed/3",
    ] {
        assert!(missing.iter().any(|m| m == entry), "{entry}: {missing:?}");
    }
    assert!(
        !missing
            .iter()
            .any(|m| m == "aws/111122223333/last-accessed.json")
    );

    // Without the file, the audit says what it did not check.
    let plain = audit_json(&acme(), &[]);
    assert!(
        str_list(&plain["missing_sources"])
            .iter()
            .any(|m| m == "aws/111122223333/last-accessed.json")
    );

    // A file that is not JSON at all is bad input, named.
    std::fs::write(account_file(copy.path(), "last-accessed.json"), "{not json").unwrap();
    let r = audit(copy.path(), &[]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("last-accessed.json"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn fail_on_sets_the_exit_status_after_the_report() {
    let r = audit(&acme(), &["--fail-on", "critical"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(
        r.stdout.starts_with("Audit of "),
        "the report is written first"
    );
    assert_eq!(
        r.stderr.trim(),
        "error: 1 finding at or above critical (--fail-on critical)"
    );

    // One user without keys, groups or policies: nothing to report.
    let dir = tempfile::tempdir().unwrap();
    let gaad = dir.path().join("aws/123456789012/gaad.json");
    std::fs::create_dir_all(gaad.parent().unwrap()).unwrap();
    write_json(
        &gaad,
        &json!({"UserDetailList": [{"UserName": "quiet", "UserId": "AIDAQUIET", "Arn": "arn:aws:iam::123456789012:user/quiet"}]}),
    );
    let r = audit(
        dir.path(),
        &["--fail-on", "info", "--as-of", "2026-01-01T00:00:00Z"],
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stdout.contains("no findings"), "{}", r.stdout);

    let r = audit(&acme(), &["--fail-on", "severe"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("not a severity"), "{}", r.stderr);
}

#[test]
fn markdown_lists_every_finding() {
    let r = audit(&acme(), &["--format", "md"]);
    assert_eq!(r.code, Some(0));
    assert!(r.stdout.starts_with("# blastmap audit of `"));
    let doc = audit_json(&acme(), &[]);
    for f in findings(&doc) {
        assert!(r.stdout.contains(f["id"].as_str().unwrap()));
    }
    assert!(r.stdout.contains("```sh\naws iam delete-access-key"));
}

// ---------------------------------------------------------------------------------------------
// SARIF

/// Checks `value` against a JSON Schema (draft-07) as far as the SARIF schema uses it:
/// `$ref`, `type`, `enum`, `required`, `properties`, `additionalProperties`, `items`,
/// `minItems`, `minimum`, `anyOf`, `oneOf`.
fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/definitions/");
        return validate(root, &root["definitions"][name], value, at, errors);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        });
        if !ok {
            errors.push(format!("{at}: not of type {types:?}"));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            errors.push(format!("{at}: {value} not in {options:?}"));
        }
    }
    if let Some(min) = schema["minimum"].as_f64() {
        if value.as_f64().is_some_and(|v| v < min) {
            errors.push(format!("{at}: below {min}"));
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema[key].as_array() {
            let passing = options
                .iter()
                .filter(|o| {
                    let mut e = Vec::new();
                    validate(root, o, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (key == "oneOf" && passing > 1) {
                errors.push(format!("{at}: {passing} of the {key} alternatives hold"));
            }
        }
    }
    if let Some(obj) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !obj.contains_key(name) {
                errors.push(format!("{at}: required `{name}` is missing"));
            }
        }
        let props = schema["properties"].as_object();
        for (k, v) in obj {
            let path = format!("{at}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => validate(root, sub, v, &path, errors),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => errors.push(format!("{path}: not allowed")),
                    extra @ Value::Object(_) => validate(root, extra, v, &path, errors),
                    _ => {}
                },
            }
        }
    }
    if let Some(list) = value.as_array() {
        if let Some(min) = schema["minItems"].as_u64() {
            if (list.len() as u64) < min {
                errors.push(format!("{at}: fewer than {min} items"));
            }
        }
        if schema.get("items").is_some() {
            for (i, item) in list.iter().enumerate() {
                validate(root, &schema["items"], item, &format!("{at}/{i}"), errors);
            }
        }
    }
}

/// The OASIS SARIF 2.1.0 JSON schema (its `$id` names the oasis-tcs/sarif-spec original), as
/// the serde-sarif crate ships it.
fn sarif_schema() -> Value {
    read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json"))
}

fn sarif(snapshot: &Path) -> Value {
    let r = audit(snapshot, &["--format", "sarif"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    serde_json::from_str(&r.stdout).expect("SARIF is JSON")
}

#[test]
fn the_validator_catches_what_it_should() {
    let schema = sarif_schema();
    let mut errors = Vec::new();
    validate(
        &schema,
        &schema,
        &json!({"version": "2.1.0"}),
        "",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("`runs`")), "{errors:?}");
    let mut errors = Vec::new();
    let bad = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"message": {}}]}]});
    validate(&schema, &schema, &bad, "", &mut errors);
    assert!(errors.iter().any(|e| e.contains("`name`")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("anyOf")), "{errors:?}");
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema = sarif_schema();
    for snapshot in [
        acme(),
        examples().join("acme-org"),
        examples().join("iam-vulnerable"),
    ] {
        let log = sarif(&snapshot);
        let mut errors = Vec::new();
        validate(&schema, &schema, &log, "", &mut errors);
        assert!(errors.is_empty(), "{}: {errors:#?}", snapshot.display());
        assert_eq!(log["version"], "2.1.0");
    }
}

#[test]
fn sarif_results_point_at_the_snapshot_lines_that_prove_them() {
    let log = sarif(Path::new("examples/acme"));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let doc = audit_json(&acme(), &[]);
    assert_eq!(results.len(), findings(&doc).len());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(r["partialFingerprints"]["blastmapFindingId/v1"].is_string());
    }
    // The terraform-admin finding points at AdministratorAccess's statement in gaad.json.
    let admin = results
        .iter()
        .find(|r| {
            r["ruleId"] == "admin.principal"
                && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    == role("terraform-admin")
        })
        .unwrap();
    let physical = &admin["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "examples/acme/aws/111122223333/gaad.json"
    );
    let line = physical["region"]["startLine"].as_u64().unwrap() as usize;
    let gaad = std::fs::read_to_string(acme().join("aws/111122223333/gaad.json")).unwrap();
    let text = gaad.lines().nth(line - 1).unwrap();
    assert!(
        text.contains("Allow") || text.contains('{'),
        "line {line}: {text}"
    );
    // The leaked key's witness path is a code flow, one location per step.
    let leaked = &results[0];
    assert_eq!(leaked["level"], "error");
    let flow = leaked["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(flow.len(), 10);
    assert_eq!(
        flow[0]["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/acme/aws/111122223333/access-keys.json"
    );
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}
