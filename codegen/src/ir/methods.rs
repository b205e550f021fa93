//! The methods a type gets besides its fields (`impl Lowerer`), decided here so that
//! every generated type offers the same ones:
//!
//! - request types: `new(required…)` when the required fields' types all differ, a
//!   typestate `builder()` when two share a type (so a swap cannot compile), and a
//!   `with_*` setter (consuming `self`) per optional field;
//! - response types: `*_at()` for each time with its twins (`next`, `nextValue`,
//!   `nextInSeconds` → `next_at()`), `id()` for the twin ID fields `x-fs-key` names,
//!   and `id()` on ID-or-object unions whose object has such a key.

use std::collections::BTreeSet;

use super::lower::Lowerer;
use super::{Accessor, Constructor, Field, Ty, TypeId, TypeKind};
use crate::Error;
use crate::spec::Node;

/// JSON suffixes of FastSpring's twin time fields, read after the plain one.
const TIME_TWINS: &[&str] = &["Value", "InSeconds"];

fn is_time(ty: &Ty) -> bool {
    matches!(ty, Ty::EpochMillis | Ty::EpochSeconds)
}

impl Lowerer {
    /// `x-fs-key: [field, …]` on an object schema: the fields that hold the object's own
    /// ID (FastSpring sends `id`, a twin such as `account`, or both), all typed with one
    /// `x-fs-id` kind. Read while the struct's fields are at hand.
    pub(super) fn read_key(
        &mut self,
        id: TypeId,
        node: &Node<'_>,
        fields: &[Field],
    ) -> Result<(), Error> {
        let Some(key) = node.get("x-fs-key") else {
            return Ok(());
        };
        let mut indices = Vec::new();
        let mut kind = None;
        for item in key.items()? {
            let name = item
                .value
                .as_str()
                .ok_or_else(|| item.error("x-fs-key lists property names"))?;
            let index = fields
                .iter()
                .position(|f| f.json == name && !f.flatten)
                .ok_or_else(|| item.error(format!("x-fs-key names `{name}`, not a property")))?;
            let Ty::Id(this) = fields[index].ty else {
                return Err(item.error(format!("x-fs-key names `{name}`, which has no x-fs-id")));
            };
            if kind.is_some_and(|k| k != this) {
                return Err(item.error("the fields of x-fs-key name one kind of ID"));
            }
            kind = Some(this);
            indices.push(index);
        }
        let Some(kind) = kind else {
            return Err(key.error("x-fs-key lists at least one property"));
        };
        let required = indices
            .iter()
            .any(|i| fields[*i].required && !fields[*i].nullable);
        self.types[id].methods.accessors.push(Accessor::Key {
            kind,
            fields: indices,
            required,
        });
        Ok(())
    }

    /// Decides constructors, setters and accessors, once the request marks are known.
    pub(super) fn plan_methods(&mut self) -> Result<(), Error> {
        for id in 0..self.types.len() {
            let def = &self.types[id];
            match &def.kind {
                TypeKind::Struct { fields } if def.in_request => {
                    let fields = fields.clone();
                    self.plan_request(id, &fields);
                }
                TypeKind::Struct { fields } => {
                    let times = time_accessors(fields);
                    self.types[id].methods.accessors.extend(times);
                }
                TypeKind::Untagged { variants } => {
                    if let Some(accessor) = self.union_id(variants) {
                        self.types[id].methods.accessors.push(accessor);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn plan_request(&mut self, id: TypeId, fields: &[Field]) {
        let required: Vec<&Ty> = fields
            .iter()
            .filter(|f| f.required && !f.nullable && !f.flatten)
            .map(|f| &f.ty)
            .collect();
        let distinct: BTreeSet<&Ty> = required.iter().copied().collect();
        let constructor = if required.is_empty() {
            Constructor::None
        } else if distinct.len() == required.len() {
            Constructor::New
        } else {
            let wanted = format!("{}Builder", self.types[id].name);
            let name = std::iter::once(wanted.clone())
                .chain((2..).map(|i| format!("{wanted}{i}")))
                .find(|c| !self.names.contains_key(c))
                .expect("a free name");
            self.names
                .insert(name.clone(), self.types[id].location.clone());
            Constructor::Builder { name }
        };
        let setters = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.flatten && (!f.required || f.nullable))
            .map(|(i, f)| (i, format!("with_{}", f.rust.trim_start_matches("r#"))))
            .collect();
        let methods = &mut self.types[id].methods;
        methods.constructor = constructor;
        methods.setters = setters;
    }

    /// `id()` of a union of one bare ID and objects whose `x-fs-key` names that kind.
    fn union_id(&self, variants: &[(String, Ty)]) -> Option<Accessor> {
        let mut id_variant = None;
        let mut objects = Vec::new();
        for (name, ty) in variants {
            match ty {
                Ty::Id(kind) if id_variant.is_none() => id_variant = Some((name.clone(), *kind)),
                Ty::Named(target) => {
                    let key =
                        self.types[*target]
                            .methods
                            .accessors
                            .iter()
                            .find_map(|a| match a {
                                Accessor::Key { kind, required, .. } => Some((*kind, *required)),
                                _ => None,
                            })?;
                    objects.push((name.clone(), key));
                }
                _ => return None,
            }
        }
        let (id_variant, kind) = id_variant?;
        if objects.is_empty() || objects.iter().any(|(_, (k, _))| *k != kind) {
            return None;
        }
        Some(Accessor::UnionId {
            kind,
            id_variant,
            objects: objects.into_iter().map(|(v, (_, r))| (v, r)).collect(),
        })
    }
}

/// `*_at()` for each time field that is not itself a twin, reading its twins after it.
/// The name drops a trailing `_date` (`nextChargeDate` → `next_charge_at`) unless another
/// time of the type is called so (`end` beside `endDate`).
fn time_accessors(fields: &[Field]) -> Vec<Accessor> {
    let bases: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            is_time(&f.ty)
                && !f.flatten
                && !TIME_TWINS.iter().any(|suffix| {
                    f.json
                        .strip_suffix(suffix)
                        .is_some_and(|base| fields.iter().any(|g| g.json == base && is_time(&g.ty)))
                })
        })
        .map(|(i, _)| i)
        .collect();
    let base_of = |i: usize| fields[i].rust.trim_start_matches("r#");
    let plain: BTreeSet<String> = bases
        .iter()
        .map(|i| format!("{}_at", base_of(*i)))
        .collect();
    bases
        .iter()
        .map(|&index| {
            let field = &fields[index];
            let mut sources = vec![index];
            for suffix in TIME_TWINS {
                let twin = format!("{}{suffix}", field.json);
                if let Some(i) = fields.iter().position(|g| g.json == twin && is_time(&g.ty)) {
                    sources.push(i);
                }
            }
            let base = base_of(index);
            let name = match base.strip_suffix("_date") {
                Some(short) if !plain.contains(&format!("{short}_at")) => format!("{short}_at"),
                _ => format!("{base}_at"),
            };
            Accessor::Time {
                name,
                fields: sources,
            }
        })
        .collect()
}
