//! Every example of the spec, located, for tests that decode them into the generated types.

use serde_json::Value;

use crate::Error;
use crate::spec::{Node, Spec};

/// Which part of an exchange an example shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A request body.
    Request,
    /// A response body with this status (`0` = `default`).
    Response(u16),
    /// A whole webhook POST body of this event type.
    Webhook(String),
}

/// One example value and where it sits in the spec.
#[derive(Debug, Clone)]
pub struct Example {
    /// `operationId` (or webhook `operationId`).
    pub operation_id: String,
    /// HTTP method, upper case (`POST` for webhooks).
    pub method: String,
    /// Path template (empty for webhooks).
    pub path: String,
    /// Request, response or webhook.
    pub part: Part,
    /// Media type the example is given for.
    pub media_type: String,
    /// The example's name.
    pub name: String,
    /// `file#pointer` of the example.
    pub location: String,
    /// The value.
    pub value: Value,
}

/// Collects every `content.<media>.examples.<name>.value` of every operation and webhook.
pub fn collect(spec: &Spec) -> Result<Vec<Example>, Error> {
    let root = spec.root();
    let mut out = Vec::new();
    for (section, is_webhook) in [("paths", false), ("webhooks", true)] {
        let Some(items) = root.get(section) else {
            continue;
        };
        for (key, item) in items.entries()? {
            let item = item.resolve()?;
            for (method, op) in item.entries()? {
                if !matches!(method, "get" | "put" | "post" | "delete" | "patch") {
                    continue;
                }
                let op_id = op.str("operationId")?.unwrap_or_default().to_string();
                let (path, part_req) = if is_webhook {
                    (String::new(), Part::Webhook(key.to_string()))
                } else {
                    (key.to_string(), Part::Request)
                };
                if let Some(rb) = op.get("requestBody") {
                    let rb = rb.resolve()?;
                    push_media(&mut out, &rb, &op_id, method, &path, part_req.clone())?;
                }
                if let Some(responses) = op.get("responses") {
                    for (code, resp) in responses.entries()? {
                        let status = if code == "default" {
                            0
                        } else {
                            code.parse().unwrap_or(0)
                        };
                        let resp = resp.resolve()?;
                        push_media(
                            &mut out,
                            &resp,
                            &op_id,
                            method,
                            &path,
                            Part::Response(status),
                        )?;
                    }
                }
            }
        }
    }
    Ok(out)
}

fn push_media(
    out: &mut Vec<Example>,
    holder: &Node<'_>,
    op_id: &str,
    method: &str,
    path: &str,
    part: Part,
) -> Result<(), Error> {
    let Some(content) = holder.get("content") else {
        return Ok(());
    };
    for (media, m) in content.entries()? {
        let Some(examples) = m.get("examples") else {
            continue;
        };
        for (name, ex) in examples.entries()? {
            let ex = ex.resolve()?;
            let Some(value) = ex.get("value") else {
                continue;
            };
            out.push(Example {
                operation_id: op_id.to_string(),
                method: method.to_uppercase(),
                path: path.to_string(),
                part: part.clone(),
                media_type: media.to_string(),
                name: name.to_string(),
                location: ex.location(),
                value: value.value.clone(),
            });
        }
    }
    Ok(())
}
