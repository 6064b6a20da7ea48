//! `access-keys.json` and `credential-report.csv`: keys for most service users and some
//! humans (a few inactive, a few pairs), console passwords and MFA for humans.

use super::account::{User, date};
use super::rng::Rng;
use serde_json::{Value, json};

/// The key id of slot `slot` (0 or 1) of user `user` of account `account`: obviously fake,
/// unique in the organisation, 20 characters like a real one.
pub fn key_id(account: usize, user: usize, slot: usize) -> String {
    format!(
        "AKIAEXAMPLE{:04}{:04}{slot}",
        account % 10_000,
        user % 10_000
    )
}

pub struct Keys {
    pub file: Value,
    /// Per user, in order: how many keys it has, and whether its first one is active.
    pub per_user: Vec<(usize, bool)>,
}

pub fn access_keys(account: usize, users: &[User], rng: &mut Rng) -> Keys {
    let mut list = Vec::new();
    let mut per_user = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let p = if u.human { 0.4 } else { 0.9 };
        let count = if u.name == "ci-deployer" {
            1
        } else if rng.chance(p) {
            if rng.chance(0.1) { 2 } else { 1 }
        } else {
            0
        };
        let mut first_active = false;
        for slot in 0..count {
            let active = u.name == "ci-deployer" || !rng.chance(0.08);
            if slot == 0 {
                first_active = active;
            }
            let mut k = json!({"UserName": u.name, "AccessKeyId": key_id(account, i, slot),
                "Status": if active { "Active" } else { "Inactive" }, "CreateDate": date(rng)});
            if rng.chance(0.8) {
                k["LastUsed"] =
                    json!({"LastUsedDate": date(rng), "ServiceName": "sts", "Region": "us-east-1"});
            }
            list.push(k);
        }
        per_user.push((count, first_active));
    }
    Keys {
        file: json!({"AccessKeyMetadata": list}),
        per_user,
    }
}

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

pub fn credential_report(account_id: &str, users: &[User], keys: &Keys, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(200 * (users.len() + 2));
    out.push_str(HEADER);
    out.push('\n');
    out.push_str(&format!("<root_account>,arn:aws:iam::{account_id}:root,{},not_supported,{},not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n", date(rng), date(rng)));
    for (u, (count, active)) in users.iter().zip(&keys.per_user) {
        let created = date(rng);
        let (password, used, changed) = if u.human {
            ("true", date(rng), date(rng))
        } else {
            ("false", "N/A".to_string(), "N/A".to_string())
        };
        let mfa = u.human && rng.chance(0.7);
        let key = |n: usize, rng: &mut Rng| {
            if *count > n {
                let a = if n == 0 { *active } else { true };
                format!("{a},{},{},us-east-1,sts", date(rng), date(rng))
            } else {
                "false,N/A,N/A,N/A,N/A".to_string()
            }
        };
        let k1 = key(0, rng);
        let k2 = key(1, rng);
        out.push_str(&format!(
            "{},{},{created},{password},{used},{changed},N/A,{mfa},{k1},{k2},false,N/A,false,N/A\n",
            u.name, u.arn
        ));
    }
    out
}
