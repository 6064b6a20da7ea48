"""Creates a realistic account in a moto server, and writes the same identities by hand as
a snapshot, so that a test can compare the analysis of a collected snapshot with the
analysis of the hand-written one.

usage: populate.py ENDPOINT HANDWRITTEN_DIR
prints: {"account": ..., "keys": {user: key id}, "roles": [...], "member_account": ...}

Setup only: this script writes to moto. The collector under test never does.
"""

import io
import json
import os
import sys
import zipfile

import boto3

endpoint, out_dir = sys.argv[1], sys.argv[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"


def client(service, **creds):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds.get("key", "testing"),
        aws_secret_access_key=creds.get("secret", "testing"),
        aws_session_token=creds.get("token"),
    )


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def arn(kind, name, path="/", account=ACCOUNT):
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = doc(allow("*"))
OIDC_URL = "token.actions.githubusercontent.com"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_URL}"

# The account, as data: the same spec goes to moto and to the hand-written files.
MANAGED = {
    "deploy-permissions": {
        "path": "/",
        # Version 1 allowed everything; version 2 is the default and narrower.
        "versions": [
            doc(allow("*")),
            doc(
                allow("sts:AssumeRole", arn("role", "admin-break-glass")),
                allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-artifacts/*"),
            ),
        ],
    },
    "deploy-boundary": {
        "path": "/boundaries/",
        "versions": [doc(allow(["sts:AssumeRole", "s3:*", "kms:Decrypt"]))],
    },
    "read-secrets": {
        "path": "/",
        "versions": [doc(allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/*"))],
    },
}

GROUPS = {
    "developers": {
        "path": "/",
        "inline": {"read-artifacts": doc(allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::acme-artifacts", "arn:aws:s3:::acme-artifacts/*"]))},
        "managed": ["read-secrets"],
    },
}

USERS = {
    "ci-deployer": {
        "path": "/automation/",
        "groups": [],
        "inline": {"assume-deploy": doc(allow("sts:AssumeRole", arn("role", "deploy", "/ci/")))},
        "managed": [],
        "keys": 1,
    },
    "alice": {"path": "/", "groups": ["developers"], "inline": {}, "managed": [], "keys": 1},
    "bob": {"path": "/", "groups": ["developers"], "inline": {}, "managed": [ADMIN], "keys": 2},
    "auditor": {
        "path": "/",
        "groups": [],
        "inline": {"audit": doc(allow(["iam:Get*", "iam:List*"]))},
        "managed": [],
        "keys": 0,
    },
}


def trust(principal, **extra):
    return doc(dict({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}, **extra))


ROLES = {
    "deploy": {
        "path": "/ci/",
        "trust": trust({"AWS": arn("user", "ci-deployer", "/automation/")}),
        "managed": ["deploy-permissions"],
        "inline": {},
        "boundary": "deploy-boundary",
        "max": 7200,
    },
    "admin-break-glass": {
        "path": "/",
        "trust": trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        "managed": [ADMIN],
        "inline": {},
        "boundary": None,
        "max": 3600,
    },
    "lambda-exec": {
        "path": "/service/",
        "trust": trust({"Service": "lambda.amazonaws.com"}),
        "managed": ["read-secrets"],
        "inline": {"logs": doc(allow(["logs:CreateLogStream", "logs:PutLogEvents"]))},
        "boundary": None,
        "max": 3600,
    },
    "ec2-app": {
        "path": "/",
        "trust": trust({"Service": "ec2.amazonaws.com"}),
        "managed": [],
        "inline": {"artifacts": doc(allow("s3:GetObject", "arn:aws:s3:::acme-artifacts/*"))},
        "boundary": None,
        "max": 3600,
    },
    "github-deploy": {
        "path": "/",
        "trust": doc({
            "Effect": "Allow",
            "Principal": {"Federated": OIDC_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {f"{OIDC_URL}:sub": "repo:acme/app:*"}},
        }),
        "managed": ["deploy-permissions"],
        "inline": {},
        "boundary": None,
        "max": 3600,
    },
}


def managed_arn(name):
    return name if name.startswith("arn:") else arn("policy", name, MANAGED[name]["path"])


def populate():
    iam = client("iam")
    for name, p in MANAGED.items():
        iam.create_policy(PolicyName=name, Path=p["path"], PolicyDocument=json.dumps(p["versions"][0]))
        for v in p["versions"][1:]:
            iam.create_policy_version(PolicyArn=managed_arn(name), PolicyDocument=json.dumps(v), SetAsDefault=True)
    for name, g in GROUPS.items():
        iam.create_group(GroupName=name, Path=g["path"])
        for pname, d in g["inline"].items():
            iam.put_group_policy(GroupName=name, PolicyName=pname, PolicyDocument=json.dumps(d))
        for m in g["managed"]:
            iam.attach_group_policy(GroupName=name, PolicyArn=managed_arn(m))
    keys = {}
    for name, u in USERS.items():
        iam.create_user(UserName=name, Path=u["path"])
        for g in u["groups"]:
            iam.add_user_to_group(GroupName=g, UserName=name)
        for pname, d in u["inline"].items():
            iam.put_user_policy(UserName=name, PolicyName=pname, PolicyDocument=json.dumps(d))
        for m in u["managed"]:
            iam.attach_user_policy(UserName=name, PolicyArn=managed_arn(m))
        for _ in range(u["keys"]):
            keys.setdefault(name, []).append(iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"])
    # bob's second key is deactivated: it stays in the graph, conditionally.
    iam.update_access_key(UserName="bob", AccessKeyId=keys["bob"][1], Status="Inactive")
    iam.create_open_id_connect_provider(Url=f"https://{OIDC_URL}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
    for name, r in ROLES.items():
        iam.create_role(RoleName=name, Path=r["path"], AssumeRolePolicyDocument=json.dumps(r["trust"]), MaxSessionDuration=r["max"])
        for pname, d in r["inline"].items():
            iam.put_role_policy(RoleName=name, PolicyName=pname, PolicyDocument=json.dumps(d))
        for m in r["managed"]:
            iam.attach_role_policy(RoleName=name, PolicyArn=managed_arn(m))
        if r["boundary"]:
            iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=managed_arn(r["boundary"]))
    iam.create_instance_profile(InstanceProfileName="ec2-app")
    iam.add_role_to_instance_profile(InstanceProfileName="ec2-app", RoleName="ec2-app")
    resources = populate_resources()
    return keys, resources


BUCKET_POLICY = doc(dict(allow("s3:GetObject", "arn:aws:s3:::acme-artifacts/*"), Principal={"AWS": "arn:aws:iam::444455556666:root"}, Sid="PartnerRead"))


def populate_resources():
    s3 = client("s3")
    s3.create_bucket(Bucket="acme-artifacts")
    s3.put_bucket_policy(Bucket="acme-artifacts", Policy=json.dumps(BUCKET_POLICY))
    s3.create_bucket(Bucket="acme-logs")
    kms = client("kms")
    key_policy = doc(dict(allow("kms:*"), Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Sid="Enable IAM policies"),
                     dict(allow("kms:Decrypt"), Principal={"AWS": arn("role", "ec2-app")}, Sid="AppDecrypt"))
    key = kms.create_key(Policy=json.dumps(key_policy), Description="artifacts")["KeyMetadata"]
    sm = client("secretsmanager")
    secret = sm.create_secret(Name="prod/db", SecretString="not-a-real-secret")
    secret_policy = doc(dict(allow("secretsmanager:GetSecretValue"), Principal={"AWS": arn("role", "ec2-app")}))
    sm.put_resource_policy(SecretId="prod/db", ResourcePolicy=json.dumps(secret_policy))
    sqs = client("sqs")
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"
    queue_policy = doc(dict(allow("sqs:SendMessage", queue_arn), Principal={"AWS": arn("user", "alice")}))
    sqs.create_queue(QueueName="orders", Attributes={"Policy": json.dumps(queue_policy)})
    sns = client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    topic_policy = doc(dict(allow("sns:Publish", topic), Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(topic_policy))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    lam = client("lambda")
    fn = lam.create_function(FunctionName="processor", Runtime="python3.12", Role=arn("role", "lambda-exec", "/service/"),
                             Handler="handler.handler", Code={"ZipFile": buf.getvalue()},
                             Environment={"Variables": {"DB_PASSWORD": "hunter2-not-to-be-collected"}})
    ec2 = client("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                      IamInstanceProfile={"Name": "ec2-app"})["Instances"][0]
    cfn = client("cloudformation")
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "cfn-queue"}}}}
    stack = cfn.create_stack(StackName="app", TemplateBody=json.dumps(template), RoleARN=arn("role", "deploy", "/ci/"))
    cb = client("codebuild")
    project = cb.create_project(name="app-build", source={"type": "S3", "location": "acme-artifacts/source.zip"},
                      artifacts={"type": "NO_ARTIFACTS"},
                      environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
                                   "environmentVariables": [{"name": "TOKEN", "value": "plaintext-not-to-be-collected"}]},
                      serviceRole=arn("role", "deploy", "/ci/"))
    notebook = client("sagemaker").create_notebook_instance(NotebookInstanceName="research", InstanceType="ml.t3.medium",
                                                 RoleArn=arn("role", "ec2-app"))
    client("glue").create_dev_endpoint(EndpointName="etl-dev", RoleArn=arn("role", "ec2-app"))
    # The inventories, as the aws CLI prints them (the fields the analysis reads).
    inventories = {
        "ec2-instances": {"Reservations": [{"Instances": [{
            "InstanceId": instance["InstanceId"],
            "IamInstanceProfile": {"Arn": instance["IamInstanceProfile"]["Arn"]}}]}]},
        "lambda-functions": {"Functions": [{"FunctionName": "processor", "FunctionArn": fn["FunctionArn"],
                                            "Role": arn("role", "lambda-exec", "/service/")}]},
        "glue-dev-endpoints": {"DevEndpoints": [{"EndpointName": "etl-dev", "RoleArn": arn("role", "ec2-app")}]},
        "sagemaker-notebooks": {"NotebookInstances": [{"NotebookInstanceName": "research",
                                                       "NotebookInstanceArn": notebook["NotebookInstanceArn"],
                                                       "RoleArn": arn("role", "ec2-app")}]},
        "cloudformation-stacks": {"Stacks": [{"StackName": "app", "StackId": stack["StackId"],
                                              "RoleARN": arn("role", "deploy", "/ci/")}]},
        "codebuild-projects": {"projects": [{"name": "app-build", "arn": project["project"]["arn"],
                                             "serviceRole": arn("role", "deploy", "/ci/")}]},
    }
    return {
        "inventories": inventories,
        "policies": [
            ("arn:aws:s3:::acme-artifacts", BUCKET_POLICY),
            ("arn:aws:s3:::acme-logs", None),
            (key["Arn"], key_policy),
            (secret["ARN"], secret_policy),
            (fn["FunctionArn"], None),
            (queue_arn, queue_policy),
            # The stack's own resource: CloudFormation created it.
            (f"arn:aws:sqs:{REGION}:{ACCOUNT}:cfn-queue", None),
            (topic, topic_policy),
        ],
    }


def populate_org():
    """An organisation with one member account and an SCP on its OU; the member holds a
    user and a role, written through the role that --member-role assumes."""
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    member = org.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    scp = org.create_policy(Name="deny-leave", Type="SERVICE_CONTROL_POLICY", Description="no leaving",
                            Content=json.dumps(doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})))
    org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=ou)
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="setup")["Credentials"]
    miam = client("iam", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    # moto, like AWS, creates OrganizationAccountAccessRole with the account.
    miam.create_user(UserName="prod-ci")
    key = miam.create_access_key(UserName="prod-ci")["AccessKey"]["AccessKeyId"]
    return member, key


def write_handwritten(keys, resources):
    """The same account as files, the way a person writes them with the aws CLI."""
    base = os.path.join(out_dir, "aws", ACCOUNT)
    os.makedirs(base, exist_ok=True)
    policies = []
    for name, p in MANAGED.items():
        versions = [{"Document": d, "VersionId": f"v{i + 1}", "IsDefaultVersion": i == len(p["versions"]) - 1}
                    for i, d in enumerate(p["versions"])]
        policies.append({"PolicyName": name, "Arn": managed_arn(name), "Path": p["path"],
                         "DefaultVersionId": f"v{len(versions)}", "PolicyVersionList": versions})
    policies.append({"PolicyName": "AdministratorAccess", "Arn": ADMIN, "DefaultVersionId": "v1",
                     "PolicyVersionList": [{"Document": ADMIN_DOC, "VersionId": "v1", "IsDefaultVersion": True}]})
    inline = lambda d: [{"PolicyName": k, "PolicyDocument": v} for k, v in d.items()]
    attached = lambda ms: [{"PolicyArn": managed_arn(m)} for m in ms]
    gaad = {
        "UserDetailList": [
            {"UserName": n, "UserId": f"AIDA{i:017d}", "Path": u["path"], "Arn": arn("user", n, u["path"]),
             "UserPolicyList": inline(u["inline"]), "GroupList": u["groups"], "AttachedManagedPolicies": attached(u["managed"])}
            for i, (n, u) in enumerate(USERS.items())
        ],
        "GroupDetailList": [
            {"GroupName": n, "GroupId": f"AGPA{i:017d}", "Path": g["path"], "Arn": arn("group", n, g["path"]),
             "GroupPolicyList": inline(g["inline"]), "AttachedManagedPolicies": attached(g["managed"])}
            for i, (n, g) in enumerate(GROUPS.items())
        ],
        "RoleDetailList": [
            dict({"RoleName": n, "RoleId": f"AROA{i:017d}", "Path": r["path"], "Arn": arn("role", n, r["path"]),
                  "AssumeRolePolicyDocument": r["trust"], "RolePolicyList": inline(r["inline"]),
                  "AttachedManagedPolicies": attached(r["managed"]), "MaxSessionDuration": r["max"]},
                 **({"PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": managed_arn(r["boundary"])}}
                    if r["boundary"] else {}))
            for i, (n, r) in enumerate(ROLES.items())
        ],
        "Policies": policies,
    }
    with open(os.path.join(base, "gaad.json"), "w") as f:
        json.dump(gaad, f, indent=2)
    key_list = []
    for user, ids in keys.items():
        for i, k in enumerate(ids):
            status = "Inactive" if (user, i) == ("bob", 1) else "Active"
            key_list.append({"UserName": user, "AccessKeyId": k, "Status": status})
    with open(os.path.join(base, "access-keys.json"), "w") as f:
        json.dump({"AccessKeyMetadata": key_list}, f, indent=2)
    for name, value in resources["inventories"].items():
        with open(os.path.join(base, f"{name}.json"), "w") as f:
            json.dump(value, f, indent=2)
    with open(os.path.join(base, "resource-policies.json"), "w") as f:
        json.dump({"Policies": [{"ResourceArn": a, "Policy": p} for a, p in resources["policies"]]}, f, indent=2)


if __name__ == "__main__":
    keys, resources = populate()
    member, member_key = populate_org()
    write_handwritten(keys, resources)
    print(json.dumps({
        "account": ACCOUNT,
        "keys": keys,
        "roles": [arn("role", n, r["path"]) for n, r in ROLES.items()],
        "users": [arn("user", n, u["path"]) for n, u in USERS.items()],
        "member_account": member,
        "member_key": member_key,
    }))
