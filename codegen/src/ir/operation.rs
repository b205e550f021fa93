//! Operations (`impl Lowerer`): an operation's names, parameters, body and responses,
//! and its path as a template of literal text and parameters.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use super::lower::{Items, Lowerer, operations_of};
use super::names::{camel_ident, snake_ident, unique};
use super::{
    Body, DateForm, Method, Operation, Param, ParamIn, PathPiece, ResponseKind, Ty, TypeKind,
};
use crate::Error;
use crate::contract::{BUILDER_FIELDS, BUILDER_METHODS};
use crate::spec::Node;

/// What [`Lowerer::lower_responses`] finds.
struct Responses {
    /// The 2xx body.
    response: ResponseKind,
    /// The `Accept` header: the 2xx media types, or `application/json`.
    accept: String,
    /// Every JSON body by status (0 for `default`).
    responses: Vec<(u16, Ty)>,
}

/// The parameters of an operation: path-item level first, overridden (same `name` and
/// `in`) by operation level, each resolved.
fn merged_parameters<'a>(item: &Node<'a>, op: &Node<'a>) -> Result<Vec<Node<'a>>, Error> {
    let mut raw_params: Vec<Node<'a>> = Vec::new();
    for source in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
    {
        for p in source.items()? {
            let p = p.resolve()?;
            let name = p.req_str("name", "parameter")?;
            let location = p.req_str("in", "parameter")?;
            raw_params.retain(|q| {
                !(q.value.get("name").and_then(|v| v.as_str()) == Some(name)
                    && q.value.get("in").and_then(|v| v.as_str()) == Some(location))
            });
            raw_params.push(p);
        }
    }
    Ok(raw_params)
}

/// Whether `op`'s `security` allows no credentials (an empty requirement).
fn auth_optional(op: &Node<'_>) -> Result<bool, Error> {
    Ok(match op.get("security") {
        Some(s) => s
            .items()?
            .iter()
            .any(|req| req.value.as_object().is_some_and(|o| o.is_empty())),
        None => false,
    })
}

/// `path` as literal text and the indexes of its path parameters in `params`.
fn path_template(path: &str, params: &[Param]) -> Result<Vec<PathPiece>, String> {
    let mut pieces = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        if start > 0 {
            pieces.push(PathPiece::Literal(rest[..start].to_string()));
        }
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or_else(|| format!("unclosed `{{` in path `{path}`"))?;
        let name = &rest[start + 1..end];
        let index = params
            .iter()
            .position(|p| p.location == ParamIn::Path && p.name == name)
            .ok_or_else(|| {
                format!("path `{path}` names `{name}`, which is not a path parameter")
            })?;
        pieces.push(PathPiece::Param(index));
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(PathPiece::Literal(rest.to_string()));
    }
    Ok(pieces)
}

/// Whether every `{` of a path template is closed by a `}` before the next `{`.
fn is_well_formed_template(path: &str) -> bool {
    let mut open = false;
    for c in path.chars() {
        match (c, open) {
            ('{', false) => open = true,
            ('}', true) => open = false,
            ('{', true) | ('}', false) => return false,
            _ => {}
        }
    }
    !open
}

impl<'a> Lowerer {
    /// The operations of every path item, in document order; each `x-rust-method` is
    /// unique in its group.
    pub(super) fn lower_operations(
        &mut self,
        path_items: &Items<'a>,
        op_ids: &mut BTreeMap<String, String>,
    ) -> Result<Vec<Operation>, Error> {
        let mut operations = Vec::new();
        // Listings whose `x-fs-paging` names a `resolve` lookup, linked at the end.
        let mut resolves = Vec::new();
        let mut methods_per_module: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (path, item) in path_items {
            for (method, op) in operations_of(item)? {
                if let Some(id) = op.str("operationId")?
                    && let Some(prev) = op_ids.insert(id.to_string(), op.location())
                {
                    return Err(op.error(format!("operationId `{id}` already used at {prev}")));
                }
                let operation = self.lower_operation(path, method, item, &op)?;
                let taken = methods_per_module
                    .entry(operation.module.clone())
                    .or_default();
                if let Some(prev) =
                    taken.insert(operation.rust_method.clone(), operation.id.clone())
                {
                    return Err(op.error(format!(
                        "x-rust-method `{}` already used by `{prev}` in the same group",
                        operation.rust_method
                    )));
                }
                if operation
                    .paging
                    .as_ref()
                    .is_some_and(|p| p.resolve.is_some())
                {
                    resolves.push((operations.len(), op.clone()));
                }
                operations.push(operation);
            }
        }
        self.link_resolves(&mut operations, &resolves)?;

        Ok(operations)
    }

    /// One operation, in steps: its names, parameters, body, responses, then the
    /// extensions that read the response (paging, batch, multi-ID). The order of the steps
    /// is the order in which types are created, so it is part of the output.
    fn lower_operation(
        &mut self,
        path: &str,
        method: &str,
        item: &Node<'a>,
        op: &Node<'a>,
    ) -> Result<Operation, Error> {
        let id = op.req_str("operationId", "operation")?.to_string();
        if id.to_snake_case().to_upper_camel_case() != camel_ident(&id)
            || id.contains(['-', '_', ' '])
        {
            return Err(op.error(format!("operationId `{id}` must be lowerCamelCase")));
        }
        let module = self.module_of(item)?;
        let rust_method = match op.str("x-rust-method")? {
            Some(m) => {
                if snake_ident(m) != m {
                    return Err(op.error(format!("x-rust-method `{m}` must be snake_case")));
                }
                m.to_string()
            }
            None => snake_ident(&id),
        };
        let op_pascal = camel_ident(&id);
        let builder = self.claim_name(&format!("{op_pascal}Builder"), &op.location(), true, op)?;

        let raw_params = merged_parameters(item, op)?;
        let mut params = self.lower_params(path, op, &op_pascal, &raw_params)?;
        let body = self.lower_body(op, &op_pascal)?;
        let Responses {
            response,
            accept,
            responses,
        } = self.lower_responses(op, &op_pascal)?;
        let paging = self.lower_paging(op, &response, &params)?;
        let batch = self.lower_batch(op, &response)?;
        let mut multi_id = self.lower_multi_id(op, &response, &params)?;
        if let Some(multi) = &mut multi_id {
            multi.method = format!("{rust_method}_many");
        }
        let unwrap = self.lower_unwrap(op, &response, &mut params)?;
        let template = path_template(path, &params).map_err(|msg| op.error(msg))?;
        let method = Method::parse(method)
            .ok_or_else(|| op.error(format!("unsupported method `{method}`")))?;
        Ok(Operation {
            id: id.clone(),
            method,
            path: path.to_string(),
            template,
            module,
            rust_method,
            builder,
            summary: op.str("summary")?.map(|s| s.trim().to_string()),
            description: op.str("description")?.map(|s| s.trim().to_string()),
            params,
            body,
            response,
            accept,
            responses,
            paging,
            batch,
            multi_id,
            unwrap,
            idempotent: op
                .bool("x-fs-idempotent")?
                .unwrap_or(method != Method::Post),
            auth_optional: auth_optional(op)?,
            location: op.location(),
        })
    }

    /// The parameters of `op` (merged by [`merged_parameters`]), checked against the path
    /// template `path`, with their types and unique Rust names.
    fn lower_params(
        &mut self,
        path: &str,
        op: &Node<'a>,
        op_pascal: &str,
        raw_params: &[Node<'a>],
    ) -> Result<Vec<Param>, Error> {
        if !is_well_formed_template(path) {
            return Err(op.error(format!(
                "path `{path}` has an unclosed, unopened or nested `{{`/`}}`"
            )));
        }
        let template_params: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .collect();
        let mut params = Vec::new();
        let mut taken = BTreeSet::new();
        let mut fields = BTreeMap::new();
        for p in raw_params {
            let param = self.lower_param(p, path, &template_params, op_pascal, &mut taken)?;
            if let Some(prev) = fields.insert(param.field.clone(), param.name.clone()) {
                return Err(p.error(format!(
                    "parameter `{}` would be the builder's `{}`, which parameter `{prev}` already is (a parameter named like a builder method or field is renamed `NAME_param`); rename one of them in the spec",
                    param.name, param.field
                )));
            }
            params.push(param);
        }
        for t in &template_params {
            if !params
                .iter()
                .any(|p| p.location == ParamIn::Path && p.name == *t)
            {
                return Err(op.error(format!("path parameter `{t}` of `{path}` is not declared")));
            }
        }
        Ok(params)
    }

    /// One parameter: its location (checked against the path template), type and Rust
    /// name (made unique in `taken`).
    fn lower_param(
        &mut self,
        p: &Node<'a>,
        path: &str,
        template_params: &[&str],
        op_pascal: &str,
        taken: &mut BTreeSet<String>,
    ) -> Result<Param, Error> {
        let name = p.str("name")?.unwrap_or_default().to_string();
        let location = match p.str("in")?.unwrap_or_default() {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => ParamIn::Header,
            other => return Err(p.error(format!("unsupported parameter location `{other}`"))),
        };
        if location == ParamIn::Path && !template_params.contains(&name.as_str()) {
            return Err(p.error(format!(
                "path parameter `{name}` does not appear in `{path}`"
            )));
        }
        let required = location == ParamIn::Path || p.bool("required")?.unwrap_or(false);
        if location == ParamIn::Path && p.bool("required")? != Some(true) {
            return Err(p.error("path parameters must say `required: true`"));
        }
        let schema = p
            .get("schema")
            .ok_or_else(|| p.error("parameter without `schema`"))?;
        let ty = self.lower(&schema, &format!("{op_pascal}{}", camel_ident(&name)), None)?;
        let scalar = |t: &Ty| {
            matches!(
                t,
                Ty::String
                    | Ty::Id(_)
                    | Ty::I64
                    | Ty::F64
                    | Ty::Bool
                    | Ty::Decimal
                    | Ty::EpochMillis
                    | Ty::EpochSeconds
            )
        };
        let ok = match &ty {
            Ty::Vec(inner) => location == ParamIn::Query && (scalar(inner) || self.is_enum(inner)),
            t => scalar(t) || self.is_enum(t),
        };
        if !ok {
            return Err(schema
                .error("parameters must be scalars, string enums or (query only) arrays of them"));
        }
        let stringy = matches!(ty, Ty::String | Ty::Id(_));
        if location == ParamIn::Path && !stringy && ty != Ty::I64 {
            return Err(schema.error("path parameters are strings or integers"));
        }
        let comma_separated = p.bool("x-fs-comma-separated")?.unwrap_or(false);
        if comma_separated && (location != ParamIn::Path || !stringy) {
            return Err(p.error("x-fs-comma-separated applies to string path parameters only"));
        }
        let date = self.date_form(&schema, location, &ty)?;
        let rust = unique(snake_ident(&name), taken);
        let own = |name: &str| BUILDER_METHODS.contains(&name) || BUILDER_FIELDS.contains(&name);
        let field = if own(&rust) {
            format!("{rust}_param")
        } else {
            rust.clone()
        };
        Ok(Param {
            name,
            rust,
            field,
            location,
            ty,
            required,
            explode: p.bool("explode")?.unwrap_or(true),
            comma_separated,
            date,
            doc: p.str("description")?.map(|d| d.trim().to_string()),
        })
    }

    /// A query parameter of `type: string, format: date` takes a typed date; with
    /// `x-fs-time: epoch-millis` a timestamp is sent as epoch milliseconds.
    fn date_form(
        &self,
        schema: &Node<'a>,
        location: ParamIn,
        ty: &Ty,
    ) -> Result<Option<DateForm>, Error> {
        let schema = schema.resolve()?;
        let time = schema.str("x-fs-time")?;
        if schema.str("format")? != Some("date") || *ty != Ty::String {
            if time.is_some() && *ty == Ty::String {
                return Err(schema.error("x-fs-time on a string needs `format: date`"));
            }
            return Ok(None);
        }
        if location != ParamIn::Query {
            return Ok(None);
        }
        match time {
            None => Ok(Some(DateForm::Date)),
            Some("epoch-millis") => Ok(Some(DateForm::DateOrEpochMillis)),
            Some(other) => Err(schema.error(format!(
                "x-fs-time `{other}` on a date parameter: only `epoch-millis` (a timestamp sent as epoch milliseconds)"
            ))),
        }
    }

    fn is_enum(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::Named(id) if matches!(self.types[*id].kind, TypeKind::Enum { .. }))
    }

    /// The JSON request body of `op`, if any.
    fn lower_body(&mut self, op: &Node<'a>, op_pascal: &str) -> Result<Option<Body>, Error> {
        Ok(match op.get("requestBody") {
            None => None,
            Some(rb) => {
                let rb = rb.resolve()?;
                let content = rb.req("content")?;
                let media = content
                    .get("application/json")
                    .ok_or_else(|| content.error("request bodies must be `application/json`"))?;
                let schema = media.req("schema")?;
                let ty = self.lower(&schema, &format!("{op_pascal}Request"), None)?;
                Some(Body {
                    ty,
                    required: rb.bool("required")?.unwrap_or(false),
                })
            }
        })
    }

    /// The responses of `op`: the 2xx body, the `Accept` list and every JSON body by status.
    fn lower_responses(&mut self, op: &Node<'a>, op_pascal: &str) -> Result<Responses, Error> {
        let responses_node = op.req("responses")?;
        let mut response = None;
        let mut accept: Vec<String> = Vec::new();
        let mut responses = Vec::new();
        for (code, resp) in responses_node.entries()? {
            let status: u16 = if code == "default" {
                0
            } else {
                code.parse()
                    .map_err(|_| resp.error(format!("unsupported response code `{code}`")))?
            };
            let resp = resp.resolve()?;
            let content = resp.get("content");
            let kind = match &content {
                None => ResponseKind::Empty,
                Some(content) => self.response_kind(content, status, code, op_pascal)?,
            };
            if let ResponseKind::Json(ty) = &kind {
                responses.push((status, ty.clone()));
            }
            if (200..300).contains(&status)
                && let Some(content) = &content
            {
                for (media, _) in content.entries()? {
                    if !accept.iter().any(|m| m == media) {
                        accept.push(media.to_string());
                    }
                }
            }
            if (200..300).contains(&status) {
                match &response {
                    None => {
                        response = Some(kind);
                    }
                    Some(first)
                        if *first != kind
                            && kind != ResponseKind::Empty
                            && *first != ResponseKind::Empty =>
                    {
                        return Err(resp.error(
                            "several 2xx responses with different bodies are not supported",
                        ));
                    }
                    Some(ResponseKind::Empty) if kind != ResponseKind::Empty => {
                        response = Some(kind);
                    }
                    _ => {}
                }
            }
        }
        let response = response.ok_or_else(|| responses_node.error("no 2xx response"))?;

        Ok(Responses {
            response,
            accept: if accept.is_empty() {
                "application/json".to_string()
            } else {
                accept.join(", ")
            },
            responses,
        })
    }

    /// What one response's `content` is: JSON (its type lowered, named after the
    /// operation and `code`), text, bytes, or nothing.
    fn response_kind(
        &mut self,
        content: &Node<'a>,
        status: u16,
        code: &str,
        op_pascal: &str,
    ) -> Result<ResponseKind, Error> {
        let entries = content.entries()?;
        let json = entries
            .iter()
            .find(|(k, _)| k.starts_with("application/json") || k.ends_with("+json"));
        if let Some((_, media)) = json {
            let hint = if (200..300).contains(&status) {
                format!("{op_pascal}Response")
            } else {
                format!("{op_pascal}Error{code}")
            };
            return Ok(match media.get("schema") {
                Some(schema) => ResponseKind::Json(self.lower(&schema, &hint, None)?),
                None => ResponseKind::Json(Ty::Json),
            });
        }
        Ok(if entries.iter().any(|(k, _)| k.starts_with("text/")) {
            ResponseKind::Text
        } else if entries.is_empty() {
            ResponseKind::Empty
        } else {
            ResponseKind::Bytes
        })
    }
}
