//! The route table, built once from the bundled spec (`spec/openapi.json`, written by
//! `cargo xtask regenerate`), and the JSON-schema subset the spec uses.
//!
//! Not public API: hidden from the docs and free to change in any release. It is
//! reachable only for the crate's own tests; apps use `fastspring_mock::operation_ids`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The bundled spec: one JSON document whose only `$ref`s are `#/components/...`.
pub const BUNDLED_SPEC: &str = include_str!("../spec/openapi.json");

/// The methods an OpenAPI path item may define, in the order they are read.
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// How many `$ref` hops a lookup follows before giving up (a cycle in a broken spec).
const MAX_REF_HOPS: usize = 32;

/// How deep the validator descends into a request body (bounds time on hostile input).
const MAX_DEPTH: usize = 64;

/// The parsed spec and its routes, shared by every mock in the process.
pub struct Spec {
    /// The whole bundled document.
    pub doc: Value,
    /// Every operation, in spec order.
    pub routes: Vec<Route>,
    /// Event types of the spec's `webhooks` section.
    pub webhook_types: Vec<String>,
}

/// The spec of this build, parsed on first use (a few milliseconds).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc: Value = serde_json::from_str(BUNDLED_SPEC)
            .expect("spec/openapi.json is written by `cargo xtask regenerate` and is valid JSON");
        Spec::from_document(doc).unwrap_or_else(|e| panic!("spec/openapi.json: {e}"))
    })
}

/// One path segment of a route's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Must match exactly.
    Literal(String),
    /// A `{name}` parameter: any one non-empty segment.
    Param(String),
}

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    /// The path.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
}

/// One declared parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub location: ParamIn,
    /// Whether the request must carry it.
    pub required: bool,
    /// Its schema (resolved).
    pub schema: Value,
    /// The spec's example, if any (the coverage test builds requests from them).
    pub example: Option<Value>,
}

/// The error body format an operation's family uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `{"action": "...", "result": "error", "error": {"field": "message"}}` (classic endpoints).
    Action,
    /// `{"message": "...", "params": [...]}`.
    Message,
    /// `{"status": "400 BAD_REQUEST", "message", "errors": [{"field", ...}]}` (checkout sessions v2).
    Errors,
}

/// One response the spec declares.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// HTTP status.
    pub status: u16,
    /// Media type of the body (`None` for a response without content).
    pub content_type: Option<String>,
    /// Its schema.
    pub schema: Option<Value>,
    /// Examples by name (sorted by name).
    pub examples: BTreeMap<String, Value>,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Route {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template as in the spec (`/accounts/{account_id}`).
    pub template: String,
    /// The template split into segments.
    pub segments: Vec<Segment>,
    /// `operationId`.
    pub operation_id: String,
    /// The operation's tag (resource group).
    pub tag: String,
    /// Path, query and header parameters.
    pub params: Vec<Param>,
    /// The request body schema, when the operation takes a JSON body.
    pub body: Option<Value>,
    /// Whether the body is required.
    pub body_required: bool,
    /// Examples of the request body, by name.
    pub body_examples: BTreeMap<String, Value>,
    /// Whether the operation may be called without credentials (`security` lists `{}`).
    pub anonymous: bool,
    /// Declared responses, by status.
    pub responses: Vec<ResponseSpec>,
    /// The error body format of validation failures.
    pub error_style: ErrorStyle,
    /// `action` of this operation's error bodies (`account.create`).
    pub action: String,
}

impl Route {
    /// The lowest declared 2xx response.
    pub fn success(&self) -> Option<&ResponseSpec> {
        self.responses
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .min_by_key(|r| r.status)
    }

    /// The response declared for `status`.
    pub fn response(&self, status: u16) -> Option<&ResponseSpec> {
        self.responses.iter().find(|r| r.status == status)
    }

    /// Number of literal segments: a route with more wins over a parameterized one
    /// (`/subscriptions/estimate` before `/subscriptions/{subscription_id}`).
    fn specificity(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    /// Matches a request path (already split on `/`, percent-decoded per segment).
    pub fn matches(&self, parts: &[String]) -> Option<BTreeMap<String, String>> {
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = BTreeMap::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(lit) if lit == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if part.is_empty() => return None,
                Segment::Param(name) => {
                    params.insert(name.clone(), part.clone());
                }
            }
        }
        Some(params)
    }
}

/// Follows `$ref`s (`#/...` JSON pointers) until a node that is not a reference.
pub fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..MAX_REF_HOPS {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(target) => node = target,
                None => return node,
            },
            None => return node,
        }
    }
    node
}

fn examples_of(doc: &Value, media: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(examples) = media.get("examples").and_then(Value::as_object) {
        for (name, example) in examples {
            if let Some(value) = resolve(doc, example).get("value") {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    if let Some(example) = media.get("example") {
        out.insert("example".to_string(), example.clone());
    }
    out
}

impl Spec {
    /// Reads the routes out of a bundled document.
    pub fn from_document(doc: Value) -> Result<Spec, String> {
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("no `paths` object")?;
        let default_security = doc.get("security").cloned().unwrap_or(Value::Null);
        let mut routes = Vec::new();
        for (template, item) in paths {
            let item = resolve(&doc, item);
            let shared: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(*method) else {
                    continue;
                };
                routes.push(Self::route(
                    &doc,
                    template,
                    method,
                    op,
                    &shared,
                    &default_security,
                )?);
            }
        }
        let webhook_types = doc
            .get("webhooks")
            .and_then(Value::as_object)
            .map(|w| w.keys().cloned().collect())
            .unwrap_or_default();
        Ok(Spec {
            doc,
            routes,
            webhook_types,
        })
    }

    fn route(
        doc: &Value,
        template: &str,
        method: &str,
        op: &Value,
        shared: &[Value],
        default_security: &Value,
    ) -> Result<Route, String> {
        let operation_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{method} {template}: no operationId"))?
            .to_string();
        let tag = op
            .pointer("/tags/0")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let segments = template
            .trim_start_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_string()),
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        let mut params = Vec::new();
        let own = op
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for p in shared.iter().chain(own.iter()) {
            let p = resolve(doc, p);
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => ParamIn::Path,
                Some("query") => ParamIn::Query,
                Some("header") => ParamIn::Header,
                _ => continue,
            };
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            params.retain(|q: &Param| !(q.name == name && q.location == location));
            params.push(Param {
                name,
                location,
                required: location == ParamIn::Path
                    || p.get("required").and_then(Value::as_bool) == Some(true),
                schema: resolve(doc, p.get("schema").unwrap_or(&Value::Null)).clone(),
                example: p.get("example").cloned(),
            });
        }
        let (mut body, mut body_required, mut body_examples) = (None, false, BTreeMap::new());
        if let Some(rb) = op.get("requestBody") {
            let rb = resolve(doc, rb);
            body_required = rb.get("required").and_then(Value::as_bool) == Some(true);
            if let Some(media) = rb.pointer("/content/application~1json") {
                body = media.get("schema").cloned();
                body_examples = examples_of(doc, media);
            }
        }
        let security = op.get("security").unwrap_or(default_security);
        let anonymous = security.as_array().is_some_and(|alternatives| {
            alternatives
                .iter()
                .any(|a| a.as_object().is_some_and(Map::is_empty))
        });
        let mut responses = Vec::new();
        if let Some(map) = op.get("responses").and_then(Value::as_object) {
            for (status, response) in map {
                let Ok(status) = status.parse::<u16>() else {
                    continue;
                };
                let response = resolve(doc, response);
                let content = response.get("content").and_then(Value::as_object);
                let (content_type, media) = match content.and_then(|c| c.iter().next()) {
                    Some((ct, media)) => (Some(ct.clone()), Some(media)),
                    None => (None, None),
                };
                responses.push(ResponseSpec {
                    status,
                    content_type,
                    schema: media.and_then(|m| m.get("schema")).cloned(),
                    examples: media.map(|m| examples_of(doc, m)).unwrap_or_default(),
                });
            }
        }
        responses.sort_by_key(|r| r.status);
        let error = responses.iter().find(|r| r.status == 400).or_else(|| {
            responses
                .iter()
                .find(|r| r.status >= 400 && r.schema.is_some())
        });
        let error_schema = error
            .and_then(|r| r.schema.as_ref())
            .map(|s| resolve(doc, s).clone())
            .unwrap_or(Value::Null);
        let has = |key: &str| {
            error_schema
                .pointer(&format!("/properties/{key}"))
                .is_some()
        };
        let error_style = if has("errors") {
            ErrorStyle::Errors
        } else if has("message") && !has("action") {
            ErrorStyle::Message
        } else {
            ErrorStyle::Action
        };
        let action = error
            .and_then(|r| r.examples.values().find_map(|e| e.get("action")?.as_str()))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}.{}", tag.trim_end_matches('s'), method));
        Ok(Route {
            method: method.to_ascii_uppercase(),
            template: template.to_string(),
            segments,
            operation_id,
            tag,
            params,
            body,
            body_required,
            body_examples,
            anonymous,
            responses,
            error_style,
            action,
        })
    }

    /// Finds the route for a method and a split, decoded path. `Err(true)` when the path
    /// exists under another method (405), `Err(false)` when no route has it (404).
    pub fn find(
        &self,
        method: &str,
        parts: &[String],
    ) -> Result<(&Route, BTreeMap<String, String>), bool> {
        let mut best: Option<(&Route, BTreeMap<String, String>)> = None;
        let mut path_known = false;
        for route in &self.routes {
            let Some(params) = route.matches(parts) else {
                continue;
            };
            if route.method != method {
                path_known = true;
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(b, _)| route.specificity() > b.specificity())
            {
                best = Some((route, params));
            }
        }
        best.ok_or(path_known)
    }

    /// The route with this `operationId`.
    pub fn operation(&self, operation_id: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.operation_id == operation_id)
    }

    /// The first example (by name) of the operation's success response that is not an
    /// error report (`"result": "error"`) and fits the response schema.
    pub fn default_example(&self, route: &Route) -> Option<(u16, Option<String>, Value)> {
        let response = route.success()?;
        let fits = |e: &Value| {
            e.get("result").and_then(Value::as_str) != Some("error")
                && response
                    .schema
                    .as_ref()
                    .is_none_or(|s| validate(&self.doc, s, e).is_ok())
        };
        let example = response
            .examples
            .values()
            .find(|e| fits(e))
            .or_else(|| response.examples.values().next())
            .cloned()
            .unwrap_or(Value::Null);
        Some((response.status, response.content_type.clone(), example))
    }
}

/// Why a value does not fit its schema: where (`contact.email`, `items[0].quantity`)
/// and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Dotted path of the offending field; empty for the whole value.
    pub path: String,
    /// What is wrong, in FastSpring's terse style (`required`, `must be an integer`).
    pub message: String,
    /// The last property name on the path (FastSpring names the field, not the path).
    pub field: String,
}

/// Checks `value` against `schema` with the keywords the spec uses: `$ref`, `type`
/// (one or several), `properties`, `required`, `additionalProperties`, `items`, `enum`,
/// `const`, `oneOf`/`anyOf` (at least one branch fits: FastSpring is not stricter), `allOf`,
/// `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`, and
/// `format: decimal` (a number or a numeric string). Other keywords are annotations.
pub fn validate(doc: &Value, schema: &Value, value: &Value) -> Result<(), Invalid> {
    check(doc, schema, value, &mut Vec::new(), 0)
}

fn path_text(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if seg.starts_with('[') || out.is_empty() {
            out.push_str(seg);
        } else {
            out.push('.');
            out.push_str(seg);
        }
    }
    out
}

fn fail(path: &[String], message: impl Into<String>) -> Invalid {
    let field = path
        .iter()
        .rev()
        .find(|s| !s.starts_with('['))
        .cloned()
        .unwrap_or_default();
    Invalid {
        path: path_text(path),
        message: message.into(),
        field,
    }
}

fn type_matches(ty: &str, value: &Value, decimal: bool) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
        }
        "number" => {
            value.is_number()
                || (decimal
                    && value
                        .as_str()
                        .is_some_and(|s| s.trim().parse::<f64>().is_ok()))
        }
        _ => true,
    }
}

fn type_name(ty: &str) -> &str {
    match ty {
        "object" => "an object",
        "array" => "an array",
        "string" => "a string",
        "boolean" => "a boolean",
        "null" => "null",
        "integer" => "an integer",
        "number" => "a number",
        other => other,
    }
}

fn check(
    doc: &Value,
    schema: &Value,
    value: &Value,
    path: &mut Vec<String>,
    depth: usize,
) -> Result<(), Invalid> {
    if depth > MAX_DEPTH {
        return Err(fail(path, "nested too deeply"));
    }
    let schema = resolve(doc, schema);
    let Some(obj) = schema.as_object() else {
        return Ok(());
    };
    let decimal = obj.get("format").and_then(Value::as_str) == Some("decimal");
    if let Some(ty) = obj.get("type") {
        let types: Vec<&str> = match ty {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| type_matches(t, value, decimal)) {
            let names: Vec<&str> = types.iter().map(|t| type_name(t)).collect();
            return Err(fail(path, format!("must be {}", names.join(" or "))));
        }
    }
    if let Some(allowed) = obj.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
        return Err(fail(path, format!("must be one of {}", list.join(", "))));
    }
    if let Some(constant) = obj.get("const")
        && constant != value
    {
        return Err(fail(path, format!("must be {constant}")));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = obj.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            return Err(fail(path, format!("must be at least {min}")));
        }
        if let Some(max) = obj.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            return Err(fail(path, format!("must be at most {max}")));
        }
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count() as u64;
        if let Some(min) = obj.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            return Err(fail(path, format!("must have at least {min} characters")));
        }
        if let Some(max) = obj.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            return Err(fail(path, format!("must have at most {max} characters")));
        }
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        for branch in all {
            check(doc, branch, value, path, depth + 1)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = obj.get(key).and_then(Value::as_array) {
            let mut first_error = None;
            let mut ok = false;
            for branch in branches {
                match check(doc, branch, value, path, depth + 1) {
                    Ok(()) => {
                        ok = true;
                        break;
                    }
                    Err(e) => {
                        // Keep the error that got deepest: it names the field at fault.
                        if first_error
                            .as_ref()
                            .is_none_or(|f: &Invalid| e.path.len() > f.path.len())
                        {
                            first_error = Some(e);
                        }
                    }
                }
            }
            if !ok {
                return Err(first_error.unwrap_or_else(|| fail(path, "matches no allowed form")));
            }
        }
    }
    if let Some(map) = value.as_object() {
        let props = obj.get("properties").and_then(Value::as_object);
        if let Some(required) = obj.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    path.push(name.to_string());
                    let err = fail(path, "required");
                    path.pop();
                    return Err(err);
                }
            }
        }
        for (key, item) in map {
            let sub = props.and_then(|p| p.get(key));
            let sub = match (sub, obj.get("additionalProperties")) {
                (Some(sub), _) => Some(sub),
                (None, Some(Value::Bool(false))) => {
                    path.push(key.clone());
                    let err = fail(path, "is not a known field");
                    path.pop();
                    return Err(err);
                }
                (None, Some(extra)) if extra.is_object() => Some(extra),
                (None, _) => None,
            };
            if let Some(sub) = sub {
                path.push(key.clone());
                let result = check(doc, sub, item, path, depth + 1);
                path.pop();
                result?;
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = obj.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            return Err(fail(path, format!("must have at least {min} entries")));
        }
        if let Some(max) = obj.get("maxItems").and_then(Value::as_u64)
            && (items.len() as u64) > max
        {
            return Err(fail(path, format!("must have at most {max} entries")));
        }
        if let Some(item_schema) = obj.get("items") {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                let result = check(doc, item_schema, item, path, depth + 1);
                path.pop();
                result?;
            }
        }
    }
    Ok(())
}

/// Checks a query or path parameter's text against its (scalar) schema.
pub fn validate_param(doc: &Value, schema: &Value, text: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    let value = match ty {
        "integer" => match text.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => return Err("must be an integer".into()),
        },
        "number" => match text.parse::<f64>() {
            Ok(n) => serde_json::Number::from_f64(n)
                .map(Value::Number)
                .ok_or("must be a number")?,
            Err(_) => return Err("must be a number".into()),
        },
        "boolean" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err("must be true or false".into()),
        },
        _ => Value::String(text.to_string()),
    };
    validate(doc, schema, &value).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validator_names_the_field_at_fault() {
        let doc = json!({"components": {"schemas": {"Contact": {
            "type": "object", "required": ["email"],
            "properties": {"email": {"type": "string"}, "age": {"type": "integer"}}}}}});
        let schema = json!({"type": "object", "properties": {
            "contacts": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}}});
        let missing = validate(&doc, &schema, &json!({"contacts": [{"email": "a"}, {}]}));
        assert_eq!(
            missing.unwrap_err(),
            Invalid {
                path: "contacts[1].email".into(),
                message: "required".into(),
                field: "email".into()
            }
        );
        let wrong = validate(
            &doc,
            &schema,
            &json!({"contacts": [{"email": "a", "age": "x"}]}),
        )
        .unwrap_err();
        assert_eq!(wrong.path, "contacts[0].age");
        assert_eq!(wrong.message, "must be an integer");
        assert!(
            validate(
                &doc,
                &schema,
                &json!({"contacts": [{"email": "a", "age": 3.0}]})
            )
            .is_ok()
        );
    }

    #[test]
    fn every_operation_of_the_bundle_has_a_route_and_a_success_response() {
        let spec = spec();
        assert!(spec.routes.len() >= 70, "{} routes", spec.routes.len());
        for route in &spec.routes {
            assert!(
                route.success().is_some(),
                "{} has no 2xx",
                route.operation_id
            );
        }
        let parts: Vec<String> = ["subscriptions", "estimate"].map(String::from).to_vec();
        let (route, _) = spec.find("POST", &parts).unwrap();
        assert_eq!(route.operation_id, "estimateSubscription");
        let parts: Vec<String> = ["subscriptions", "abc"].map(String::from).to_vec();
        let (route, params) = spec.find("GET", &parts).unwrap();
        assert_eq!(route.operation_id, "getSubscription");
        assert_eq!(params["subscription_id"], "abc");
        assert!(
            spec.find("PATCH", &parts).unwrap_err(),
            "405: the path exists"
        );
    }
}
