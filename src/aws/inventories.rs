//! Inventories of the resources escalation techniques need (`aws/<ACCOUNT_ID>/<kind>.json`),
//! read from the AWS CLI's own output. A kind whose file is absent was not collected: the
//! techniques that need it stay conditional.

use super::load::{SourceFile, read};
use super::model::{Account, InventoryItem};
use crate::snapshot::{LoadError, json};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// One kind of inventory: its file, the CLI command that prints it, and where the items and
/// their roles sit in that output.
pub struct Kind {
    pub name: &'static str,
    pub command: &'static str,
    /// Keys to walk from the top to the list of items; an array found on the way is walked
    /// through (EC2's `Reservations[].Instances[]`).
    path: &'static [&'static str],
    id: &'static [&'static str],
    role: &'static [&'static str],
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "ec2-instances",
        command: "aws ec2 describe-instances",
        path: &["Reservations", "Instances"],
        id: &["InstanceId"],
        role: &["IamInstanceProfile", "Arn"],
    },
    Kind {
        name: "lambda-functions",
        command: "aws lambda list-functions",
        path: &["Functions"],
        id: &["FunctionArn"],
        role: &["Role"],
    },
    Kind {
        name: "glue-dev-endpoints",
        command: "aws glue get-dev-endpoints",
        path: &["DevEndpoints"],
        id: &["EndpointName"],
        role: &["RoleArn"],
    },
    Kind {
        name: "sagemaker-notebooks",
        command: "aws sagemaker describe-notebook-instance (each, merged under NotebookInstances)",
        path: &["NotebookInstances"],
        id: &["NotebookInstanceArn"],
        role: &["RoleArn"],
    },
    Kind {
        name: "cloudformation-stacks",
        command: "aws cloudformation describe-stacks",
        path: &["Stacks"],
        id: &["StackId"],
        role: &["RoleARN"],
    },
    Kind {
        name: "codebuild-projects",
        command: "aws codebuild batch-get-projects",
        path: &["projects"],
        id: &["arn"],
        role: &["serviceRole"],
    },
];

/// Reads every inventory file present in an account directory.
pub fn read_all(account: &mut Account, dir: &Path) -> Result<(), LoadError> {
    for kind in KINDS {
        let path = dir.join(format!("{}.json", kind.name));
        if !path.is_file() {
            continue;
        }
        let file = SourceFile {
            disk: &path,
            relative: Arc::from(format!("aws/{}/{}.json", account.id, kind.name).as_str()),
        };
        let bytes = read(file.disk)?;
        let value: Value = json::from_slice(file.disk, &bytes)?;
        // A collector may save one output per region as an array of them.
        let outputs: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut items = Vec::new();
        for output in outputs {
            collect(output, kind.path, &mut |item| {
                let id = dig(item, kind.id)
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                let runs_as = dig(item, kind.role)
                    .and_then(Value::as_str)
                    .map(str::to_string);
                items.push(InventoryItem { id, runs_as });
            });
        }
        account.inventories.insert(kind.name, items);
    }
    Ok(())
}

fn collect<'a>(value: &'a Value, path: &[&str], found: &mut dyn FnMut(&'a Value)) {
    match (value, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|v| collect(v, path, found)),
        (_, None) => found(value),
        (Value::Object(map), Some((key, rest))) => {
            if let Some(v) = map.get(*key) {
                collect(v, rest, found);
            }
        }
        _ => {}
    }
}

fn dig<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_and_roles_come_out_of_cli_shapes() {
        let ec2 = json!({"Reservations": [{"Instances": [
            {"InstanceId": "i-1", "IamInstanceProfile": {"Arn": "arn:aws:iam::1:instance-profile/web"}},
            {"InstanceId": "i-2"}]}]});
        let mut items = Vec::new();
        collect(&ec2, KINDS[0].path, &mut |i| {
            items.push((dig(i, KINDS[0].id).cloned(), dig(i, KINDS[0].role).cloned()))
        });
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].1,
            Some(json!("arn:aws:iam::1:instance-profile/web"))
        );
        assert_eq!(items[1].1, None);
    }
}
