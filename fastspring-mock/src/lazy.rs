//! JSON built when it is first read (and `object`, JSON built without copies). A year of renewals over thousands of subscriptions
//! records hundreds of thousands of orders and events that nobody may ever read: the
//! clock stores each as a recipe (a few shared handles and numbers) and renders it once,
//! on first read, instead of building a JSON tree per renewal.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

type Recipe = Box<dyn Fn() -> Value + Send + Sync>;

/// A JSON value, rendered from its recipe on first read and kept; cloning shares it.
#[derive(Clone)]
pub(crate) struct Lazy(Arc<Inner>);

struct Inner {
    value: OnceLock<Value>,
    recipe: Option<Recipe>,
}

impl Lazy {
    /// A value that is already built.
    pub(crate) fn ready(value: Value) -> Lazy {
        Lazy(Arc::new(Inner {
            value: OnceLock::from(value),
            recipe: None,
        }))
    }

    /// A value built by `recipe` when first read. The recipe must give the same value
    /// whenever it runs: it captures what it needs, never the store.
    pub(crate) fn later(recipe: impl Fn() -> Value + Send + Sync + 'static) -> Lazy {
        Lazy(Arc::new(Inner {
            value: OnceLock::new(),
            recipe: Some(Box::new(recipe)),
        }))
    }

    /// The value, rendered now if it was not yet.
    pub(crate) fn get(&self) -> &Value {
        let inner = &*self.0;
        inner.value.get_or_init(|| match &inner.recipe {
            Some(recipe) => recipe(),
            None => Value::Null,
        })
    }

    /// The value, to change it: rendered first, and copied when another handle (an
    /// event holding the order it recorded) still shares it, so that handle keeps the
    /// value as it was.
    pub(crate) fn make_mut(&mut self) -> &mut Value {
        if Arc::get_mut(&mut self.0).is_none() {
            *self = Lazy::ready(self.get().clone());
        }
        self.get();
        let inner = Arc::get_mut(&mut self.0).expect("a handle of its own");
        inner.recipe = None;
        inner.value.get_mut().expect("rendered above")
    }

    /// The value itself: moved out when this is the only handle, else copied.
    pub(crate) fn into_value(self) -> Value {
        self.get();
        match Arc::try_unwrap(self.0) {
            Ok(inner) => inner.value.into_inner().unwrap_or(Value::Null),
            Err(shared) => shared.value.get().cloned().unwrap_or(Value::Null),
        }
    }
}

impl fmt::Debug for Lazy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.value.get() {
            Some(value) => value.fmt(f),
            None => f.write_str("<not yet rendered>"),
        }
    }
}

/// A JSON object of these members, moved in: `json!` would copy every `Value` given
/// to it through serde, which is most of a renewal's cost when it is a subscription.
pub(crate) fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    #[test]
    fn a_recipe_runs_once_on_first_read() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let lazy = Lazy::later(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            json!({"id": "o1"})
        });
        assert_eq!(runs.load(Ordering::Relaxed), 0);
        let shared = lazy.clone();
        assert_eq!(lazy.get(), &json!({"id": "o1"}));
        assert_eq!(shared.get(), &json!({"id": "o1"}));
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn changing_a_shared_value_leaves_the_other_handle_as_it_was() {
        let mut stored = Lazy::later(|| json!({"state": "active"}));
        let recorded = stored.clone();
        stored.make_mut()["state"] = json!("canceled");
        assert_eq!(stored.get()["state"], "canceled");
        assert_eq!(recorded.get()["state"], "active");
        assert_eq!(recorded.into_value(), json!({"state": "active"}));
        assert_eq!(stored.into_value(), json!({"state": "canceled"}));
    }
}
