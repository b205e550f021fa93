//! Loading the spec: YAML files → JSON values, `$ref` resolution across files,
//! and located access to nodes so that every error names a file and a JSON pointer.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::Error;

/// Every YAML file of the spec, parsed, keyed by file name relative to the spec folder.
#[derive(Debug)]
pub struct Spec {
    files: BTreeMap<String, Value>,
    /// File name of the root document.
    pub root: String,
}

impl Spec {
    /// Loads `root` (normally `api-spec/openapi.yaml`) and every file it references,
    /// transitively.
    pub fn load(root: &Path) -> Result<Spec, Error> {
        let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
        Spec::load_with(&file_name(root)?, |name| {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::at(name, "", format!("cannot read {}: {e}", path.display())))?;
            parse_document(name, &text)
        })
    }

    /// Loads the root document `root` and every file it references, transitively,
    /// taking each parsed document from `document(file name)` (e.g. the spec at a git
    /// revision, reusing documents that did not change).
    pub fn load_with(
        root: &str,
        mut document: impl FnMut(&str) -> Result<Value, Error>,
    ) -> Result<Spec, Error> {
        let mut spec = Spec {
            files: BTreeMap::new(),
            root: root.to_string(),
        };
        let mut pending = vec![root.to_string()];
        while let Some(name) = pending.pop() {
            if spec.files.contains_key(&name) {
                continue;
            }
            let value = document(&name)?;
            let mut refs = Vec::new();
            collect_refs(&value, &mut refs);
            spec.files.insert(name.clone(), value);
            for r in refs {
                let file = r.split('#').next().unwrap_or("");
                if !file.is_empty() && !spec.files.contains_key(file) {
                    pending.push(file.to_string());
                }
            }
        }
        Ok(spec)
    }

    /// The parsed document `name`, if loaded.
    pub fn document(&self, name: &str) -> Option<&Value> {
        self.files.get(name)
    }

    /// Builds a spec from in-memory documents (tests and fixtures).
    pub fn from_documents(root: &str, docs: &[(&str, &str)]) -> Result<Spec, Error> {
        let mut files = BTreeMap::new();
        for (name, text) in docs {
            files.insert(name.to_string(), parse_document(name, text)?);
        }
        if !files.contains_key(root) {
            return Err(Error::at(root, "", "root document missing"));
        }
        Ok(Spec {
            files,
            root: root.to_string(),
        })
    }

    /// The root document.
    pub fn root(&self) -> Node<'_> {
        self.node(&self.root, "").expect("root is loaded")
    }

    /// The node at `pointer` in `file`, if it exists.
    pub fn node<'a>(&'a self, file: &str, pointer: &str) -> Option<Node<'a>> {
        let (file, doc) = self.files.get_key_value(file)?;
        let value = if pointer.is_empty() {
            doc
        } else {
            doc.pointer(pointer)?
        };
        Some(Node {
            spec: self,
            file,
            pointer: pointer.to_string(),
            value,
        })
    }

    /// Names of all loaded files.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

fn file_name(path: &Path) -> Result<String, Error> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::at(&path.display().to_string(), "", "not a file path"))
}

/// Parses one YAML document of the spec (strict: no duplicate keys, YAML 1.2 scalars).
pub fn parse_document(name: &str, text: &str) -> Result<Value, Error> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        legacy_octal_numbers: false,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
    };
    serde_saphyr::from_str_with_options::<Value>(text, options)
        .map_err(|e| Error::at(name, "", format!("invalid YAML: {e}")))
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Escapes one JSON pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A value in the spec together with where it is.
#[derive(Clone)]
pub struct Node<'a> {
    spec: &'a Spec,
    /// File the node is in.
    pub file: &'a str,
    /// JSON pointer of the node in its file.
    pub pointer: String,
    /// The JSON value.
    pub value: &'a Value,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.file, self.pointer)
    }
}

impl<'a> Node<'a> {
    /// An error located at this node.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::at(self.file, &self.pointer, message)
    }

    /// A stable identity: file and pointer.
    pub fn location(&self) -> String {
        format!("{}#{}", self.file, self.pointer)
    }

    /// Child by key (objects only).
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let value = self.value.as_object()?.get(key)?;
        Some(Node {
            spec: self.spec,
            file: self.file,
            pointer: format!("{}/{}", self.pointer, escape(key)),
            value,
        })
    }

    /// Child by key, or an error naming what is missing.
    pub fn req(&self, key: &str) -> Result<Node<'a>, Error> {
        self.get(key)
            .ok_or_else(|| self.error(format!("missing `{key}`")))
    }

    /// String child by key.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.value.as_object().and_then(|m| m.get(key)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.error(format!("`{key}` must be a string"))),
        }
    }

    /// Required string child by key; the error names `context` (say, `x-fs-batch`).
    pub fn req_str(&self, key: &str, context: &str) -> Result<&'a str, Error> {
        self.str(key)?
            .ok_or_else(|| self.error(format!("{context} without `{key}`")))
    }

    /// Boolean child by key.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.value.as_object().and_then(|m| m.get(key)) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error(format!("`{key}` must be a boolean"))),
        }
    }

    /// Entries of an object node, in document order.
    pub fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, Error> {
        let map = self
            .value
            .as_object()
            .ok_or_else(|| self.error("expected a mapping"))?;
        Ok(map
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    Node {
                        spec: self.spec,
                        file: self.file,
                        pointer: format!("{}/{}", self.pointer, escape(k)),
                        value: v,
                    },
                )
            })
            .collect())
    }

    /// Items of an array node.
    pub fn items(&self) -> Result<Vec<Node<'a>>, Error> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.error("expected a sequence"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| Node {
                spec: self.spec,
                file: self.file,
                pointer: format!("{}/{i}", self.pointer),
                value: v,
            })
            .collect())
    }

    /// Whether this node is a `$ref`.
    pub fn is_ref(&self) -> bool {
        self.value
            .as_object()
            .is_some_and(|m| m.contains_key("$ref"))
    }

    /// Follows `$ref`s (across files) until a node that is not a reference.
    pub fn resolve(&self) -> Result<Node<'a>, Error> {
        let mut node = self.clone();
        for _ in 0..32 {
            let Some(target) = node.str("$ref")? else {
                return Ok(node);
            };
            let (file, pointer) = match target.split_once('#') {
                Some((f, p)) => (f, p),
                None => (target, ""),
            };
            let file = if file.is_empty() { node.file } else { file };
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(node.error(format!(
                    "unsupported `$ref` `{target}`: only JSON pointers are supported"
                )));
            }
            node = node
                .spec
                .node(file, pointer)
                .ok_or_else(|| node.error(format!("`$ref` `{target}` points to nothing")))?;
        }
        Err(self.error("`$ref` chain too long (a cycle?)"))
    }
}
