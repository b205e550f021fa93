//! Paged listings as streams: `page`/`limit`/`nextPage` (orders), the events' `more`
//! flag with moving time windows, and the guard that stops a listing that does not advance.

use crate::support;

use fastspring_api::Error;
use fastspring_api::orders::OrderOrId;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use support::{Loopback, Reply, test_client};

fn order_page(page: i64, ids: &[&str], next: Option<i64>) -> Value {
    json!({
        "action": "order.getall",
        "result": "success",
        "page": page,
        "limit": 2,
        "nextPage": next,
        "total": 5,
        "orders": ids,
    })
}

fn order_ids(items: &[OrderOrId]) -> Vec<String> {
    items.iter().map(|item| item.id().to_string()).collect()
}

#[tokio::test]
async fn order_items_follow_next_page_and_keep_the_limit_and_filters() {
    let server = Loopback::start([
        Reply::ok(&order_page(1, &["o1", "o2"], Some(2))),
        Reply::ok(&order_page(2, &["o3", "o4"], Some(3))),
        Reply::ok(&order_page(3, &["o5"], None)),
    ])
    .await;
    let t = test_client(&server);
    let items: Vec<_> = t
        .client
        .orders()
        .list()
        .days(7)
        .limit(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(order_ids(&items), ["o1", "o2", "o3", "o4", "o5"]);

    let requests = server.requests();
    assert_eq!(
        requests.len(),
        3,
        "one request per page, none after nextPage: null"
    );
    for (request, page) in requests.iter().zip([None, Some("2"), Some("3")]) {
        assert_eq!(request.path, "/orders");
        let query = request.query_pairs();
        assert!(query.contains(&("days", "7")), "{query:?}");
        assert!(query.contains(&("limit", "2")), "{query:?}");
        assert_eq!(
            query.iter().find(|(k, _)| *k == "page").map(|(_, v)| *v),
            page,
            "{query:?}"
        );
    }
}

#[tokio::test]
async fn order_pages_stream_whole_pages() {
    let server = Loopback::start([
        Reply::ok(&order_page(1, &["o1", "o2"], Some(2))),
        Reply::ok(&order_page(2, &["o3"], None)),
    ])
    .await;
    let t = test_client(&server);
    let pages: Vec<_> = t
        .client
        .orders()
        .list()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].next_page, Some(2));
    assert_eq!(pages[1].next_page, None);
}

#[tokio::test]
async fn a_next_page_that_does_not_advance_ends_the_stream_with_an_error() {
    let server = Loopback::start([
        Reply::ok(&order_page(1, &["o1"], Some(2))),
        Reply::ok(&order_page(2, &["o2"], Some(2))),
    ])
    .await;
    let t = test_client(&server);
    let results: Vec<Result<_, Error>> = t.client.orders().list().items().collect().await;
    assert_eq!(results.len(), 3, "two items, then the error: {results:?}");
    assert!(results[0].is_ok() && results[1].is_ok());
    match &results[2] {
        Err(Error::Pagination { operation, message }) => {
            assert_eq!(*operation, "listOrders");
            assert!(message.contains("does not advance"), "{message}");
        }
        other => panic!("expected a pagination error, got {other:?}"),
    }
    assert_eq!(
        server.requests().len(),
        2,
        "no third request after the repeated page"
    );
}

#[tokio::test]
async fn an_error_page_ends_the_stream_with_that_error() {
    let server = Loopback::start([
        Reply::ok(&order_page(1, &["o1"], Some(2))),
        Reply::json(400, &json!({"action": "order.getall", "result": "error", "error": {"page": "Invalid page"}})),
    ])
    .await;
    let t = test_client(&server);
    let results: Vec<Result<_, Error>> = t.client.orders().list().items().collect().await;
    assert_eq!(results.len(), 2);
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.body()
            .unwrap()
            .field_errors()
            .get("page")
            .map(String::as_str),
        Some("Invalid page")
    );
}

fn event(id: &str, created: i64) -> Value {
    json!({
        "id": id,
        "type": "order.completed",
        "live": false,
        "processed": true,
        "created": created,
        "data": {"id": format!("order-of-{id}")},
    })
}

#[tokio::test]
async fn events_follow_more_with_a_window_after_the_last_event() {
    let server = Loopback::start([
        Reply::ok(
            &json!({"action": "events.get", "result": "success", "page": null, "limit": null,
            "nextPage": null, "total": 0, "more": true,
            "events": [event("e1", 1_700_000_000_000), event("e2", 1_700_000_000_500)]}),
        ),
        Reply::ok(
            &json!({"action": "events.get", "result": "success", "more": false,
            "events": [event("e3", 1_700_000_001_000)]}),
        ),
    ])
    .await;
    let t = test_client(&server);
    let events: Vec<_> = t
        .client
        .events()
        .list_processed()
        .days(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2", "e3"]);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/events/processed");
    assert_eq!(requests[0].query_pairs(), vec![("days", "3")]);
    // The second window starts at the newest event's millisecond (events of that
    // millisecond the first window did not hold come next); `days` gives way to it.
    assert_eq!(requests[1].query_pairs(), vec![("begin", "1700000000500")]);
}

#[tokio::test]
async fn events_that_repeat_while_more_is_true_stop_with_an_error() {
    let page = json!({"action": "events.get", "result": "success", "more": true,
        "events": [event("e1", 1_700_000_000_000)]});
    let server = Loopback::start([Reply::ok(&page), Reply::ok(&page)]).await;
    let t = test_client(&server);
    let results: Vec<_> = t.client.events().list_unprocessed().items().collect().await;
    // The repeated event is not handed out twice; the window that brought nothing new
    // ends the stream.
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(matches!(
        &results[1],
        Err(Error::Pagination {
            operation: "listUnprocessedEvents",
            ..
        })
    ));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn events_of_one_millisecond_split_across_windows_are_all_returned_once() {
    // FastSpring cut the first window inside millisecond 500; whether its `begin` is
    // inclusive is not documented, so the client asks from that millisecond again and
    // drops what it already returned.
    let server = Loopback::start([
        Reply::ok(&json!({"more": true,
            "events": [event("e1", 1_700_000_000_000), event("e2", 1_700_000_000_500)]})),
        Reply::ok(&json!({"more": false,
            "events": [event("e2", 1_700_000_000_500), event("e3", 1_700_000_000_500)]})),
    ])
    .await;
    let t = test_client(&server);
    let events: Vec<_> = t
        .client
        .events()
        .list_unprocessed()
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2", "e3"]);
    assert_eq!(
        server.requests()[1].query_pairs(),
        vec![("begin", "1700000000500")]
    );
}

#[tokio::test]
async fn an_event_created_at_the_end_of_time_does_not_overflow_the_window() {
    let server = Loopback::start([
        Reply::ok(&json!({"more": true, "events": [event("e1", i64::MAX)]})),
        Reply::ok(&json!({"more": false, "events": []})),
    ])
    .await;
    let t = test_client(&server);
    let results: Vec<_> = t.client.events().list_unprocessed().items().collect().await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(results[0].is_ok());
    assert_eq!(
        server.requests()[1].query_pairs(),
        vec![("begin", i64::MAX.to_string().as_str())]
    );
}

#[tokio::test]
async fn a_server_that_ignores_page_and_reports_page_one_is_asked_once_more_at_most() {
    // The server always answers `page: 1, nextPage: 2`, whatever was asked.
    let server =
        Loopback::start((0..5).map(|_| Reply::ok(&order_page(1, &["o1", "o2"], Some(2))))).await;
    let t = test_client(&server);
    let results: Vec<_> = t.client.orders().list().items().collect().await;
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "asked {} times", requests.len());
    assert_eq!(requests[1].query_pairs(), vec![("page", "2")]);
    assert!(
        matches!(results.last(), Some(Err(Error::Pagination { message, .. })) if message.contains("does not advance past page 2")),
        "{results:?}"
    );
}

#[tokio::test]
async fn a_page_that_repeats_the_items_of_the_page_before_stops_the_stream() {
    // Page numbers advance, content does not (a cache that ignores the query).
    let server = Loopback::start([
        Reply::ok(&order_page(1, &["o1", "o2"], Some(2))),
        Reply::ok(&order_page(2, &["o1", "o2"], Some(3))),
        Reply::ok(&order_page(3, &["o1", "o2"], Some(4))),
    ])
    .await;
    let t = test_client(&server);
    let results: Vec<_> = t.client.orders().list().items().collect().await;
    assert_eq!(server.requests().len(), 2);
    assert_eq!(results.len(), 5, "{results:?}");
    assert!(
        matches!(&results[4], Err(Error::Pagination { message, .. }) if message.contains("repeats the items")),
        "{results:?}"
    );
}
