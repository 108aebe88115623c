//! The table, created from its one description: the `AWS::DynamoDB::Table` resource of
//! `infra/template.yaml`. Keys, attribute types and GSIs are read from there, so the local
//! table and every test table are the production table.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use serde_yaml::Value;

/// The SAM template, compiled in so that tests and the gateway need no path at run time.
pub const TEMPLATE: &str = include_str!("../../template.yaml");

/// The table's definition as the template states it.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub attributes: Vec<AttributeDefinition>,
    pub key: Vec<KeySchemaElement>,
    pub indexes: Vec<GlobalSecondaryIndex>,
    pub ttl_attribute: Option<String>,
}

fn s<'a>(v: &'a Value, field: &str) -> Result<&'a str, String> {
    v.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("template: missing {field}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>, String> {
    v.as_sequence()
        .ok_or("template: KeySchema must be a list")?
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(s(k, "AttributeName")?)
                .key_type(KeyType::from(s(k, "KeyType")?))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

impl TableSpec {
    /// Reads the first `AWS::DynamoDB::Table` of a CloudFormation/SAM template.
    pub fn from_template(template: &str) -> Result<Self, String> {
        let doc: Value = serde_yaml::from_str(template).map_err(|e| format!("template: {e}"))?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or("template: no Resources")?;
        let props = resources
            .values()
            .find(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
            .and_then(|r| r.get("Properties"))
            .ok_or("template: no AWS::DynamoDB::Table")?;
        let attributes = props
            .get("AttributeDefinitions")
            .and_then(Value::as_sequence)
            .ok_or("template: no AttributeDefinitions")?
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(s(a, "AttributeName")?)
                    .attribute_type(ScalarAttributeType::from(s(a, "AttributeType")?))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, String>>()?;
        let key = key_schema(props.get("KeySchema").ok_or("template: no KeySchema")?)?;
        let indexes = props
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
            .map(|list| list.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|g| {
                let projection = g
                    .get("Projection")
                    .ok_or("template: GSI without Projection")?;
                let mut p = Projection::builder()
                    .projection_type(ProjectionType::from(s(projection, "ProjectionType")?));
                if let Some(attrs) = projection
                    .get("NonKeyAttributes")
                    .and_then(Value::as_sequence)
                {
                    for a in attrs.iter().filter_map(Value::as_str) {
                        p = p.non_key_attributes(a);
                    }
                }
                GlobalSecondaryIndex::builder()
                    .index_name(s(g, "IndexName")?)
                    .set_key_schema(Some(key_schema(
                        g.get("KeySchema")
                            .ok_or("template: GSI without KeySchema")?,
                    )?))
                    .projection(p.build())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, String>>()?;
        let ttl_attribute = props
            .get("TimeToLiveSpecification")
            .and_then(|t| t.get("AttributeName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Self {
            attributes,
            key,
            indexes,
            ttl_attribute,
        })
    }
}

/// A client of DynamoDB Local, which accepts any credentials: fixed ones, so that no
/// credential chain is searched and nothing of the developer's AWS profile is used. Its
/// timeouts and retries are the functions' own (`aftersales::config`).
pub fn dynamodb_local_client(endpoint: &str) -> Client {
    dynamodb_local_client_with(endpoint, aftersales::config::DynamoTimeouts::from_env())
}

/// As [`dynamodb_local_client`], with the given timeouts.
pub fn dynamodb_local_client_with(
    endpoint: &str,
    timeouts: aftersales::config::DynamoTimeouts,
) -> Client {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "dynamodb-local",
        ));
    Client::from_conf(aftersales::config::dynamodb_settings(builder, timeouts).build())
}

/// Creates `table` from the template unless it exists. Returns whether it was created.
pub async fn ensure_table(client: &Client, table: &str) -> Result<bool, String> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return Ok(false),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(format!(
                "cannot reach DynamoDB to describe table {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            ));
        }
    }
    let spec = TableSpec::from_template(TEMPLATE)?;
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(spec.attributes))
        .set_key_schema(Some(spec.key))
        .set_global_secondary_indexes((!spec.indexes.is_empty()).then_some(spec.indexes))
        .send()
        .await
        .map_err(|e| {
            format!(
                "create table {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    if let Some(attr) = spec.ttl_attribute {
        let ttl = aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
            .attribute_name(attr)
            .enabled(true)
            .build()
            .map_err(|e| e.to_string())?;
        // DynamoDB Local accepts the setting but never deletes; reads check expiry themselves.
        let _ = client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sam_template_describes_the_keys_and_indexes_the_store_uses() {
        let spec = TableSpec::from_template(TEMPLATE).unwrap();
        let names: Vec<&str> = spec.indexes.iter().map(|i| i.index_name()).collect();
        for index in [
            aftersales::store::keys::Index::Customer,
            aftersales::store::keys::Index::Status,
            aftersales::store::keys::Index::AllCases,
        ] {
            assert!(
                names.contains(&index.name()),
                "{} missing from the template",
                index.name()
            );
            let gsi = spec
                .indexes
                .iter()
                .find(|i| i.index_name() == index.name())
                .unwrap();
            let keys: Vec<&str> = gsi
                .key_schema()
                .iter()
                .map(|k| k.attribute_name())
                .collect();
            assert_eq!(keys, [index.pk(), index.sk()]);
        }
        assert_eq!(spec.ttl_attribute.as_deref(), Some("expires_at"));
    }
}
