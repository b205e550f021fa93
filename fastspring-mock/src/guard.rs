//! Who may talk to the mock: programs on this machine, never a web page.
//!
//! The mock listens on loopback only, but loopback is reachable from the developer's
//! browser. Without this guard a page could make the mock sign forged events with the
//! developer's webhook secret, inject faults, or (with DNS rebinding) repoint deliveries
//! at any URL. Every request must therefore:
//!
//! - name the mock itself in `Host`: `127.0.0.1:<port>`, `localhost:<port>` or
//!   `[::1]:<port>` (a rebound name such as `attacker.example:<port>` is refused);
//! - come from no other web origin: an `Origin` header, when present, must be the mock's
//!   own (`http://` + one of the hosts above), and `Sec-Fetch-Site`, when present, must
//!   be `same-origin` or `none`;
//! - for admin writes (`POST`/`PUT` under `/mock/admin`), carry
//!   `Content-Type: application/json`. A browser sends that type cross-origin only after
//!   a preflight, which the mock never grants, so a page cannot send a "simple"
//!   `text/plain` write.
//!
//! Refusals are `403 Forbidden` with a JSON `message` saying which rule failed.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;

/// `Some(refusal)` when the request breaks one of the module's rules; `None` lets it
/// through. `port` is the port the mock listens on.
pub(crate) fn check<B>(request: &Request<B>, port: u16) -> Option<Response> {
    let headers = request.headers();
    let host = match request.uri().authority() {
        // An absolute-form target (`GET http://host/ HTTP/1.1`) names the host itself.
        Some(authority) => Some(authority.as_str()),
        None => header_text(headers, header::HOST),
    };
    if !host.is_some_and(|host| is_own_host(host, port)) {
        return Some(refuse(
            "Host must be the mock's own loopback address and port",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| is_own_host(o, port));
        if !own {
            return Some(refuse("requests from other web origins are refused"));
        }
    }
    if let Some(site) = header_text(headers, "sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some(refuse("requests from other web sites are refused"));
    }
    let is_write = matches!(*request.method(), Method::POST | Method::PUT);
    if is_write && is_admin(request.uri().path()) && !is_json(headers) {
        return Some(refuse("admin writes need Content-Type: application/json"));
    }
    None
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_admin(path: &str) -> bool {
    path == "/mock/admin" || path.starts_with("/mock/admin/")
}

/// `host:port` names this mock: a loopback name and exactly its port.
fn is_own_host(host: &str, port: u16) -> bool {
    let Some((name, given_port)) = host.rsplit_once(':') else {
        return false;
    };
    given_port.parse::<u16>() == Ok(port)
        && (name == "127.0.0.1" || name == "[::1]" || name.eq_ignore_ascii_case("localhost"))
}

/// `Content-Type` is `application/json`, parameters (`; charset=utf-8`) allowed.
fn is_json(headers: &HeaderMap) -> bool {
    header_text(headers, header::CONTENT_TYPE).is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    })
}

fn refuse(message: &str) -> Response {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri(target);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn loopback_names_with_the_right_port_pass_and_others_do_not() {
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            assert!(is_own_host(host, 8080), "{host}");
        }
        for host in [
            "127.0.0.1:8081",
            "127.0.0.1",
            "attacker.example:8080",
            "127.0.0.1.attacker.example:8080",
            "localhost:08080x",
            "",
        ] {
            assert!(!is_own_host(host, 8080), "{host}");
        }
    }

    #[test]
    fn an_absolute_form_target_is_judged_by_its_own_authority() {
        let r = request(
            "GET",
            "http://attacker.example:8080/accounts",
            &[("host", "127.0.0.1:8080")],
        );
        assert_eq!(check(&r, 8080).unwrap().status(), 403);
    }

    #[test]
    fn json_content_types_with_parameters_count_as_json() {
        let ok = request(
            "POST",
            "/mock/admin/events",
            &[
                ("host", "127.0.0.1:1"),
                ("content-type", "Application/JSON; charset=utf-8"),
            ],
        );
        assert!(check(&ok, 1).is_none());
        let not = request(
            "POST",
            "/mock/admin/events",
            &[
                ("host", "127.0.0.1:1"),
                ("content-type", "application/jsonx"),
            ],
        );
        assert!(check(&not, 1).is_some());
    }
}
