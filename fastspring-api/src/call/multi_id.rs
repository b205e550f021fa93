//! Multi-ID reads (`x-fs-multi-id`): encode each ID, split long lists into requests of
//! at most `MAX_IDS_PER_REQUEST` IDs, and flatten whatever shape FastSpring answers with.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::decode::{decode_json, decode_value};
use crate::error::Error;
use crate::request::{
    MAX_IDS_PER_REQUEST, MAX_JOINED_ID_LEN, OperationMeta, Request, encode_path_param,
};

/// Fetches several resources through a comma-separated-ID path: encodes each ID, joins
/// them with `,`, splits long lists, and flattens whatever shape FastSpring answers with
/// (a bare object for one ID, `{"<items>": [..]}` for several).
pub async fn get_many<T: DeserializeOwned>(
    client: &Client,
    meta: &'static OperationMeta,
    template: Request,
    placeholder: &str,
    items_key: &str,
    ids: &[String],
) -> Result<Vec<T>, Error> {
    let lookup = Lookup {
        meta,
        template,
        placeholder,
        items_key,
        per_request: MAX_IDS_PER_REQUEST,
    };
    fetch(client, &lookup, ids, decode_value)
        .await?
        .into_iter()
        .collect()
}

/// A lookup by ID as the runtime sends it: the operation, its request built with
/// `placeholder` as the ID, the wrapper's array, and how many IDs one request takes.
pub(crate) struct Lookup<'p> {
    pub meta: &'static OperationMeta,
    pub template: Request,
    pub placeholder: &'p str,
    pub items_key: &'p str,
    pub per_request: usize,
}

/// Sends `ids` through `lookup` (as few requests as its limits allow) and gives every
/// element of the answers, bare object or wrapper item, to `each` with its location
/// (`orders[3].`, or empty for a bare object).
pub(crate) async fn fetch<R>(
    client: &Client,
    lookup: &Lookup<'_>,
    ids: &[String],
    each: impl Fn(&'static OperationMeta, u16, &str, Value) -> R,
) -> Result<Vec<R>, Error> {
    let meta = lookup.meta;
    let items_key = lookup.items_key;
    let (marker, chunks) = joined_chunks(meta, lookup.placeholder, ids, lookup.per_request)?;
    let mut out = Vec::new();
    for joined in chunks {
        let mut request = lookup.template.clone();
        request.path = request.path.replace(&marker, &joined);
        let (status, body) = client.execute(request).await?;
        let value: Value = decode_json(meta.id, false, status, &body)?;
        let (items, prefix) = match value {
            Value::Object(mut map) if map.get(items_key).is_some_and(Value::is_array) => {
                match map.remove(items_key) {
                    Some(Value::Array(items)) => (items, items_key.to_string()),
                    _ => (Vec::new(), String::new()),
                }
            }
            other => (vec![other], String::new()),
        };
        for (index, item) in items.into_iter().enumerate() {
            let at = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}[{index}].")
            };
            out.push(each(meta, status, &at, item));
        }
    }
    Ok(out)
}

/// The encoded placeholder, and `ids` percent-encoded one by one and joined with `,`
/// into groups of at most `per_request` IDs and `MAX_JOINED_ID_LEN` characters, one
/// group per request.
pub(crate) fn joined_chunks(
    meta: &'static OperationMeta,
    placeholder: &str,
    ids: &[String],
    per_request: usize,
) -> Result<(String, Vec<String>), Error> {
    let marker = encode_path_param(meta.id, "id", placeholder)?;
    let mut encoded = Vec::with_capacity(ids.len());
    for id in ids {
        encoded.push(
            encode_path_param(meta.id, "id", id).map_err(|_| Error::InvalidInput {
                operation: meta.id,
                message: format!("ID {id:?} cannot be sent as a path segment"),
            })?,
        );
    }
    let mut chunk: Vec<&str> = Vec::new();
    let mut chunks: Vec<String> = Vec::new();
    let mut len = 0;
    for id in &encoded {
        if !chunk.is_empty()
            && (chunk.len() >= per_request || len + id.len() + 1 > MAX_JOINED_ID_LEN)
        {
            chunks.push(chunk.join(","));
            chunk.clear();
            len = 0;
        }
        len += id.len() + 1;
        chunk.push(id);
    }
    if !chunk.is_empty() {
        chunks.push(chunk.join(","));
    }
    Ok((marker, chunks))
}
