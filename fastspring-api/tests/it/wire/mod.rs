//! Every operation over the wire against the loopback server: the request it sends
//! (method, path, query, headers, body) and the typed answer it returns, by group.

mod accounts_orders_subscriptions;
mod coupons_products_returns;
mod invoices_quotes_sessions;
