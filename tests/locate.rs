//! `blastmap locate AKIA...` against moto: the owning account and user of a key, and what
//! to collect next; bad input refused without a network call and without echoing secrets.

use crate::moto::{self, aws_env, run_with_env};
use serde_json::Value;

#[test]
fn locate_names_the_account_user_and_last_use_of_a_key() {
    let Some(session) = moto::moto("locate") else {
        return;
    };
    let moto = session.moto;
    let tmp = tempfile::tempdir().unwrap();
    let made = moto.script("populate.py", &[&tmp.path().join("hand")]);
    let alice = made["keys"]["alice"][0].as_str().unwrap();
    // A request signed with alice's key id marks the key as used (moto checks no signature).
    moto.python(&format!(
        "client('sts', key='{alice}').get_caller_identity()"
    ));

    let r = run_with_env(&["locate", alice, "--format", "json"], &moto.env());
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["schema"], "blastmap.locate.v1");
    assert_eq!(doc["account"], "123456789012");
    assert_eq!(doc["user"], "alice");
    assert_eq!(doc["last_used"]["service"], "sts");
    assert!(doc["last_used"]["date"].is_string());
    assert!(
        doc["next"][0]
            .as_str()
            .unwrap()
            .starts_with("blastmap collect aws --out snap-123456789012")
    );

    let table = run_with_env(&["locate", alice], &moto.env());
    assert_eq!(table.code, Some(0), "{table:#?}");
    assert!(
        table.stdout.contains("user       alice"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains(&format!(
        "blastmap radius -s snap-123456789012 --from {alice}"
    )));

    // A key of the member account: STS names that account; its user is for its own admins.
    let member_key = made["member_key"].as_str().unwrap();
    let r = run_with_env(&["locate", member_key, "--format", "json"], &moto.env());
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["account"], made["member_account"]);
    assert_eq!(doc["caller_account"], "123456789012");
    assert!(doc["user"].is_null());
    assert!(
        doc["notes"][0]
            .as_str()
            .unwrap()
            .contains("belongs to account")
    );

    // An unknown key: moto's STS names the caller's account, IAM knows no such key.
    let r = run_with_env(
        &["locate", "AKIAEXAMPLEUNKNOWN01", "--format", "json"],
        &moto.env(),
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(doc["user"].is_null());
    assert!(
        doc["notes"][0]
            .as_str()
            .unwrap()
            .contains("has no such key"),
        "{}",
        doc["notes"]
    );
}

#[test]
fn locate_refuses_what_is_not_a_key_id_without_echoing_a_secret() {
    let env = aws_env("http://127.0.0.1:9");
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let r = run_with_env(&["locate", secret], &env);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        !r.stderr.contains("wJalr") && !r.stdout.contains("wJalr"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("secret:sha256:"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1);
    let r = run_with_env(&["locate", "ci-deployer"], &env);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("not an access key id"), "{}", r.stderr);
}

#[test]
fn locate_with_an_unreachable_endpoint_names_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let r = run_with_env(&["locate", "AKIAIOSFODNN7EXAMPLE"], &aws_env(&endpoint));
    if r.stderr.contains("built without the aws feature") {
        return;
    }
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(&endpoint), "{}", r.stderr);
}
