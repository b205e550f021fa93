//! What a spec edit does to the crate's users: the IR before and after, compared as
//! the Rust API they produce (operations as handle methods, types, fields, enum
//! values, webhook events, cargo features), each change classified as breaking,
//! additive or compatible, and the version bump the whole implies.
//!
//! ```text
//! spec at REV ──lower──▶ IR ─┐
//!                            ├─▶ Surface × 2 ──diff──▶ Report ──▶ Markdown / JSON
//! working tree ──lower──▶ IR ┘
//! ```

mod render;
mod surface;

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::Ir;
use surface::{FieldSurface, ModuleSurface, OperationSurface, Shape, Surface, TypeSurface};

/// What a change means for code written against the previous version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Code that compiled before may not compile, or reads something else.
    Breaking,
    /// New API; existing code compiles and behaves as before.
    Additive,
    /// No change to the Rust API (the wire contract changed, e.g. a path).
    Compatible,
}

impl Impact {
    /// `breaking`, `additive` or `compatible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Breaking => "breaking",
            Impact::Additive => "additive",
            Impact::Compatible => "compatible",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The Rust module (`orders`).
    pub module: String,
    /// The item as users name it: `Orders::get`, `Order.total`, `OrderStatus`, feature `orders`.
    pub item: String,
    pub impact: Impact,
    /// What changed, in a few words.
    pub what: String,
}

/// The version part a release with these changes bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing changed.
    None,
    Patch,
    Minor,
    Major,
}

/// The changes between two IRs, grouped per module (in module order, then as found).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub changes: Vec<Change>,
}

impl Report {
    /// Compares the Rust API that `before` and `after` generate.
    pub fn between(before: &Ir, after: &Ir) -> Report {
        let (old, new) = (Surface::of(before), Surface::of(after));
        let mut diff = Diff::default();
        let names: BTreeSet<&String> = old.modules.keys().chain(new.modules.keys()).collect();
        for name in names {
            match (old.modules.get(name), new.modules.get(name)) {
                (Some(a), Some(b)) => diff.module(name, a, b),
                (None, Some(b)) => diff.module_added(name, b),
                (Some(a), None) => diff.push(
                    name,
                    module_label(name),
                    Impact::Breaking,
                    format!(
                        "module removed ({}, {})",
                        plural(a.operations.len(), "operation"),
                        plural(a.types.len(), "type")
                    ),
                ),
                (None, None) => {}
            }
        }
        Report {
            changes: diff.changes,
        }
    }

    /// Whether the Rust API is the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes have this impact.
    pub fn count(&self, impact: Impact) -> usize {
        self.changes.iter().filter(|c| c.impact == impact).count()
    }

    /// The bump in semantic-versioning terms (breaking → major, additive → minor,
    /// compatible → patch); [`next_version`](Self::next_version) applies the 0.x rule.
    pub fn bump(&self) -> Bump {
        match self.changes.iter().map(|c| c.impact).min() {
            None => Bump::None,
            Some(Impact::Breaking) => Bump::Major,
            Some(Impact::Additive) => Bump::Minor,
            Some(Impact::Compatible) => Bump::Patch,
        }
    }

    /// The next version after `current` (`MAJOR.MINOR.PATCH`). Before 1.0 every part
    /// moves one place to the right, as Cargo reads `0.x` versions: a breaking change
    /// bumps the minor version (0.1.3 → 0.2.0), anything else the patch version.
    /// `None` when nothing changed or `current` is not a plain version.
    pub fn next_version(&self, current: &str) -> Option<String> {
        let mut parts = current.split('.').map(|p| p.parse::<u64>().ok());
        let (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let bump = match (self.bump(), major) {
            (Bump::None, _) => return None,
            (Bump::Major, 0) => Bump::Minor,
            (Bump::Minor, 0) => Bump::Patch,
            (bump, _) => bump,
        };
        Some(match bump {
            Bump::Major => format!("{}.0.0", major + 1),
            Bump::Minor => format!("{major}.{}.0", minor + 1),
            _ => format!("{major}.{minor}.{}", patch + 1),
        })
    }
}

fn module_label(name: &str) -> String {
    format!("module `{name}`")
}

#[derive(Default)]
struct Diff {
    changes: Vec<Change>,
}

impl Diff {
    fn push(&mut self, module: &str, item: String, impact: Impact, what: String) {
        self.changes.push(Change {
            module: module.to_string(),
            item,
            impact,
            what,
        });
    }

    fn module_added(&mut self, name: &str, m: &ModuleSurface) {
        let feature = m
            .feature
            .as_ref()
            .map(|f| format!(", feature `{f}`"))
            .unwrap_or_default();
        self.push(
            name,
            module_label(name),
            Impact::Additive,
            format!(
                "new module{feature} ({}, {}, {})",
                plural(m.operations.len(), "operation"),
                plural(m.types.len(), "type"),
                plural(m.events.len(), "webhook event")
            ),
        );
        for (method, op) in &m.operations {
            let item = op_label(m, method);
            self.push(
                name,
                item,
                Impact::Additive,
                format!("new operation (`{}`)", op.http),
            );
        }
        if !m.types.is_empty() {
            let list: Vec<String> = m.types.keys().map(|t| format!("`{t}`")).collect();
            self.push(name, "new types".into(), Impact::Additive, list.join(", "));
        }
        if !m.events.is_empty() {
            let list: Vec<String> = m.events.keys().map(|t| format!("`{t}`")).collect();
            self.push(
                name,
                "new webhook events".into(),
                Impact::Additive,
                list.join(", "),
            );
        }
    }

    fn module(&mut self, name: &str, a: &ModuleSurface, b: &ModuleSurface) {
        if a.feature != b.feature {
            let label = |f: &Option<String>| {
                f.as_ref()
                    .map_or("no feature".to_string(), |f| format!("feature `{f}`"))
            };
            let (impact, what) = match (&a.feature, &b.feature) {
                (Some(_), None) => (Impact::Compatible, "now always compiled".to_string()),
                (None, Some(_)) => (
                    Impact::Breaking,
                    format!("now behind {} (apps must enable it)", label(&b.feature)),
                ),
                _ => (
                    Impact::Breaking,
                    format!(
                        "feature renamed: {} (was {})",
                        label(&b.feature),
                        label(&a.feature)
                    ),
                ),
            };
            self.push(name, module_label(name), impact, what);
        }
        for (method, change) in pairs(&a.operations, &b.operations) {
            let item = op_label(b, method);
            match change {
                Pair::Added(op) => self.push(
                    name,
                    item,
                    Impact::Additive,
                    format!("new operation (`{}`)", op.http),
                ),
                Pair::Removed(op) => self.push(
                    name,
                    op_label(a, method),
                    Impact::Breaking,
                    format!("operation removed (`{}`)", op.http),
                ),
                Pair::Both(x, y) => self.operation(name, &item, x, y),
            }
        }
        for (ty, change) in pairs(&a.types, &b.types) {
            match change {
                Pair::Added(t) => self.push(
                    name,
                    format!("`{ty}`"),
                    Impact::Additive,
                    format!("new {}", t.shape.kind()),
                ),
                Pair::Removed(t) => self.push(
                    name,
                    format!("`{ty}`"),
                    Impact::Breaking,
                    format!("{} removed", t.shape.kind()),
                ),
                Pair::Both(x, y) => self.type_def(name, ty, x, y),
            }
        }
        for (event, change) in pairs(&a.events, &b.events) {
            let item = format!("event `{event}`");
            match change {
                Pair::Added((variant, data)) => self.push(
                    name,
                    item,
                    Impact::Additive,
                    format!(
                        "new webhook event: `EventData::{variant}({data})` (older versions deliver it as `EventData::Unknown`)"
                    ),
                ),
                Pair::Removed((variant, _)) => self.push(
                    name,
                    item,
                    Impact::Breaking,
                    format!("webhook event removed (`EventData::{variant}` is gone)"),
                ),
                Pair::Both(x, y) if x != y => self.push(
                    name,
                    item,
                    Impact::Breaking,
                    format!("now `EventData::{}({})` (was `EventData::{}({})`)", y.0, y.1, x.0, x.1),
                ),
                Pair::Both(..) => {}
            }
        }
    }

    fn operation(&mut self, module: &str, item: &str, a: &OperationSurface, b: &OperationSurface) {
        if a.http != b.http {
            self.push(
                module,
                item.to_string(),
                Impact::Compatible,
                format!("now sends `{}` (was `{}`)", b.http, a.http),
            );
        }
        if a.required != b.required {
            let args = |r: &[(String, String)]| {
                r.iter()
                    .map(|(n, t)| format!("{n}: {t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            self.push(
                module,
                item.to_string(),
                Impact::Breaking,
                format!(
                    "required inputs now `({})` (were `({})`): breaking for callers",
                    args(&b.required),
                    args(&a.required)
                ),
            );
        }
        for (input, change) in pairs(&a.optional, &b.optional) {
            let (impact, what) = match change {
                Pair::Added(ty) => (
                    Impact::Additive,
                    format!("new optional input `.{input}({ty})`"),
                ),
                Pair::Removed(ty) => (
                    Impact::Breaking,
                    format!("optional input `.{input}({ty})` removed: breaking for callers"),
                ),
                Pair::Both(x, y) if x != y => (
                    Impact::Breaking,
                    format!(
                        "optional input `.{input}` now takes `{y}` (was `{x}`): breaking for callers"
                    ),
                ),
                Pair::Both(..) => continue,
            };
            self.push(module, item.to_string(), impact, what);
        }
        if a.response != b.response {
            self.push(
                module,
                item.to_string(),
                Impact::Breaking,
                format!(
                    "returns `{}` (was `{}`): breaking for readers",
                    b.response, a.response
                ),
            );
        }
        for extra in b.extras.difference(&a.extras) {
            self.push(
                module,
                item.to_string(),
                Impact::Additive,
                format!("gains `{extra}()`"),
            );
        }
        for extra in a.extras.difference(&b.extras) {
            self.push(
                module,
                item.to_string(),
                Impact::Breaking,
                format!("loses `{extra}()`"),
            );
        }
    }

    fn type_def(&mut self, module: &str, name: &str, a: &TypeSurface, b: &TypeSurface) {
        let item = format!("`{name}`");
        // Who is affected: the caller builds request types, readers read the others.
        let who = if b.request { "callers" } else { "readers" };
        // Constructors and setters are called by whoever built the type before.
        let builders = if a.request || b.request {
            "callers"
        } else {
            "readers"
        };
        for (method, change) in pairs(&a.methods, &b.methods) {
            let item = format!("`{name}::{method}`");
            let (impact, what) = match change {
                Pair::Added(sig) => (Impact::Additive, format!("new method `{sig}`")),
                Pair::Removed(sig) => (
                    Impact::Breaking,
                    format!("method `{sig}` removed: breaking for {builders}"),
                ),
                Pair::Both(x, y) if x != y => (
                    Impact::Breaking,
                    format!("now `{y}` (was `{x}`): breaking for {builders}"),
                ),
                Pair::Both(..) => continue,
            };
            self.push(module, item, impact, what);
        }
        match (&a.shape, &b.shape) {
            (Shape::Struct(x), Shape::Struct(y)) => {
                for (field, change) in pairs(x, y) {
                    let item = format!("`{name}.{field}`");
                    match change {
                        Pair::Added(f) => self.field_added(module, item, b.request, f),
                        Pair::Removed(_) => self.push(
                            module,
                            item,
                            Impact::Breaking,
                            format!("field removed: breaking for {who}"),
                        ),
                        Pair::Both(f, g) => self.field(module, item, b.request, f, g),
                    }
                }
            }
            (Shape::Enum(x), Shape::Enum(y)) => {
                for value in y.difference(x) {
                    let what = if b.request {
                        format!("new value `\"{value}\"`")
                    } else {
                        format!("new value `\"{value}\"` (absorbed by `Unknown` in older versions)")
                    };
                    self.push(module, item.clone(), Impact::Additive, what);
                }
                for value in x.difference(y) {
                    self.push(
                        module,
                        item.clone(),
                        Impact::Breaking,
                        format!(
                            "value `\"{value}\"` removed (its variant is gone): breaking for {who}"
                        ),
                    );
                }
            }
            (Shape::Union(x), Shape::Union(y)) => {
                let old: BTreeMap<&String, &String> = x.iter().map(|(v, t)| (v, t)).collect();
                let new: BTreeMap<&String, &String> = y.iter().map(|(v, t)| (v, t)).collect();
                for (variant, change) in pairs(&old, &new) {
                    let (impact, what) = match change {
                        // Unions are exhaustive: a new form breaks a reader's `match`.
                        Pair::Added(ty) if b.request => (
                            Impact::Additive,
                            format!("new form `{name}::{variant}({ty})`"),
                        ),
                        Pair::Added(ty) => (
                            Impact::Breaking,
                            format!(
                                "new form `{name}::{variant}({ty})`: a `match` over it needs a new arm (breaking for readers)"
                            ),
                        ),
                        Pair::Removed(_) => (
                            Impact::Breaking,
                            format!("form `{name}::{variant}` removed: breaking for {who}"),
                        ),
                        Pair::Both(t, u) if t != u => (
                            Impact::Breaking,
                            format!(
                                "form `{name}::{variant}` now holds `{u}` (was `{t}`): breaking for {who}"
                            ),
                        ),
                        Pair::Both(..) => continue,
                    };
                    self.push(module, item.clone(), impact, what);
                }
            }
            (Shape::Alias(x), Shape::Alias(y)) if x != y => self.push(
                module,
                item,
                Impact::Breaking,
                format!("now `{y}` (was `{x}`): breaking for {who}"),
            ),
            (Shape::Alias(_), Shape::Alias(_)) => {}
            (x, y) => self.push(
                module,
                item,
                Impact::Breaking,
                format!("now a {} (was a {})", y.kind(), x.kind()),
            ),
        }
    }

    fn field_added(&mut self, module: &str, item: String, request: bool, f: &FieldSurface) {
        let (impact, what) = if request && f.required && !f.nullable {
            (
                Impact::Breaking,
                format!(
                    "new required field `{}`: the constructor takes it (breaking for callers)",
                    f.rust_ty
                ),
            )
        } else {
            (Impact::Additive, format!("new field `{}`", f.rust_ty))
        };
        self.push(module, item, impact, what);
    }

    fn field(
        &mut self,
        module: &str,
        item: String,
        request: bool,
        f: &FieldSurface,
        g: &FieldSurface,
    ) {
        let now = if g.required { "required" } else { "optional" };
        let was = if f.required { "required" } else { "optional" };
        if f.rust_ty != g.rust_ty {
            let what = match (request, f.required != g.required) {
                (true, true) => format!(
                    "now {now} (was {was}): `{}` (was `{}`), the constructor changes: breaking for callers",
                    g.rust_ty, f.rust_ty
                ),
                (false, true) => format!(
                    "now {now} (was {was}): `{}` (was `{}`): breaking for readers",
                    g.rust_ty, f.rust_ty
                ),
                (true, false) => format!(
                    "now `{}` (was `{}`): breaking for callers",
                    g.rust_ty, f.rust_ty
                ),
                (false, false) => format!(
                    "now `{}` (was `{}`): breaking for readers",
                    g.rust_ty, f.rust_ty
                ),
            };
            self.push(module, item.clone(), Impact::Breaking, what);
        } else if (f.required, f.nullable) != (g.required, g.nullable) {
            let state = |x: &FieldSurface| match (x.required, x.nullable) {
                (true, false) => "always present",
                (true, true) => "always present, may be null",
                (false, false) => "may be absent",
                (false, true) => "may be absent or null",
            };
            self.push(
                module,
                item.clone(),
                Impact::Compatible,
                format!("{} (was {}); same Rust type", state(g), state(f)),
            );
        }
        if f.json != g.json {
            self.push(
                module,
                item,
                Impact::Compatible,
                format!("JSON name now `{}` (was `{}`)", g.json, f.json),
            );
        }
    }
}

/// `1 operation`, `3 operations`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn op_label(m: &ModuleSurface, method: &str) -> String {
    match &m.handle {
        Some(handle) => format!("`{handle}::{method}`"),
        None => format!("`{method}`"),
    }
}

enum Pair<'a, V> {
    Added(&'a V),
    Removed(&'a V),
    Both(&'a V, &'a V),
}

/// The keys of two maps in order, each with its value on either side.
fn pairs<'a, K: Ord, V>(a: &'a BTreeMap<K, V>, b: &'a BTreeMap<K, V>) -> Vec<(&'a K, Pair<'a, V>)> {
    let keys: BTreeSet<&K> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let pair = match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => Pair::Both(x, y),
                (None, Some(y)) => Pair::Added(y),
                (Some(x), None) => Pair::Removed(x),
                (None, None) => return None,
            };
            Some((k, pair))
        })
        .collect()
}
