//! What a mock starts with beyond the spec's examples: [`Seed`], and typed builders for
//! the objects apps seed most ([`AccountSeed`], [`OrderSeed`], [`ProductSeed`]), so a
//! test never writes FastSpring's JSON by hand (or knows which key holds an ID).

use serde_json::{Value, json};

use crate::proration::cents;
use crate::store::{Kind, Store};
use crate::timeline::rebill_order;

/// Objects to add to a mock's state, on top of the spec's examples.
///
/// ```
/// use fastspring_mock::{AccountSeed, OrderSeed, ProductSeed, Seed};
///
/// let seed = Seed::new()
///     .product(ProductSeed::new("pro-monthly").price(29.0).every("month", 1))
///     .account(AccountSeed::new("acct-1", "ada@example.com").name("Ada", "Lovelace"))
///     .order(OrderSeed::new("order-1", "acct-1").item("pro-monthly", 1, 29.0))
///     .subscription("sub-1", "acct-1", "pro-monthly");
/// # let _ = seed;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Seed {
    objects: Vec<(Kind, Value)>,
    typed: Vec<Typed>,
    subscriptions: Vec<(String, String, String)>,
    declines: Vec<(String, u32)>,
}

/// A typed seed, turned into JSON when applied (IDs and times come from the store).
#[derive(Debug, Clone)]
enum Typed {
    Account(AccountSeed),
    Order(OrderSeed),
    Product(ProductSeed),
}

impl Seed {
    /// An empty seed.
    pub fn new() -> Seed {
        Seed::default()
    }

    /// Adds an object as the API would return it; it must carry its ID (`account` for
    /// accounts, `product` for products, `coupon` for coupons, `id` for subscriptions
    /// and orders). [`Seed::account`], [`Seed::order`] and [`Seed::product`] build the
    /// common ones for you.
    pub fn object(mut self, kind: Kind, object: Value) -> Seed {
        self.objects.push((kind, object));
        self
    }

    /// Adds an account (`GET /accounts/{id}`, e-mail lookups, checkouts by that buyer).
    pub fn account(mut self, account: AccountSeed) -> Seed {
        self.typed.push(Typed::Account(account));
        self
    }

    /// Adds a completed order (`GET /orders/{id}`, order listings); listed on its
    /// account when that account is in the store.
    pub fn order(mut self, order: OrderSeed) -> Seed {
        self.typed.push(Typed::Order(order));
        self
    }

    /// Adds a product (`GET /products/{path}`, checkouts, estimates and prorated plan
    /// changes read its price).
    pub fn product(mut self, product: ProductSeed) -> Seed {
        self.typed.push(Typed::Product(product));
        self
    }

    /// Adds an active monthly subscription with this ID, of `account` to `product`.
    pub fn subscription(
        mut self,
        id: impl Into<String>,
        account: impl Into<String>,
        product: impl Into<String>,
    ) -> Seed {
        self.subscriptions
            .push((id.into(), account.into(), product.into()));
        self
    }

    /// Declines the next `charges` charges of subscription `id` (renewals, trial
    /// conversions, dunning retries): it goes `overdue` and through dunning.
    pub fn declines(mut self, id: impl Into<String>, charges: u32) -> Seed {
        self.declines.push((id.into(), charges));
        self
    }

    pub(crate) fn apply(&self, store: &mut Store) -> Result<(), String> {
        for (kind, object) in &self.objects {
            let id = object
                .get(kind.key())
                .and_then(Value::as_str)
                .ok_or_else(|| format!("a seeded {} needs `{}`", kind.name(), kind.key()))?;
            store.insert(*kind, id.to_string(), object.clone());
        }
        for typed in &self.typed {
            match typed {
                Typed::Account(account) => account.apply(store),
                Typed::Order(order) => order.apply(store),
                Typed::Product(product) => product.apply(store),
            }
        }
        for (id, account, product) in &self.subscriptions {
            let (id, sub) = store.active_subscription(Some(id), account, product);
            store.billing_mut(&id).payment_method = true;
            store.insert(Kind::Subscriptions, id, sub);
        }
        for (id, charges) in &self.declines {
            store.billing_mut(id).declines = *charges;
        }
        Ok(())
    }
}

/// An account as FastSpring returns it, from the few facts a test cares about.
///
/// ```
/// use fastspring_mock::AccountSeed;
/// let ada = AccountSeed::new("acct-ada", "ada@example.com")
///     .name("Ada", "Lovelace")
///     .country("GB")
///     .custom_key("user-42");
/// # let _ = ada;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct AccountSeed {
    id: String,
    email: String,
    name: (String, String),
    company: Option<String>,
    country: String,
    language: String,
    custom: Option<String>,
}

impl AccountSeed {
    /// The account `id` of the buyer with this e-mail address (named "Test Buyer",
    /// in the US, English, unless set).
    pub fn new(id: impl Into<String>, email: impl Into<String>) -> AccountSeed {
        AccountSeed {
            id: id.into(),
            email: email.into(),
            name: ("Test".into(), "Buyer".into()),
            company: None,
            country: "US".into(),
            language: "en".into(),
            custom: None,
        }
    }

    /// First and last name (`contact.first`, `contact.last`).
    pub fn name(mut self, first: impl Into<String>, last: impl Into<String>) -> AccountSeed {
        self.name = (first.into(), last.into());
        self
    }

    /// Company (`contact.company`).
    pub fn company(mut self, company: impl Into<String>) -> AccountSeed {
        self.company = Some(company.into());
        self
    }

    /// Country code, ISO 3166-1 alpha-2 (`country`).
    pub fn country(mut self, country: impl Into<String>) -> AccountSeed {
        self.country = country.into();
        self
    }

    /// Language code (`language`).
    pub fn language(mut self, language: impl Into<String>) -> AccountSeed {
        self.language = language.into();
        self
    }

    /// Your own key for the buyer (`lookup.custom`; `GET /accounts?custom=` finds it).
    pub fn custom_key(mut self, key: impl Into<String>) -> AccountSeed {
        self.custom = Some(key.into());
        self
    }

    fn apply(&self, store: &mut Store) {
        let mut contact = json!({
            "first": self.name.0, "last": self.name.1, "email": self.email,
        });
        if let Some(company) = &self.company {
            contact["company"] = json!(company);
        }
        let mut body = json!({
            "contact": contact, "country": self.country, "language": self.language,
        });
        if let Some(custom) = &self.custom {
            body["lookup"] = json!({ "custom": custom });
        }
        let (_, mut account) = store.new_account(&body);
        account["id"] = json!(self.id);
        account["account"] = json!(self.id);
        account["url"] = json!(format!(
            "https://mock.test.onfastspring.com/account/{}",
            self.id
        ));
        store.insert(Kind::Accounts, self.id.clone(), account);
    }
}

/// A completed order as FastSpring returns it: items with quantities and unit prices,
/// totals added up, stamped with the mock's clock.
///
/// ```
/// use fastspring_mock::OrderSeed;
/// let order = OrderSeed::new("order-1", "acct-ada")
///     .item("pro-monthly", 2, 29.0)
///     .currency("EUR")
///     .reference("ADA250131-1234-5678");
/// # let _ = order;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct OrderSeed {
    id: String,
    account: String,
    currency: String,
    reference: Option<String>,
    items: Vec<(String, i64, f64)>,
}

impl OrderSeed {
    /// Order `id` of `account`, in USD, with no items yet.
    pub fn new(id: impl Into<String>, account: impl Into<String>) -> OrderSeed {
        OrderSeed {
            id: id.into(),
            account: account.into(),
            currency: "USD".into(),
            reference: None,
            items: Vec::new(),
        }
    }

    /// An item: `quantity` of the product at `product`, each at `unit_price`.
    pub fn item(mut self, product: impl Into<String>, quantity: i64, unit_price: f64) -> OrderSeed {
        self.items.push((product.into(), quantity, unit_price));
        self
    }

    /// The currency (default `USD`).
    pub fn currency(mut self, currency: impl Into<String>) -> OrderSeed {
        self.currency = currency.into();
        self
    }

    /// The order reference buyers see (default: one in FastSpring's style).
    pub fn reference(mut self, reference: impl Into<String>) -> OrderSeed {
        self.reference = Some(reference.into());
        self
    }

    fn apply(&self, store: &mut Store) {
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|(product, quantity, price)| {
                let subtotal = cents(price * *quantity as f64);
                json!({
                    "product": product, "quantity": quantity, "display": product,
                    "subtotal": subtotal, "discount": 0,
                })
            })
            .collect();
        let total = cents(self.items.iter().map(|(_, q, p)| p * *q as f64).sum());
        let mut order = rebill_order(
            &self.id,
            &json!({"currency": self.currency, "account": self.account}),
            &json!(total),
            store.now,
            false,
        );
        order["items"] = Value::Array(items);
        if let Some(reference) = &self.reference {
            order["reference"] = json!(reference);
        }
        if let Some(list) = store
            .get_mut(Kind::Accounts, &self.account)
            .and_then(|a| a.get_mut("orders"))
            .and_then(Value::as_array_mut)
            && !list.iter().any(|o| o == &json!(self.id))
        {
            list.push(json!(self.id));
        }
        store.insert(Kind::Orders, self.id.clone(), order);
    }
}

/// A catalog product as FastSpring returns it: a price, and for a subscription product
/// its billing interval and trial.
///
/// ```
/// use fastspring_mock::ProductSeed;
/// let pro = ProductSeed::new("pro-monthly")
///     .display("Pro")
///     .price(29.0)
///     .every("month", 1)
///     .trial_days(14);
/// # let _ = pro;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct ProductSeed {
    path: String,
    display: Option<String>,
    prices: Vec<(String, f64)>,
    interval: Option<(String, i64)>,
    trial_days: Option<i64>,
}

impl ProductSeed {
    /// The product at `path` (its ID), $10 and not a subscription unless set.
    pub fn new(path: impl Into<String>) -> ProductSeed {
        ProductSeed {
            path: path.into(),
            display: None,
            prices: Vec::new(),
            interval: None,
            trial_days: None,
        }
    }

    /// Its name in English (`display.en`; default: the path).
    pub fn display(mut self, name: impl Into<String>) -> ProductSeed {
        self.display = Some(name.into());
        self
    }

    /// Its price in USD.
    pub fn price(self, usd: f64) -> ProductSeed {
        self.price_in("USD", usd)
    }

    /// Its price in `currency` (several currencies may be set).
    pub fn price_in(mut self, currency: impl Into<String>, price: f64) -> ProductSeed {
        let currency = currency.into();
        self.prices.retain(|(c, _)| *c != currency);
        self.prices.push((currency, price));
        self
    }

    /// A subscription product billed every `length` `unit`s (`day`, `week`, `month`,
    /// `year`): a checkout of it starts a subscription.
    pub fn every(mut self, unit: impl Into<String>, length: i64) -> ProductSeed {
        self.interval = Some((unit.into(), length.max(1)));
        self
    }

    /// A free trial of `days` days before the first charge.
    pub fn trial_days(mut self, days: i64) -> ProductSeed {
        self.trial_days = Some(days.max(0));
        self
    }

    fn apply(&self, store: &mut Store) {
        let prices: serde_json::Map<String, Value> = if self.prices.is_empty() {
            [("USD".to_string(), json!(10))].into_iter().collect()
        } else {
            self.prices
                .iter()
                .map(|(c, p)| (c.clone(), json!(p)))
                .collect()
        };
        let mut pricing = json!({
            "price": prices, "quantityBehavior": "allow", "quantityDefault": 1,
        });
        if let Some((unit, length)) = &self.interval {
            pricing["interval"] = json!(unit);
            pricing["intervalLength"] = json!(length);
        }
        if let Some(days) = self.trial_days {
            pricing["trial"] = json!(days);
        }
        let mut product = json!({
            "product": self.path,
            "display": {"en": self.display.as_deref().unwrap_or(&self.path)},
            "format": "digital",
            "pricing": pricing,
        });
        product["productAppReference"] = json!(store.new_id());
        store.insert(Kind::Products, self.path.clone(), product);
    }
}
