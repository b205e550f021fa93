//! Over the lowered result (`impl Lowerer`): which cargo features need each type, and
//! which types are reachable from a request body (and so serialize).

use std::collections::{BTreeMap, BTreeSet};

use super::lower::{Lowerer, WEBHOOK_TAG};
use super::{Module, Operation, Ty, TypeId, Webhook};

impl Lowerer {
    pub(super) fn assign_features(
        &mut self,
        operations: &[Operation],
        webhooks: &[Webhook],
        modules: &[Module],
        all: &BTreeSet<String>,
    ) {
        let feature_of_module: BTreeMap<&str, &str> = modules
            .iter()
            .filter_map(|m| m.feature.as_deref().map(|f| (m.name.as_str(), f)))
            .collect();
        let mut sets: Vec<BTreeSet<String>> = vec![BTreeSet::new(); self.types.len()];
        let mut always = vec![false; self.types.len()];
        let seed = |sets: &mut Vec<BTreeSet<String>>, ty: &Ty, feature: &str| {
            let mut stack = vec![ty.clone()];
            while let Some(t) = stack.pop() {
                match t {
                    Ty::Named(id) if sets[id].insert(feature.to_string()) => {
                        for next in self.refs.get(&id).into_iter().flatten() {
                            stack.push(Ty::Named(*next));
                        }
                    }
                    Ty::Vec(inner) | Ty::Map(inner) => stack.push(*inner),
                    _ => {}
                }
            }
        };
        for op in operations {
            let feature = feature_of_module[op.module.as_str()];
            for p in &op.params {
                seed(&mut sets, &p.ty, feature);
            }
            if let Some(b) = &op.body {
                seed(&mut sets, &b.ty, feature);
            }
            for (_, ty) in &op.responses {
                seed(&mut sets, ty, feature);
            }
            if let Some(unwrap) = &op.unwrap {
                seed(&mut sets, &unwrap.resource, feature);
            }
        }
        for hook in webhooks {
            seed(&mut sets, &hook.data, WEBHOOK_TAG);
        }
        for id in 0..self.types.len() {
            match feature_of_module.get(self.types[id].module.as_str()) {
                Some(feature) => seed(&mut sets, &Ty::Named(id), feature),
                None => {
                    if sets[id].is_empty() {
                        always[id] = true;
                    }
                }
            }
        }
        // A type that is always compiled makes everything it mentions always compiled.
        let mut stack: Vec<TypeId> = (0..self.types.len()).filter(|i| always[*i]).collect();
        while let Some(id) = stack.pop() {
            for next in self.refs.get(&id).into_iter().flatten() {
                if !always[*next] {
                    always[*next] = true;
                    stack.push(*next);
                }
            }
        }
        for (id, def) in self.types.iter_mut().enumerate() {
            def.features = if always[id] || &sets[id] == all {
                None
            } else {
                Some(sets[id].clone())
            };
        }
    }

    pub(super) fn mark_requests(&mut self, operations: &[Operation]) {
        let mut stack: Vec<Ty> = operations
            .iter()
            .filter_map(|o| o.body.as_ref().map(|b| b.ty.clone()))
            .collect();
        while let Some(t) = stack.pop() {
            match t {
                Ty::Named(id) if !self.types[id].in_request => {
                    self.types[id].in_request = true;
                    for next in self.refs.get(&id).into_iter().flatten() {
                        stack.push(Ty::Named(*next));
                    }
                }
                Ty::Vec(inner) | Ty::Map(inner) => stack.push(*inner),
                _ => {}
            }
        }
    }
}
