//! One decode case in a loop, for instruction counts under `valgrind --tool=callgrind`
//! (criterion's wall-clock figures are noisy on a shared machine; instruction counts are
//! not). `scripts/measure.sh decode` runs it; by hand:
//!
//! `cargo bench -p fastspring-api --bench decode_count --no-run`, then
//! `valgrind --tool=callgrind <bench binary> <case> <iterations>` with case one of
//! `wrapper-value`, `wrapper-typed`, `list-value`, `list-typed`, `none` (setup only).
//! `-typed` is `serde_json::from_slice` into the generated type; `-client` is the
//! client's own decode of a 2xx body (`runtime::decode_json`: the `"result": "error"`
//! check, UTF-8 checked once, then the typed read); `list-value-str` is the `Value`
//! read given the same up-front UTF-8 check, for comparison.

use fastspring_api::orders::{GetOrderResponse, Order};
use fastspring_api::runtime::decode_json;
use serde_json::Value;
use std::hint::black_box;

mod support;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let case = args.next().unwrap_or_else(|| "none".into());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let (wrapper, bare) = support::fifty_orders();
    for _ in 0..iterations {
        match case.as_str() {
            "wrapper-value" => drop(black_box(
                serde_json::from_slice::<Value>(&wrapper).expect("decodes"),
            )),
            "wrapper-typed" => drop(black_box(
                serde_json::from_slice::<GetOrderResponse>(&wrapper).expect("decodes"),
            )),
            "list-value" => drop(black_box(
                serde_json::from_slice::<Value>(&bare).expect("decodes"),
            )),
            "list-typed" => drop(black_box(
                serde_json::from_slice::<Vec<Order>>(&bare).expect("decodes"),
            )),
            "wrapper-client" => drop(black_box(
                decode_json::<GetOrderResponse>("getOrder", false, 200, &wrapper).expect("decodes"),
            )),
            "list-value-str" => drop(black_box(
                serde_json::from_str::<Value>(std::str::from_utf8(&bare).expect("UTF-8"))
                    .expect("decodes"),
            )),
            "list-client" => drop(black_box(
                decode_json::<Vec<Order>>("getOrder", false, 200, &bare).expect("decodes"),
            )),
            "none" => {}
            other => panic!("unknown case {other}"),
        }
    }
}
