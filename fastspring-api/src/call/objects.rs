//! Listings that answer with IDs or with whole objects depending on the filters
//! (`x-fs-paging` with `resolve`): `objects()` streams every item as the object. The
//! objects of a page come as they are; the IDs of a page are fetched through the
//! group's lookup (`x-fs-unwrap`; several IDs per request where it takes them), and
//! every item keeps its place in the listing.

use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::call::multi_id::{Lookup, fetch};
use crate::call::paging::{page_values, take_items};
use crate::call::single::lookup_item;
use crate::client::Client;
use crate::decode::decode_value;
use crate::error::{DecodeError, Error};
use crate::request::{MAX_IDS_PER_REQUEST, OperationMeta, Request};

/// The lookup that turns a listing's IDs into objects (generated code builds it).
pub struct Resolver {
    /// The lookup operation.
    pub meta: &'static OperationMeta,
    /// Its request, built with `placeholder` as the ID.
    pub template: Result<Request, Error>,
    /// The stand-in ID in `template`'s path.
    pub placeholder: &'static str,
    /// The array of the lookup's wrapper answer.
    pub items: &'static str,
    /// Whether one request takes several comma-separated IDs (`x-fs-multi-id`).
    pub several: bool,
}

/// Every item of every page of a listing, as the object `T`: objects decoded in place,
/// IDs fetched through `resolver` (one lookup per page's IDs).
pub fn objects<'a, T: DeserializeOwned + Send + 'a>(
    client: &'a Client,
    request: Result<Request, Error>,
    items_key: &'static str,
    resolver: Resolver,
) -> impl Stream<Item = Result<T, Error>> + Send + 'a {
    let template = match resolver.template {
        Ok(template) => template,
        Err(e) => return futures_util::stream::once(async { Err(e) }).left_stream(),
    };
    let lookup = std::sync::Arc::new(Lookup {
        meta: resolver.meta,
        template,
        placeholder: resolver.placeholder,
        items_key: resolver.items,
        per_request: if resolver.several {
            MAX_IDS_PER_REQUEST
        } else {
            1
        },
    });
    page_values(client, request)
        .then(move |page| {
            let lookup = lookup.clone();
            async move { page_objects(client, &lookup, items_key, page).await }
        })
        .flat_map(futures_util::stream::iter)
        .right_stream()
}

/// The objects of one page, in the listing's order.
async fn page_objects<T: DeserializeOwned>(
    client: &Client,
    lookup: &Lookup<'_>,
    items_key: &'static str,
    page: Result<(&'static OperationMeta, u16, Value), Error>,
) -> Vec<Result<T, Error>> {
    let (meta, status, mut value) = match page {
        Ok(page) => page,
        Err(e) => return vec![Err(e)],
    };
    let items = match take_items(meta, &mut value, items_key) {
        Ok(items) => items,
        Err(e) => return vec![Err(e)],
    };
    // `None` marks an ID, filled once the page's IDs are fetched.
    let mut out: Vec<Option<Result<T, Error>>> = Vec::with_capacity(items.len());
    let mut ids = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match item {
            Value::String(id) => {
                ids.push(id);
                out.push(None);
            }
            object => out.push(Some(decode_value(
                meta,
                status,
                &format!("{items_key}[{index}]."),
                object,
            ))),
        }
    }
    if !ids.is_empty() {
        let mut slots = out.iter_mut().filter(|slot| slot.is_none());
        match fetch(client, lookup, &ids, lookup_item::<T>).await {
            Ok(found) if found.len() == ids.len() => {
                for (slot, object) in slots.zip(found) {
                    *slot = Some(object);
                }
            }
            Ok(found) => {
                let message = format!(
                    "{} IDs of `{items_key}` were looked up, but the answers held {} items",
                    ids.len(),
                    found.len()
                );
                if let Some(slot) = slots.next() {
                    *slot = Some(Err(Error::Decode(Box::new(DecodeError {
                        operation: lookup.meta.id,
                        status,
                        path: lookup.items_key.to_string(),
                        message,
                        excerpt: String::new(),
                    }))));
                }
            }
            Err(e) => {
                if let Some(slot) = slots.next() {
                    *slot = Some(Err(e));
                }
            }
        }
    }
    out.into_iter().flatten().collect()
}
