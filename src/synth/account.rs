//! One account's `get-account-authorization-details`: managed policies, groups of
//! heavy-tailed sizes, humans and service users, and roles (organisation access, break-glass,
//! hub and CI trusts, chains up to depth 6, service and OIDC trusts, vendors).

use super::documents::{self as d, doc};
use super::plan::{AccountPlan, Kind, OrgPlan, QUOTA};
use super::rng::Rng;
use serde_json::{Value, json};

/// Depth of the role-assumption chains: tier 0 to tier 5.
pub const CHAIN_DEPTH: usize = 6;

const FIRST: &[&str] = &[
    "alex", "sam", "kim", "lee", "noor", "maria", "jo", "ravi", "mei", "ola", "tomas", "ana",
];
const LAST: &[&str] = &[
    "smith", "garcia", "chen", "okafor", "novak", "silva", "kumar", "ito", "berg", "haddad",
];
const SERVICES: &[&str] = &[
    "lambda",
    "ec2",
    "ecs-tasks",
    "glue",
    "states",
    "codebuild",
    "sagemaker",
];

pub struct User {
    pub name: String,
    pub arn: String,
    pub human: bool,
}

pub struct Output {
    pub gaad: Value,
    pub users: Vec<User>,
}

pub fn date(rng: &mut Rng) -> String {
    format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        20 + rng.below(6),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

struct Ctx<'a> {
    acct: &'a AccountPlan,
    rng: Rng,
    ids: usize,
    /// Customer managed policies for applications, most popular first.
    app_policies: Vec<String>,
}

impl Ctx<'_> {
    fn arn(&self, kind: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:{kind}/{name}", self.acct.id)
    }

    fn id(&mut self, prefix: &str) -> String {
        self.ids += 1;
        format!(
            "{prefix}EXAMPLE{:04}{:06}",
            self.acct.index % 10_000,
            self.ids
        )
    }

    fn attached(&self, arn: &str) -> Value {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        json!({"PolicyName": name, "PolicyArn": arn})
    }

    /// 1 to 3 application policies, shared with a heavy tail.
    fn app_attachments(&mut self) -> Vec<Value> {
        let n = 1 + self.rng.below(3);
        let mut out: Vec<Value> = Vec::new();
        for _ in 0..n {
            let i = self.rng.zipf(self.app_policies.len());
            if let Some(arn) = self.app_policies.get(i).cloned() {
                let v = self.attached(&arn);
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn boundary(&self) -> Value {
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": self.arn("policy", "boundary-developer")})
    }
}

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

fn managed(ctx: &mut Ctx, arn: String, name: &str, document: Value, old: Option<Value>) -> Value {
    let created = date(&mut ctx.rng);
    let mut versions = vec![
        json!({"Document": document, "VersionId": if old.is_some() { "v2" } else { "v1" }, "IsDefaultVersion": true, "CreateDate": created}),
    ];
    if let Some(old) = old {
        versions.push(json!({"Document": old, "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": created}));
    }
    let path = if arn.contains(":aws:policy/") {
        "/"
    } else {
        "/app/"
    };
    json!({"PolicyName": name, "PolicyId": ctx.id("ANPA"), "Arn": arn, "Path": path,
        "DefaultVersionId": if versions.len() > 1 { "v2" } else { "v1" },
        "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
        "CreateDate": created, "UpdateDate": created, "PolicyVersionList": versions})
}

fn policies(ctx: &mut Ctx, teams: usize) -> Vec<Value> {
    let acct = ctx.acct.id.clone();
    let mut out = vec![
        managed(
            ctx,
            ADMIN.to_string(),
            "AdministratorAccess",
            d::administrator_access(),
            None,
        ),
        managed(
            ctx,
            READ_ONLY.to_string(),
            "ReadOnlyAccess",
            d::read_only_access(),
            None,
        ),
    ];
    let arn = ctx.arn("policy", "boundary-developer");
    out.push(managed(ctx, arn, "boundary-developer", d::boundary(), None));
    let arn = ctx.arn("policy", "developer-power-user");
    out.push(managed(
        ctx,
        arn,
        "developer-power-user",
        d::power_user(),
        None,
    ));
    let count = ((ctx.acct.users + ctx.acct.roles) / 8 + 5).min(QUOTA - out.len());
    for i in 0..count {
        let name = format!("app-{:04}-access", i);
        let mut statements = d::app_statements(&mut ctx.rng, &acct, &format!("app-{i}"));
        if ctx.rng.chance(0.02) {
            statements.push(d::escalation_statement(&mut ctx.rng, &acct));
        }
        if i % (teams.max(1) + 1) == 0 {
            // Some application policies let their holders into a team's chain.
            statements.push(d::assume(vec![
                ctx.arn("role", &format!("team-{:03}-t0-*", i % teams.max(1))),
            ]));
        }
        let old = ctx.rng.chance(0.1).then(|| {
            doc(vec![
                json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            ])
        });
        let arn = ctx.arn("policy", &format!("app/{name}"));
        ctx.app_policies.push(arn.clone());
        out.push(managed(ctx, arn, &name, doc(statements), old));
    }
    out
}

fn groups(ctx: &mut Ctx, teams: usize, hub: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut group = |ctx: &mut Ctx, name: String, attached: Vec<Value>, inline: Vec<Value>| {
        let arn = ctx.arn("group", &name);
        let id = ctx.id("AGPA");
        let created = date(&mut ctx.rng);
        let inline: Vec<Value> = inline
            .into_iter()
            .enumerate()
            .map(|(i, d)| json!({"PolicyName": format!("inline-{i}"), "PolicyDocument": d}))
            .collect();
        out.push(
            json!({"Path": "/", "GroupName": name, "GroupId": id, "Arn": arn, "CreateDate": created,
            "GroupPolicyList": inline, "AttachedManagedPolicies": attached}),
        );
    };
    let ro = ctx.attached(READ_ONLY);
    group(ctx, "all-staff".into(), vec![ro], vec![]);
    let pu = ctx.attached(&ctx.arn("policy", "developer-power-user"));
    group(
        ctx,
        "developers".into(),
        vec![pu],
        vec![doc(vec![
            json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ctx.arn("role", "svc-*"), "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}),
        ])],
    );
    for k in 0..teams {
        let mut roles = vec![ctx.arn("role", &format!("team-{k:03}-t0-*"))];
        if let Some(hub) = hub {
            if hub == ctx.acct.id {
                roles.push(ctx.arn("role", &format!("hub-operator-{}", k % 5)));
            }
        }
        let mut statements = vec![d::assume(roles)];
        statements.extend(d::app_statements(
            &mut ctx.rng,
            &ctx.acct.id.clone(),
            &format!("team-{k}"),
        ));
        let attached = ctx.app_attachments();
        group(ctx, format!("team-{k:03}"), attached, vec![doc(statements)]);
    }
    let admin = ctx.attached(ADMIN);
    group(ctx, "admins".into(), vec![admin], vec![]);
    out
}

fn users(ctx: &mut Ctx, groups: &[String], ci: bool) -> (Vec<Value>, Vec<User>) {
    let mut list = Vec::new();
    let mut info = Vec::new();
    for i in 0..ctx.acct.users {
        let human = !(ci && i == 0) && ctx.rng.chance(0.8);
        let name = if ci && i == 0 {
            "ci-deployer".to_string()
        } else if human {
            let f = FIRST[ctx.rng.below(FIRST.len())];
            let l = LAST[ctx.rng.below(LAST.len())];
            format!("{f}.{l}.{i}")
        } else {
            format!("svc-app-{i}")
        };
        let arn = ctx.arn("user", &name);
        let mut member = Vec::new();
        let mut inline = Vec::new();
        let mut attached = Vec::new();
        let mut boundary = None;
        if human {
            if ctx.rng.chance(0.9) {
                member.push(groups[0].clone());
            }
            // Heavy-tailed: the first groups are large, admins (last) tiny.
            for _ in 0..1 + ctx.rng.below(2) {
                let g = 1 + ctx.rng.zipf(groups.len() - 1);
                if !member.contains(&groups[g]) {
                    member.push(groups[g].clone());
                }
            }
            if ctx.rng.chance(0.05) {
                inline.push(doc(vec![json!({"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:CreateAccessKey", "iam:*MFADevice"], "Resource": "arn:aws:iam::*:user/${aws:username}"})]));
            }
        } else {
            attached = ctx.app_attachments();
            if ci && i == 0 {
                inline.push(doc(vec![d::assume(vec![
                    "arn:aws:iam::*:role/ci-deploy".into(),
                ])]));
            }
            if ctx.rng.chance(0.2) {
                boundary = Some(ctx.boundary());
            }
        }
        if ctx.rng.chance(0.012) {
            inline.push(doc(vec![d::escalation_statement(
                &mut ctx.rng,
                &ctx.acct.id.clone(),
            )]));
        }
        let inline: Vec<Value> = inline
            .into_iter()
            .enumerate()
            .map(|(i, d)| json!({"PolicyName": format!("inline-{i}"), "PolicyDocument": d}))
            .collect();
        let mut u = json!({"Path": "/", "UserName": name, "UserId": ctx.id("AIDA"), "Arn": arn,
            "CreateDate": date(&mut ctx.rng), "UserPolicyList": inline, "GroupList": member,
            "AttachedManagedPolicies": attached, "Tags": [{"Key": "team", "Value": format!("team-{}", i % 7)}]});
        if let Some(b) = boundary {
            u["PermissionsBoundary"] = b;
        }
        list.push(u);
        info.push(User { name, arn, human });
    }
    (list, info)
}

struct RoleSpec {
    name: String,
    path: &'static str,
    trust: Vec<Value>,
    attached: Vec<Value>,
    inline: Vec<Value>,
    boundary: bool,
    instance_profile: bool,
}

impl RoleSpec {
    fn new(name: String, trust: Vec<Value>) -> RoleSpec {
        RoleSpec {
            name,
            path: "/",
            trust,
            attached: Vec::new(),
            inline: Vec::new(),
            boundary: false,
            instance_profile: false,
        }
    }
}

fn fixed_roles(ctx: &mut Ctx, plan: &OrgPlan, single: bool) -> Vec<RoleSpec> {
    let acct = ctx.acct.id.clone();
    let root = |a: &str| format!("arn:aws:iam::{a}:root");
    let mut out = Vec::new();
    let mut slr = RoleSpec::new(
        "AWSServiceRoleForSupport".into(),
        vec![d::trust_service("support.amazonaws.com")],
    );
    slr.path = "/aws-service-role/support.amazonaws.com/";
    slr.attached
        .push(ctx.attached("arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"));
    out.push(slr);
    if ctx.acct.kind != Kind::Management {
        let mut r = RoleSpec::new(
            "OrganizationAccountAccessRole".into(),
            vec![d::trust_aws(vec![root(&plan.management_id)], None)],
        );
        r.attached.push(ctx.attached(ADMIN));
        out.push(r);
    }
    let glass_from = plan.hub.clone().unwrap_or_else(|| acct.clone());
    let mut r = RoleSpec::new(
        "break-glass".into(),
        vec![d::trust_aws(
            vec![root(&glass_from)],
            Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        )],
    );
    r.attached.push(ctx.attached(ADMIN));
    out.push(r);
    match plan.hub.as_deref() {
        Some(hub) if hub == acct => {
            for k in 0..5 {
                let mut r = RoleSpec::new(
                    format!("hub-operator-{k}"),
                    vec![d::trust_aws(vec![root(&acct)], None)],
                );
                r.inline.push(doc(vec![d::assume(vec![
                    "arn:aws:iam::*:role/hub-access".into(),
                    "arn:aws:iam::*:role/hub-readonly".into(),
                ])]));
                out.push(r);
            }
        }
        Some(hub) => {
            let operators: Vec<String> = (0..5)
                .map(|k| format!("arn:aws:iam::{hub}:role/hub-operator-{k}"))
                .collect();
            let mut r = RoleSpec::new("hub-access".into(), vec![d::trust_aws(operators, None)]);
            r.attached
                .push(ctx.attached(&format!("arn:aws:iam::{acct}:policy/developer-power-user")));
            out.push(r);
            let mut r = RoleSpec::new(
                "hub-readonly".into(),
                vec![d::trust_aws(vec![root(hub)], None)],
            );
            r.attached.push(ctx.attached(READ_ONLY));
            out.push(r);
        }
        None => {}
    }
    let ci = plan.ci.clone().or_else(|| single.then(|| acct.clone()));
    if let Some(ci) = ci.as_deref() {
        if ci == acct {
            let count = (ctx.acct.roles / 10).max(2);
            for k in 0..count {
                let repo = format!("repo-{k}");
                let sub = ctx.rng.chance(0.7).then_some(repo.as_str());
                let mut r = RoleSpec::new(format!("gha-{repo}"), vec![d::trust_github(&acct, sub)]);
                r.inline.push(doc(vec![d::assume(vec![
                    "arn:aws:iam::*:role/ci-deploy".into(),
                ])]));
                r.attached = ctx.app_attachments();
                out.push(r);
            }
        }
        if ci != acct || single {
            let mut r = RoleSpec::new(
                "ci-deploy".into(),
                vec![d::trust_aws(
                    vec![
                        format!("arn:aws:iam::{ci}:user/ci-deployer"),
                        format!("arn:aws:iam::{ci}:role/gha-repo-0"),
                    ],
                    None,
                )],
            );
            r.inline.push(doc(vec![
                json!({"Effect": "Allow", "Action": ["cloudformation:*", "lambda:*", "s3:*", "ecr:*"], "Resource": "*"}),
                json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{acct}:role/svc-*")}),
            ]));
            out.push(r);
        }
    }
    for v in 0..1 + ctx.rng.below(2) {
        let external = ctx
            .rng
            .chance(0.75)
            .then(|| json!({"StringEquals": {"sts:ExternalId": format!("example-external-{v}")}}));
        let mut r = RoleSpec::new(
            format!("vendor-{v}-audit"),
            vec![d::trust_aws(
                vec!["arn:aws:iam::999988887777:root".into()],
                external,
            )],
        );
        r.attached.push(ctx.attached(READ_ONLY));
        out.push(r);
    }
    out
}

fn filler_roles(ctx: &mut Ctx, teams: usize, count: usize, humans: &[String]) -> Vec<RoleSpec> {
    let acct = ctx.acct.id.clone();
    let chains = count * 35 / 100;
    let services = count * 40 / 100;
    let mut out = Vec::new();
    for c in 0..chains {
        let team = c % teams;
        let tier = (c / teams) % CHAIN_DEPTH;
        let n = c / (teams * CHAIN_DEPTH);
        let trust = if tier == 0 {
            d::trust_aws(vec![format!("arn:aws:iam::{acct}:root")], None)
        } else {
            d::trust_aws(
                vec![ctx.arn("role", &format!("team-{team:03}-t{}-{n}", tier - 1))],
                None,
            )
        };
        let mut r = RoleSpec::new(format!("team-{team:03}-t{tier}-{n}"), vec![trust]);
        let mut statements = d::app_statements(&mut ctx.rng, &acct, &format!("team-{team}"));
        if tier + 1 < CHAIN_DEPTH {
            statements.push(d::assume(vec![
                ctx.arn("role", &format!("team-{team:03}-t{}-*", tier + 1)),
            ]));
        } else if ctx.rng.chance(0.1) {
            statements.push(d::escalation_statement(&mut ctx.rng, &acct));
        } else if ctx.rng.chance(0.05) {
            r.attached.push(ctx.attached(ADMIN));
        }
        r.inline.push(doc(statements));
        r.boundary = ctx.rng.chance(0.2);
        out.push(r);
    }
    for s in 0..services {
        let service = SERVICES[ctx.rng.below(SERVICES.len())];
        let mut r = RoleSpec::new(
            format!("svc-{service}-{s}"),
            vec![d::trust_service(&format!("{service}.amazonaws.com"))],
        );
        r.attached = ctx.app_attachments();
        if ctx.rng.chance(0.3) {
            r.inline.push(doc(d::app_statements(
                &mut ctx.rng,
                &acct,
                &format!("svc-{s}"),
            )));
        }
        if ctx.rng.chance(0.01) {
            r.inline
                .push(doc(vec![d::escalation_statement(&mut ctx.rng, &acct)]));
        }
        r.boundary = ctx.rng.chance(0.3);
        r.instance_profile = service == "ec2";
        out.push(r);
    }
    for a in 0..count.saturating_sub(chains + services) {
        let principal = match ctx.rng.pick(humans) {
            Some(h) if ctx.rng.chance(0.1) => h.clone(),
            _ => format!("arn:aws:iam::{acct}:root"),
        };
        let condition = ctx.rng.chance(0.1).then(|| d::condition(&mut ctx.rng));
        let mut r = RoleSpec::new(
            format!("app-{a}"),
            vec![d::trust_aws(vec![principal], condition)],
        );
        r.attached = ctx.app_attachments();
        if ctx.rng.chance(0.05) {
            r.attached
                .push(ctx.attached(&ctx.arn("policy", "developer-power-user")));
        }
        r.boundary = ctx.rng.chance(0.25);
        out.push(r);
    }
    out
}

fn role_json(ctx: &mut Ctx, r: RoleSpec) -> Value {
    let arn = format!("arn:aws:iam::{}:role{}{}", ctx.acct.id, r.path, r.name);
    let inline: Vec<Value> = r
        .inline
        .into_iter()
        .enumerate()
        .map(|(i, d)| json!({"PolicyName": format!("inline-{i}"), "PolicyDocument": d}))
        .collect();
    let profiles: Vec<Value> = if r.instance_profile {
        vec![
            json!({"Path": "/", "InstanceProfileName": r.name, "InstanceProfileId": ctx.id("AIPA"),
            "Arn": format!("arn:aws:iam::{}:instance-profile/{}", ctx.acct.id, r.name)}),
        ]
    } else {
        Vec::new()
    };
    let mut v = json!({"Path": r.path, "RoleName": r.name, "RoleId": ctx.id("AROA"), "Arn": arn,
        "CreateDate": date(&mut ctx.rng), "AssumeRolePolicyDocument": d::trust(r.trust),
        "InstanceProfileList": profiles, "RolePolicyList": inline,
        "AttachedManagedPolicies": r.attached, "Tags": [], "RoleLastUsed": {}});
    if r.boundary {
        v["PermissionsBoundary"] = ctx.boundary();
    }
    v
}

pub fn generate(plan: &OrgPlan, acct: &AccountPlan, rng: Rng) -> Output {
    let mut ctx = Ctx {
        acct,
        rng,
        ids: 0,
        app_policies: Vec::new(),
    };
    let single = plan.accounts.len() == 1;
    let teams = (acct.users / 15).clamp(1, 200);
    let mut policies = policies(&mut ctx, teams);
    let groups = groups(&mut ctx, teams, plan.hub.as_deref());
    let names: Vec<String> = groups
        .iter()
        .filter_map(|g| g["GroupName"].as_str().map(String::from))
        .collect();
    let is_ci = plan.ci.as_deref() == Some(acct.id.as_str()) || single;
    let (user_list, users) = users(&mut ctx, &names, is_ci);
    let humans: Vec<String> = users
        .iter()
        .filter(|u| u.human)
        .map(|u| u.arn.clone())
        .collect();
    let mut specs = fixed_roles(&mut ctx, plan, single);
    let fill = acct.roles.saturating_sub(specs.len());
    specs.extend(filler_roles(&mut ctx, teams, fill, &humans));
    specs.truncate(QUOTA);
    let roles: Vec<Value> = specs.into_iter().map(|r| role_json(&mut ctx, r)).collect();
    // The AWS managed service-linked policy some roles attach.
    policies.push(managed(
        &mut ctx,
        "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy".into(),
        "AWSSupportServiceRolePolicy",
        doc(vec![
            json!({"Effect": "Allow", "Action": ["support:*", "iam:GetRole"], "Resource": "*"}),
        ]),
        None,
    ));
    Output {
        gaad: json!({"UserDetailList": user_list, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}),
        users,
    }
}
