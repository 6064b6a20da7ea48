//! The layout of an organisation: which accounts, in which OUs, holding how many users and
//! roles. Principals are spread over accounts with a heavy tail (a few big accounts, many small
//! ones), each within IAM's quotas.

use super::rng::Rng;

/// IAM's default quotas per account: users, roles and customer managed policies.
pub const QUOTA: usize = 5_000;

/// The named sizes of issue 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// 1 account, 50 users, 100 roles.
    Small,
    /// 20 accounts, 2,000 users, 5,000 roles.
    Medium,
    /// 200 accounts, 20,000 users, 50,000 roles.
    Large,
    /// 2,000 accounts, 100,000 users, 250,000 roles.
    Xl,
}

impl Size {
    pub fn scale(self) -> Scale {
        match self {
            Size::Small => Scale::new(1, 50, 100),
            Size::Medium => Scale::new(20, 2_000, 5_000),
            Size::Large => Scale::new(200, 20_000, 50_000),
            Size::Xl => Scale::new(2_000, 100_000, 250_000),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
            Size::Xl => "xl",
        }
    }
}

/// How big an organisation to generate: totals over all accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub accounts: usize,
    pub users: usize,
    pub roles: usize,
}

impl Scale {
    pub fn new(accounts: usize, users: usize, roles: usize) -> Scale {
        Scale {
            accounts: accounts.max(1),
            users,
            roles,
        }
    }
}

/// What an account is for; it decides which trusts it holds and is trusted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The organisation's management account: `OrganizationAccountAccessRole` everywhere.
    Management,
    /// The identity hub: most humans, roles that fan out to every account.
    Hub,
    /// CI: GitHub Actions OIDC roles and a deployer user that deploy into workloads.
    Ci,
    Workload,
}

#[derive(Debug, Clone)]
pub struct AccountPlan {
    pub index: usize,
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// The OU the account sits in.
    pub parent: String,
    pub users: usize,
    pub roles: usize,
}

#[derive(Debug, Clone)]
pub struct OrgPlan {
    pub org_id: String,
    pub root_id: String,
    pub management_id: String,
    /// (id, name, parent id), parents before children.
    pub ous: Vec<(String, String, String)>,
    pub accounts: Vec<AccountPlan>,
    pub hub: Option<String>,
    pub ci: Option<String>,
}

pub fn account_id(index: usize) -> String {
    format!("{:012}", 200_000_000_000u64 + index as u64 * 1_000_003)
}

/// Splits `total` over `weights`, each share capped at the quota and at least `floor`.
fn spread(total: usize, weights: &[f64], floor: usize) -> Vec<usize> {
    let sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let mut out: Vec<usize> = weights
        .iter()
        .map(|w| ((total as f64 * w / sum) as usize).clamp(floor, QUOTA))
        .collect();
    // Hand out what rounding left, to the accounts with room, in order.
    let mut given: usize = out.iter().sum();
    let len = out.len();
    let mut i = 0;
    while given < total && out.iter().any(|&n| n < QUOTA) {
        if out[i % len] < QUOTA {
            out[i % len] += 1;
            given += 1;
        }
        i += 1;
    }
    out
}

pub fn plan(scale: Scale, rng: &mut Rng) -> OrgPlan {
    let n = scale.accounts;
    let org_id = "o-exampleorg1".to_string();
    let root_id = "r-exam".to_string();
    let ou = |name: &str| format!("ou-exam-{name}");
    let mut ous = vec![
        (ou("security"), "Security".to_string(), root_id.clone()),
        (ou("infra"), "Infrastructure".to_string(), root_id.clone()),
        (ou("workloads"), "Workloads".to_string(), root_id.clone()),
        (ou("prod"), "Prod".to_string(), ou("workloads")),
        (ou("nonprod"), "NonProd".to_string(), ou("workloads")),
        (ou("sandbox"), "Sandbox".to_string(), root_id.clone()),
    ];
    // Deeper business-unit OUs under Prod and NonProd as the organisation grows.
    let units = (n / 25).clamp(0, 40);
    for u in 0..units {
        let parent = if u % 2 == 0 {
            ou("prod")
        } else {
            ou("nonprod")
        };
        ous.push((ou(&format!("bu{u:02}")), format!("bu-{u:02}"), parent));
    }
    let kinds: Vec<Kind> = (0..n)
        .map(|i| match (n, i) {
            (1, _) => Kind::Workload,
            (_, 0) => Kind::Management,
            (_, 1) => Kind::Hub,
            (_, 2) => Kind::Ci,
            _ => Kind::Workload,
        })
        .collect();
    // Heavy-tailed account sizes: Pareto weights, the hub holding a large share of humans.
    let weights: Vec<f64> = kinds
        .iter()
        .map(|k| {
            let pareto = (1.0 - rng.unit()).powf(-0.7);
            match k {
                Kind::Management => 0.2,
                Kind::Hub => pareto + n as f64 * 0.3,
                Kind::Ci => pareto + 1.0,
                Kind::Workload => pareto,
            }
        })
        .collect();
    let role_weights: Vec<f64> = kinds
        .iter()
        .zip(&weights)
        .map(|(k, w)| if *k == Kind::Hub { w / 4.0 } else { *w })
        .collect();
    let users = spread(scale.users, &weights, 2);
    let roles = spread(scale.roles, &role_weights, 12);
    let management_id = if n == 1 {
        // A standalone member account: its management account is not in the snapshot.
        account_id(9_999)
    } else {
        account_id(0)
    };
    let accounts = (0..n)
        .map(|i| {
            let kind = kinds[i];
            let parent = match kind {
                Kind::Management => root_id.clone(),
                Kind::Hub => ou("security"),
                Kind::Ci => ou("infra"),
                Kind::Workload => {
                    if i % 11 == 10 {
                        ou("sandbox")
                    } else if units > 0 {
                        ou(&format!("bu{:02}", i % units))
                    } else if i % 2 == 0 {
                        ou("prod")
                    } else {
                        ou("nonprod")
                    }
                }
            };
            let name = match kind {
                Kind::Management => "management".to_string(),
                Kind::Hub => "identity".to_string(),
                Kind::Ci => "ci".to_string(),
                Kind::Workload => format!("workload-{i:04}"),
            };
            AccountPlan {
                index: i,
                id: account_id(i),
                name,
                kind,
                parent,
                users: users[i],
                roles: roles[i],
            }
        })
        .collect::<Vec<_>>();
    let find = |k: Kind| accounts.iter().find(|a| a.kind == k).map(|a| a.id.clone());
    OrgPlan {
        org_id,
        root_id,
        management_id,
        ous,
        hub: find(Kind::Hub),
        ci: find(Kind::Ci),
        accounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_is_within_quotas_and_adds_up() {
        for size in [Size::Small, Size::Medium, Size::Large, Size::Xl] {
            let scale = size.scale();
            let plan = plan(scale, &mut Rng::new(1));
            assert_eq!(plan.accounts.len(), scale.accounts);
            assert!(
                plan.accounts
                    .iter()
                    .all(|a| a.users <= QUOTA && a.roles <= QUOTA)
            );
            let users: usize = plan.accounts.iter().map(|a| a.users).sum();
            let roles: usize = plan.accounts.iter().map(|a| a.roles).sum();
            assert!(users >= scale.users && users <= scale.users + 2 * scale.accounts);
            assert!(roles >= scale.roles && roles <= scale.roles + 12 * scale.accounts);
        }
    }
}
