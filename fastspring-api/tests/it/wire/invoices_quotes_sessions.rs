//! Every operation of the invoices (2), quotes (5), sessions-v1 (1) and checkout-sessions
//! (8) groups, and the events (3) and webhook-keys (1) operations, called through its
//! generated method against a loopback server that answers with the spec's own example.
//! Each test checks what went over the wire (method, raw path, query, auth, User-Agent,
//! Accept, Content-Type, JSON body) and what came back.

use crate::support;

use std::collections::BTreeMap;

use fastspring_api::checkout_sessions::{
    CheckoutSessionAddress, CheckoutSessionCartRequest, CheckoutSessionCartTaxIncluded,
    CheckoutSessionCheckoutStatusItem, CheckoutSessionContact, CheckoutSessionCustomPrice,
    CheckoutSessionCustomerRequest, CheckoutSessionCustomerRequestShipToType,
    CheckoutSessionErrorResponse, CheckoutSessionFieldElement, CheckoutSessionInterval,
    CheckoutSessionIntervalIntervalUnit, CheckoutSessionItemPriceTaxIncluded,
    CheckoutSessionItemProductFormat, CheckoutSessionItemProductType, CheckoutSessionItemRequest,
    CheckoutSessionPaymentMethodSupportedProductTypesItem, CheckoutSessionPaymentMethodType,
    CheckoutSessionPaymentMethodVariantsItem, CheckoutSessionProductDescriptions,
    CheckoutSessionRequest, CheckoutSessionStatus, CheckoutSessionSubscriptionSettings,
    CheckoutSessionVolumeDiscount, CheckoutSessionWarningCode,
};
use fastspring_api::common::ResultStatus;
use fastspring_api::events::EventUpdateRequest;
use fastspring_api::invoices::{
    CreateInvoiceRequest, CreateInvoiceRequestMode, InvoiceAddressRequest, InvoiceContactRequest,
    InvoiceErrorResponse, InvoiceItemRequest, InvoiceNotFoundResponse, InvoiceOrganizationRequest,
    InvoicePartyRequest, InvoicePartyRequestContactType, InvoiceStatus, InvoiceType,
};
use fastspring_api::quotes::{
    CreateQuoteRequest, QuoteAddressRequest, QuoteErrorResponse, QuoteFulfillmentTerm,
    QuoteItemRequest, QuoteRecipientRequest, QuoteStatus, QuoteTag, QuoteTags, UpdateQuoteBody,
    UpdateQuoteRequest, UpdateQuoteRequestWrapped,
};
use fastspring_api::sessions_v1::{
    SessionV1CreateRequest, SessionV1ItemRequest, SessionV1Pricing, SessionV1PricingDiscountType,
    SessionV1PricingInterval, SessionV1PricingQuantityBehavior,
    SessionV1PricingQuantityDiscountsValue, SessionV1PricingRenew,
};
use fastspring_api::webhook_keys::WebhookKeyRotateRequest;
use fastspring_api::{Amount, EpochMillis, Error, Secret};
use serde_json::{Value, json};
use support::{
    Loopback, Recorded, Reply, amount, assert_json_eq, per_currency, request_example,
    response_example, s, serve_example, serve_status_example, test_client, test_client_with, texts,
};

/// Asserts the one request the server saw (see `support::assert_sent`), and that it
/// asked for JSON: every operation of these groups answers, and fails, with JSON.
#[track_caller]
fn assert_sent(
    server: &Loopback,
    method: &str,
    raw_path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Recorded {
    let request = support::assert_sent(server, method, raw_path, query, body);
    assert_eq!(request.header("accept"), Some("application/json"), "Accept");
    request
}

// ---------------------------------------------------------------------------------------
// invoices
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn invoices_create() {
    let (server, t) = serve_example("createInvoice", "reference-response").await;
    let mut receiver = InvoiceContactRequest::builder()
        .email("recipient@example.com")
        .first_name("John")
        .last_name("Smith")
        .build();
    receiver.phone_number = Some(s("+1 555 000-0001"));
    receiver.company_name = Some(s("Example Company"));
    receiver.website = Some(s("https://example.com"));
    let mut deliver_to =
        InvoicePartyRequest::new(InvoicePartyRequestContactType::DeliverTo, receiver);
    deliver_to.address = Some(InvoiceAddressRequest {
        address_line1: Some(s("123 Main Street")),
        address_line2: Some(s("Suite 100")),
        city: Some(s("Metropolis")),
        region: None,
        postal_code: Some(s("12345")),
        country: Some(s("US")),
    });
    deliver_to.organization = Some(InvoiceOrganizationRequest {
        organization_name: Some(s("Example Company")),
        organization_type: Some(s("S Corporation")),
        organization_reference: None,
    });
    let mut payer = InvoiceContactRequest::builder()
        .email("billing@example.com")
        .first_name("Jane")
        .last_name("Doe")
        .build();
    payer.phone_number = Some(s("+1 555 000-0002"));
    payer.company_name = Some(s("Sample Corp"));
    payer.website = Some(s("https://samplecorp.example"));
    payer.full_name = Some(s("Jane Doe"));
    let mut bill_to = InvoicePartyRequest::new(InvoicePartyRequestContactType::BillTo, payer);
    bill_to.address = Some(InvoiceAddressRequest {
        address_line1: Some(s("456 Elm Street")),
        address_line2: Some(s("Building B")),
        city: Some(s("Gotham")),
        region: Some(s("CA")),
        postal_code: Some(s("90210")),
        country: Some(s("US")),
    });
    bill_to.organization = Some(InvoiceOrganizationRequest {
        organization_name: Some(s("Sample Corp")),
        organization_type: Some(s("Corporation")),
        organization_reference: Some(s("REF-001")),
    });
    let mut item = InvoiceItemRequest::new(s("sample-product"), 4, true);
    item.sku = Some(s("SKU-123"));
    item.display = Some(s("Sample Product Display Name"));
    item.summary = Some(s("Short product summary here."));
    item.extended_item_description =
        Some(s("Extended product description with additional details."));
    let mut body = CreateInvoiceRequest::builder()
        .currency_code("USD")
        .contacts([deliver_to, bill_to])
        .invoice_items([item])
        .payment_method("CARD")
        .mode(CreateInvoiceRequestMode::Test)
        .build();
    body.language_code = Some(s("en"));
    body.auto_convert_payment_currency = Some(true);
    body.due_date = Some(s("2026-12-01T00:00:00Z"));
    body.invoice_note = Some(s("Sample invoice note for reference."));
    body.tags_json = Some(s(
        r#"{"costCenter": "CC-1042", "purchaseOrder": "PO-2026-Q2-0042"}"#,
    ));

    let invoice = t.client.invoices().create(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/invoices/paymentInvoice",
        &[],
        Some(&request_example("createInvoice", "reference-request")),
    );
    assert_eq!(invoice.id.as_deref(), Some("ABCD0EF1GHIJKLMNOPQRSTUVWXYZ"));
    assert_eq!(invoice.status, Some(InvoiceStatus::Open));
    assert_eq!(invoice.invoice_type, Some(InvoiceType::Invoice));
    assert_eq!(invoice.currency.as_deref(), Some("USD"));
    assert_eq!(invoice.sub_total, Some(Amount::from(100)));
    assert_eq!(invoice.total_tax_value, Some(Amount::from(6)));
    assert_eq!(invoice.total_order_value, Some(Amount::from(106)));
    assert_eq!(invoice.tax_rate, Some(6.0));
    let items = invoice.items.as_ref().expect("items");
    assert_eq!(items[0].product_path.as_deref(), Some("sample-product"));
    assert_eq!(items[0].quantity, Some(4));
    assert_eq!(items[0].list_price, Some(Amount::from(25)));
    assert_eq!(items[0].total_pre_shipping_price, Some(Amount::from(100)));
    assert_eq!(items[0].period_price, None);
    let tax = &items[0].item_taxes.as_ref().expect("itemTaxes")[0];
    assert_eq!(tax.value, Some(Amount::from(6)));
    assert_eq!(tax.tax_type.as_deref(), Some("US_SALES_TAX"));
    let totals = invoice.payment_totals.as_ref().expect("paymentTotals");
    assert_eq!(totals.payable_total, Some(Amount::from(106)));
    assert_eq!(totals.payable_total_display.as_deref(), Some("$106.00"));
    assert_eq!(totals.tax_total, Some(Amount::from(6)));
    assert_eq!(
        invoice.payment_invoice_web_pay_link.as_deref(),
        Some("https://example.com/session/ABC012345-6789-01234/pay")
    );
    assert_eq!(
        invoice.payment_due_date.as_deref(),
        Some("2026-12-01T00:00:00Z")
    );
    assert_eq!(
        invoice.purchaser.as_ref().and_then(|p| p.email.as_deref()),
        Some("billing@example.com")
    );
    assert_eq!(
        invoice
            .receiver_organization
            .as_ref()
            .and_then(|o| o.organization_id.as_deref()),
        Some("ORGABCDEFGHIJKLMNOPQRST0U1VWX")
    );
}

#[tokio::test]
async fn invoices_get() {
    let (server, t) = serve_example("getInvoice", "reference-fields").await;

    // An ID with a space and a slash must stay one path segment.
    let invoice = t
        .client
        .invoices()
        .get("ABCD0EF1 GHIJ/KLMNOPQRSTUVWXYZ")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/invoices/ABCD0EF1%20GHIJ%2FKLMNOPQRSTUVWXYZ",
        &[],
        None,
    );
    assert_eq!(invoice.id.as_deref(), Some("ABCD0EF1GHIJKLMNOPQRSTUVWXYZ"));
    assert_eq!(invoice.status, Some(InvoiceStatus::Complete));
    assert_eq!(invoice.invoice_type, Some(InvoiceType::Invoice));
    assert_eq!(invoice.net_terms_days, Some(10));
    // The token that opens the invoice is kept, but never shown by `Debug`.
    assert_eq!(
        invoice.invoice_secret.as_ref().map(Secret::expose),
        Some("TAX01ABCDEFGHIJ2KLMNOP3QRSTUV4WXYZABC5DEFGHIJKLMNOPQ")
    );
    assert!(!format!("{invoice:?}").contains("TAX01ABCDEFGHIJ"));
    assert_eq!(
        invoice.payment_date.as_deref(),
        Some("2026-12-31T23:10:30Z")
    );
    assert_eq!(invoice.sub_total, Some(amount("59.8")));
    assert_eq!(invoice.total_tax_value, Some(amount("3.59")));
    assert_eq!(invoice.total_order_value, Some(amount("63.39")));
    assert_eq!(invoice.shipping_total, Some(Amount::from(0)));
    assert_eq!(invoice.refunds.as_deref(), Some(&[][..]));
    assert_eq!(
        invoice
            .purchaser
            .as_ref()
            .and_then(|p| p.contact_type.as_deref()),
        Some("SHIP-TO")
    );
    assert_eq!(
        invoice
            .purchaser_organization
            .as_ref()
            .and_then(|o| o.organization_reference.as_deref()),
        Some("REF-001")
    );
    let item = &invoice.items.as_ref().expect("items")[0];
    assert_eq!(item.quantity, Some(4));
    assert_eq!(item.list_price, Some(Amount::from(25)));
}

#[tokio::test]
async fn invoices_get_not_found_is_an_api_error_with_the_message() {
    let body = response_example("getInvoice", 404, "not-found");
    let server = Loopback::start([Reply::json(404, &body)]).await;
    let t = test_client(&server);

    let err = t
        .client
        .invoices()
        .get("ABCD0EF1GHIJKLMNOPQRSTUVWXYZ")
        .await
        .unwrap_err();

    assert_sent(
        &server,
        "GET",
        "/invoices/ABCD0EF1GHIJKLMNOPQRSTUVWXYZ",
        &[],
        None,
    );
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_retryable());
    let Error::Api {
        operation,
        status,
        body: error_body,
    } = &err
    else {
        panic!("a 404 is an API error: {err:?}");
    };
    assert_eq!(*operation, "getInvoice");
    assert_eq!(*status, 404);
    assert_eq!(
        error_body.message().as_deref(),
        Some("Resource does not exist.")
    );
    // The Spring-style body has no per-field errors.
    assert!(error_body.field_errors().is_empty());
    assert_json_eq(error_body.json().expect("a JSON body"), &body);
    let parsed: InvoiceNotFoundResponse = error_body.parse().expect("the 404 schema");
    assert_eq!(parsed.status.as_deref(), Some("NOT_FOUND"));
    assert_eq!(
        parsed.details.as_deref(),
        Some("Invoice was not found for parameters {id=ABCD0EF1GHIJKLMNOPQRSTUVWXYZ}")
    );
    assert!(
        err.to_string().contains("Resource does not exist."),
        "{err}"
    );
}

#[tokio::test]
async fn invoices_create_unauthorized_is_an_api_error_with_code_and_message() {
    let body = response_example("createInvoice", 401, "error");
    let server = Loopback::start([Reply::json(401, &body)]).await;
    let t = test_client(&server);
    let body_sent = request_example("createInvoice", "reference-request");
    let request: CreateInvoiceRequest =
        serde_json::from_value(body_sent.clone()).expect("the request example decodes");

    let err = t.client.invoices().create(request).await.unwrap_err();

    assert_sent(
        &server,
        "POST",
        "/invoices/paymentInvoice",
        &[],
        Some(&body_sent),
    );
    let Error::Api {
        status,
        body: error_body,
        ..
    } = &err
    else {
        panic!("a 401 is an API error: {err:?}");
    };
    assert_eq!(*status, 401);
    assert_eq!(
        error_body.message().as_deref(),
        Some("Invalid request parameters")
    );
    let parsed: InvoiceErrorResponse = error_body.parse().expect("ErrorResponseV2");
    assert_eq!(parsed.code, "VALIDATION_ERROR");
}

// ---------------------------------------------------------------------------------------
// quotes
// ---------------------------------------------------------------------------------------

fn quote_request_parts() -> (
    Vec<QuoteItemRequest>,
    QuoteRecipientRequest,
    QuoteAddressRequest,
) {
    let mut item = QuoteItemRequest::new(s("basic-laptop"));
    item.quantity = Some(1);
    item.unit_list_price = Some(amount("400"));
    let items = vec![item];
    let mut recipient = QuoteRecipientRequest::builder()
        .first("Leeroy")
        .last("Jenkins")
        .email("ne1@all.com")
        .build();
    recipient.company = Some(s("ABC Company"));
    recipient.phone = Some(Some(s("1254789654")));
    let mut address = QuoteAddressRequest::builder()
        .country("US")
        .postal_code("93101")
        .build();
    address.address_line1 = Some(s("801 Garden St"));
    address.address_line2 = Some(Some(s("Suite 201")));
    address.city = Some(s("Santa Barbara"));
    address.region = Some(s("California"));
    (items, recipient, address)
}

fn quote_tags() -> Vec<QuoteTag> {
    let tag = QuoteTag {
        key: Some(s("tag-key")),
        value: Some(s("Tag Value")),
    };
    vec![tag.clone(), tag]
}

#[tokio::test]
async fn quotes_create() {
    // The current reference answers 201.
    let (server, t) = serve_status_example("createQuote", 201, "created-quote").await;
    let (items, recipient, address) = quote_request_parts();
    let mut body = CreateQuoteRequest::new(items, s("Quote for ABC Company"), recipient, address);
    body.notes = Some(Some(s("This is a Note")));
    body.coupon = Some(Some(s("TENOFF")));
    body.source = Some(s("MANAGER"));
    body.tags = Some(quote_tags());
    body.source_ip = Some(s("181.55.25.101"));
    body.expiration_date_days = Some(30);
    body.tax_id = Some(Some(s("BE09999999XX")));
    body.currency = Some(s("USD"));
    body.net_terms_days = Some(0);
    body.fulfillment_term = Some(QuoteFulfillmentTerm::OnPayment);

    let quote = t.client.quotes().create(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/quotes",
        &[],
        Some(&request_example("createQuote", "synthesized-request")),
    );
    assert_eq!(quote.id.as_deref(), Some("AB1CD23EFG45H6IJKLMNOPQ78R9S"));
    assert_eq!(quote.status, Some(QuoteStatus::Open));
    assert_eq!(
        quote.fulfillment_term,
        Some(QuoteFulfillmentTerm::OnPayment)
    );
    assert_eq!(quote.subtotal, Some(Amount::from(400)));
    assert_eq!(quote.discount, Some(Amount::from(40)));
    assert_eq!(quote.total, Some(Amount::from(360)));
    assert_eq!(quote.total_display.as_deref(), Some("$360.00"));
    assert_eq!(quote.tax_rate, Some(0.0));
    assert_eq!(quote.notes, None);
    assert_eq!(
        quote.quote_url.as_deref(),
        Some(
            "https://test.onfastspring.com/popup-defaultB2B/account/order/quote/AB1CD23EFG45H6IJKLMNOPQ78R9S"
        )
    );
    let history = quote.status_history.as_ref().expect("statusHistory");
    assert_eq!(history[0].status_updated_to, Some(QuoteStatus::Open));
    let Some(QuoteTags::List(tags)) = &quote.tags else {
        panic!(
            "quotes answer with a list of key/value tags: {:?}",
            quote.tags
        );
    };
    assert_eq!(tags[0].key.as_deref(), Some("tag-key"));
    let item = &quote.items.as_ref().expect("items")[0];
    assert_eq!(item.product.as_deref(), Some("add-on-subscription"));
    assert_eq!(item.quantity, Some(2));
    assert_eq!(item.unit_price, Some(Amount::from(180)));
    assert_eq!(item.unit_list_price, Some(Amount::from(200)));
    let renew = &item
        .renew_into_products
        .as_ref()
        .expect("renewIntoProducts")[0];
    assert_eq!(renew.renew_into_price, Some(amount("9.99")));
    let line = &item
        .price_detail
        .as_ref()
        .expect("priceDetail")
        .plans
        .as_ref()
        .expect("plans")[0]
        .prices
        .as_ref()
        .expect("prices")[0];
    assert_eq!(line.extended_net_price, Some(Amount::from(360)));
    assert_eq!(line.discount_percent, Some(10.0));
}

#[tokio::test]
async fn quotes_list() {
    let (server, t) = serve_example("listQuotes", "one-quote").await;

    let page = t
        .client
        .quotes()
        .list()
        .created_email("jane.doe@example.com")
        .only_quote_id(false)
        .statuses(vec![QuoteStatus::Open, QuoteStatus::Expired])
        .created_begin("2024-09-01")
        .created_end("2024-09-30")
        .expires_begin("2024-10-01")
        .expires_end("2024-10-31")
        .expired_before("2024-10-15")
        .search_param("ABC Company")
        .await
        .unwrap();

    let request = assert_sent(
        &server,
        "GET",
        "/quotes",
        &[
            ("createdEmail", "jane.doe@example.com"),
            ("onlyQuoteId", "false"),
            ("statuses", "OPEN"),
            ("statuses", "EXPIRED"),
            ("createdBegin", "2024-09-01"),
            ("createdEnd", "2024-09-30"),
            ("expiresBegin", "2024-10-01"),
            ("expiresEnd", "2024-10-31"),
            ("expiredBefore", "2024-10-15"),
            ("searchParam", "ABC Company"),
        ],
        None,
    );
    // `statuses` is exploded (one pair per status), not joined with commas.
    assert_eq!(
        request.raw_query.as_deref(),
        Some(
            "createdEmail=jane.doe%40example.com&onlyQuoteId=false&statuses=OPEN&statuses=EXPIRED\
             &createdBegin=2024-09-01&createdEnd=2024-09-30&expiresBegin=2024-10-01\
             &expiresEnd=2024-10-31&expiredBefore=2024-10-15&searchParam=ABC+Company"
        )
    );
    assert_eq!(page.content, None);
    let quotes = page
        .embedded
        .as_ref()
        .and_then(|e| e.quotes.as_ref())
        .expect("_embedded.quotes");
    assert_eq!(quotes.len(), 1);
    assert_eq!(
        quotes[0].id.as_deref(),
        Some("AB1CD23EFG45H6IJKLMNOPQ78R9S")
    );
    assert_eq!(quotes[0].status, Some(QuoteStatus::Expired));
    assert_eq!(quotes[0].net_terms_days, Some(30));
    assert_eq!(quotes[0].total, Some(Amount::from(360)));
    assert_eq!(
        quotes[0]
            .recipient
            .as_ref()
            .and_then(|r| r.email.as_deref()),
        Some("jane.doe@example.com")
    );
}

#[tokio::test]
async fn quotes_get() {
    let (server, t) = serve_example("getQuote", "reference-quote").await;

    let quote = t
        .client
        .quotes()
        .get("AB1CD23EFG45H6IJKLMNOPQ78R9S")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/quotes/AB1CD23EFG45H6IJKLMNOPQ78R9S",
        &[],
        None,
    );
    assert_eq!(quote.id.as_deref(), Some("AB1CD23EFG45H6IJKLMNOPQ78R9S"));
    assert_eq!(quote.status, Some(QuoteStatus::Expired));
    assert_eq!(quote.name.as_deref(), Some("Name of the quote"));
    assert_eq!(quote.expiration_date_days, Some(30));
    assert_eq!(
        quote.invoice_id.as_deref(),
        Some("AB12CDE35FGHIJKLMN6OPQRSTUV")
    );
    assert_eq!(
        quote.order_reference.as_deref(),
        Some("AB1234567-8910-11121")
    );
    assert_eq!(quote.is_gross_tax, Some(false));
    assert_eq!(
        quote.created_by.as_ref().and_then(|c| c.user_id.as_deref()),
        Some("abCDEFGHijkLmNOpQr_S")
    );
    let address = quote.recipient_address.as_ref().expect("recipientAddress");
    assert_eq!(address.postal_code.as_deref(), Some("12345"));
    assert_eq!(address.address_line2, None);
    let item = &quote.items.as_ref().expect("items")[0];
    assert_eq!(item.subscription, Some(true));
    assert_eq!(item.unit_discount, Some(Amount::from(20)));
    assert_eq!(item.interval_count, None);
    let notification = &item.notifications.as_ref().expect("notifications")[0];
    assert_eq!(
        notification.notification_type.as_deref(),
        Some("TRIAL_CONVERSION_REMINDER")
    );
}

/// The fields of the published update example, as a typed request.
fn update_quote_request() -> UpdateQuoteRequest {
    let (items, recipient, address) = quote_request_parts();
    let mut body = UpdateQuoteRequest::builder()
        .currency("USD")
        .expiration_date_days(30)
        .fulfillment_term(QuoteFulfillmentTerm::OnPayment)
        .items(items)
        .name("Quote for ABC Company")
        .recipient(recipient)
        .recipient_address(address)
        .build();
    body.notes = Some(Some(s("This is a Note")));
    body.coupon = Some(Some(s("TENOFF")));
    body.source = Some(s("MANAGER"));
    body.tags = Some(quote_tags());
    body.source_ip = Some(s("181.55.25.101"));
    body.tax_id = Some(Some(s("BE09999999XX")));
    body.invoice_id = Some(s("AB12CDE35FGHIJKLMNOPQRSTUV"));
    body.net_terms_days = Some(1);
    body.status = Some(QuoteStatus::Open);
    body
}

#[tokio::test]
async fn quotes_update() {
    let (server, t) = serve_example("updateQuote", "updated-quote").await;
    let body = UpdateQuoteBody::Bare(Box::new(update_quote_request()));

    // A slash and a space in the ID are encoded, not sent as path structure.
    let quote = t
        .client
        .quotes()
        .update("QUVJIVYZ/TQDF BOBEO7IGNXER3VBQ", body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "PUT",
        "/quotes/QUVJIVYZ%2FTQDF%20BOBEO7IGNXER3VBQ",
        &[],
        Some(&request_example("updateQuote", "synthesized-request")),
    );
    assert_eq!(quote.id.as_deref(), Some("AB1CD23EFG45H6IJKLMNOPQ78R9S"));
    assert_eq!(quote.status, Some(QuoteStatus::Open));
    assert_eq!(quote.net_terms_days, Some(30));
    assert_eq!(quote.coupon.as_deref(), Some("TENOFF"));
    assert_eq!(quote.discount_display.as_deref(), Some("$40.00"));
    assert_eq!(quote.total_in_payout_currency, Some(Amount::from(360)));
    assert_eq!(
        quote.updated.as_deref(),
        Some("2024-10-10T00:04:24.174+00:00")
    );
}

/// The wrapper shape of the current reference is the caller's choice: the same fields go
/// out under `updateQuoteRequest`, and nothing else changes.
#[tokio::test]
async fn quotes_update_wrapped_body() {
    let (server, t) = serve_example("updateQuote", "updated-quote").await;
    let body = UpdateQuoteBody::Wrapped(Box::new(UpdateQuoteRequestWrapped::new(
        update_quote_request(),
    )));

    let quote = t
        .client
        .quotes()
        .update("AB1CD23EFG45H6IJKLMNOPQ78R9S", body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "PUT",
        "/quotes/AB1CD23EFG45H6IJKLMNOPQ78R9S",
        &[],
        Some(&request_example("updateQuote", "wrapped-request")),
    );
    assert_eq!(quote.id.as_deref(), Some("AB1CD23EFG45H6IJKLMNOPQ78R9S"));
}

#[tokio::test]
async fn quotes_cancel() {
    let (server, t) = serve_example("cancelQuote", "canceled-quote").await;

    // `?` and `#` in an ID must not start a query or a fragment.
    let quote = t
        .client
        .quotes()
        .cancel("QU?VJIVYZTQDF#BOBEO7IGNXER3")
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/quotes/QU%3FVJIVYZTQDF%23BOBEO7IGNXER3/cancel",
        &[],
        None,
    );
    assert_eq!(quote.id.as_deref(), Some("AB1CD23EFG45H6IJKLMNOPQ78R9S"));
    assert_eq!(quote.status, Some(QuoteStatus::Canceled));
    let change = &quote.status_history.as_ref().expect("statusHistory")[0];
    assert_eq!(change.status_updated_to, Some(QuoteStatus::Canceled));
    assert_eq!(change.status_updated_by_email.as_deref(), Some("SYSTEM"));
    assert_eq!(quote.total, Some(Amount::from(360)));
}

#[tokio::test]
async fn quotes_cancel_not_found_is_an_api_error_with_the_message() {
    let body = response_example("cancelQuote", 404, "not-found");
    let server = Loopback::start([Reply::json(404, &body)]).await;
    let t = test_client(&server);

    let err = t
        .client
        .quotes()
        .cancel("QUVJIVYZTQDFBOBEO7IGNXER3VBQ")
        .await
        .unwrap_err();

    assert_sent(
        &server,
        "POST",
        "/quotes/QUVJIVYZTQDFBOBEO7IGNXER3VBQ/cancel",
        &[],
        None,
    );
    let Error::Api {
        operation,
        status,
        body: error_body,
    } = &err
    else {
        panic!("a 404 is an API error: {err:?}");
    };
    assert_eq!(*operation, "cancelQuote");
    assert_eq!(*status, 404);
    assert_eq!(
        error_body.message().as_deref(),
        Some("Resource does not exist.")
    );
    assert!(error_body.field_errors().is_empty());
    let parsed: QuoteErrorResponse = error_body.parse().expect("the quote error schema");
    assert_eq!(parsed.status.as_deref(), Some("NOT_FOUND"));
}

// ---------------------------------------------------------------------------------------
// sessions-v1
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sessions_v1_create() {
    let (server, t) = serve_example("v1CreateSession", "created-session").await;
    let mut plain = SessionV1ItemRequest::new(s("product-path"));
    plain.attributes = Some(texts(&[
        ("AttributeKey1", "AttributeValue1"),
        ("AttributeKey2", "AttributeValue2"),
    ]));
    let mut subscription = SessionV1ItemRequest::new(s("some-monthly-subscription"));
    subscription.quantity = Some(1);
    subscription.pricing = Some(SessionV1Pricing {
        trial: Some(0),
        payment_collected: Some(true),
        paid_trial: Some(false),
        renew: Some(SessionV1PricingRenew::Auto),
        interval: Some(SessionV1PricingInterval::Month),
        interval_length: Some(1),
        quantity_behavior: Some(SessionV1PricingQuantityBehavior::Allow),
        quantity_default: Some(1),
        price: Some(per_currency(&[("USD", "399.99"), ("EUR", "384.36")])),
        discount_type: Some(SessionV1PricingDiscountType::Percent),
        discount_duration: Some(2),
        quantity_discounts: Some(BTreeMap::from([(
            s("1"),
            SessionV1PricingQuantityDiscountsValue::Percent(50.0),
        )])),
        ..SessionV1Pricing::default()
    });
    subscription.attributes = Some(texts(&[("ATTRIBUTE1", "value1")]));
    let mut body = SessionV1CreateRequest::new(vec![plain, subscription]);
    body.account = Some("abCdE1FGH2Hij3KLMnOpqR".into());
    body.tags = Some(texts(&[("TagKey1", "TagValue1"), ("TagKey2", "TagValue2")]));

    let session = t.client.sessions_v1().create(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/sessions",
        &[],
        Some(&request_example(
            "v1CreateSession",
            "tags-attributes-discounts",
        )),
    );
    assert_eq!(session.id.as_deref(), Some("gNFgV9ITTbyylJkiIhnmOQ"));
    assert_eq!(session.currency.as_deref(), Some("USD"));
    assert_eq!(session.expires, Some(EpochMillis::from(1_731_469_407_156)));
    assert_eq!(session.order, None);
    assert_eq!(session.account.as_deref(), Some("abCdE1FGH2Hij3KLMnOpqR"));
    assert_eq!(session.subtotal, Some(amount("399.99")));
    let items = session.items.expect("items");
    assert_eq!(items[0].product.as_deref(), Some("basic-laptop"));
    assert_eq!(items[0].quantity, Some(1));
}

// ---------------------------------------------------------------------------------------
// checkout-sessions
// ---------------------------------------------------------------------------------------

const STORE: &str = "examplestore";
const CHECKOUT: &str = "popup-checkout";
const SESSION: &str = "OS123456789012345ABC";

/// The spec's `all-fields` request, built from the generated types.
fn all_fields_session_request() -> CheckoutSessionRequest {
    let mut line = CheckoutSessionItemRequest::new(s("gold-tier"));
    line.quantity = Some(1);
    line.quantity_default = Some(1);
    line.descriptions = Some(CheckoutSessionProductDescriptions {
        display: Some(texts(&[("en", "Title of Product")])),
        instructions: Some(texts(&[("en", "Post buy instructions")])),
        summary: Some(texts(&[("en", "Summary description")])),
        image_url: Some(s(
            "https://cdn.onfastspring.com/themes/images/default-store-logo.png",
        )),
    });
    line.custom_price = Some(CheckoutSessionCustomPrice {
        unit_price: Some(per_currency(&[("USD", "9.99"), ("GBP", "7.99")])),
        discounts: Some(vec![CheckoutSessionVolumeDiscount {
            min_quantity: Some(2),
            amount_discount: Some(per_currency(&[("USD", "1"), ("GBP", "0.8")])),
            percent_discount: None,
        }]),
        ..CheckoutSessionCustomPrice::default()
    });
    CheckoutSessionRequest {
        locale: Some(s("en")),
        country: Some(s("US")),
        buyer_ip: Some(s("127.0.0.1")),
        live: Some(true),
        customer: Some(CheckoutSessionCustomerRequest {
            account_id: Some("ABC123".into()),
            external_account_id: Some(s("EDF456")),
            bill_to_contact: Some(CheckoutSessionContact {
                email: Some(s("support@fastspring.com")),
                first_name: Some(s("John")),
                last_name: Some(s("Doe")),
                company: Some(s("Acme Inc")),
                phone_number: Some(s("555-555-5555")),
            }),
            bill_to_address: Some(CheckoutSessionAddress {
                address_line1: Some(s("123 Main St")),
                address_line2: Some(s("Apt 4")),
                city: Some(s("Anytown")),
                region: None,
                postal_code: Some(s("93101")),
                country: Some(s("US")),
            }),
            ship_to_contact: Some(CheckoutSessionContact {
                email: Some(s("support@fastspring.com")),
                first_name: Some(s("John")),
                last_name: Some(s("Doe")),
                company: None,
                phone_number: Some(s("555-555-5555")),
            }),
            account_tags: Some(texts(&[("customerType", "VIP"), ("segment", "enterprise")])),
            tax_id: Some(s("123456789")),
            tax_id_region: Some(s("CA")),
            ..CheckoutSessionCustomerRequest::default()
        }),
        order_tags: Some(texts(&[("gamerId", "123456")])),
        cart: Some(CheckoutSessionCartRequest {
            coupon_code: Some(s("SUMMER2026")),
            line_items: Some(vec![line]),
        }),
        payment_methods_order: Some(vec![
            CheckoutSessionPaymentMethodType::Card,
            CheckoutSessionPaymentMethodType::Paypal,
        ]),
        hide_payment_methods: Some(vec![CheckoutSessionPaymentMethodType::Wire]),
    }
}

/// The spec's `min-fields` request, built from the generated types.
fn min_fields_session_request() -> CheckoutSessionRequest {
    let mut line = CheckoutSessionItemRequest::new(s("bronze-tier"));
    line.quantity = Some(1);
    CheckoutSessionRequest {
        locale: Some(s("de")),
        buyer_ip: Some(s("127.0.0.1")),
        customer: Some(CheckoutSessionCustomerRequest {
            bill_to_contact: Some(CheckoutSessionContact {
                email: Some(s("support@fastspring.com")),
                first_name: Some(s("John")),
                last_name: Some(s("Doe")),
                ..CheckoutSessionContact::default()
            }),
            bill_to_address: Some(CheckoutSessionAddress {
                country: Some(s("DE")),
                ..CheckoutSessionAddress::default()
            }),
            ..CheckoutSessionCustomerRequest::default()
        }),
        cart: Some(CheckoutSessionCartRequest {
            coupon_code: None,
            line_items: Some(vec![line]),
        }),
        ..CheckoutSessionRequest::default()
    }
}

/// What every answer holding the spec's `session` example carries.
fn assert_session_example(session: &fastspring_api::checkout_sessions::CheckoutSession) {
    assert_eq!(session.id, SESSION);
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(session.created.as_deref(), Some("2026-03-20T10:49:51.000Z"));
    assert_eq!(session.expires.as_deref(), Some("2026-03-21T10:49:51.000Z"));
    assert_eq!(session.currency.as_deref(), Some("USD"));
    assert_eq!(session.live, Some(true));
    assert_eq!(
        session.checkout_status.as_deref(),
        Some(&[CheckoutSessionCheckoutStatusItem::ReadyForCheckout][..])
    );
    assert_eq!(
        session
            .checkout_urls
            .as_ref()
            .and_then(|u| u.webcheckout_url.as_deref()),
        Some("https://example.onfastspring.com/checkout/session/OS123456789012345ABC")
    );
    let customer = session.customer.as_ref().expect("customer");
    assert_eq!(customer.account_id.as_deref(), Some("ABC1234567890"));
    assert_eq!(
        customer
            .saved_payment_method
            .as_ref()
            .and_then(|m| m.display.as_deref()),
        Some("VISA - 4242")
    );
    let cart = session.cart.as_ref().expect("cart");
    assert_eq!(cart.coupon_code.as_deref(), Some("10_OFF"));
    assert_eq!(cart.coupon_has_applied, Some(true));
    assert_eq!(cart.net_total, Some(Amount::from(90)));
    assert_eq!(cart.without_tax_net_total, Some(Amount::from(70)));
    assert_eq!(cart.tax_total, Some(Amount::from(20)));
    assert_eq!(cart.tax_rate, Some(28.57));
    assert_eq!(
        cart.tax_included,
        Some(CheckoutSessionCartTaxIncluded::TaxesIncludedInPrice)
    );
    let line = &cart.line_items.as_ref().expect("lineItems")[0];
    assert_eq!(line.product_path.as_deref(), Some("gold-tier"));
    assert_eq!(line.quantity, Some(2));
    assert_eq!(
        line.product_type,
        Some(CheckoutSessionItemProductType::OneTime)
    );
    let price = line.price.as_ref().expect("price");
    assert_eq!(price.unit_net_price, Some(Amount::from(90)));
    assert_eq!(price.extended_net_total, Some(Amount::from(180)));
    let warning = &session.warnings.as_ref().expect("warnings")[0];
    assert_eq!(
        warning.code,
        Some(CheckoutSessionWarningCode::InvalidPromoCode)
    );
    assert_eq!(warning.field.as_deref(), Some("promoCode"));
}

#[tokio::test]
async fn checkout_sessions_create() {
    let (server, t) = serve_status_example("createCheckoutSession", 201, "session").await;

    let session = t
        .client
        .checkout_sessions()
        .create(STORE, CHECKOUT, all_fields_session_request())
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/v2/checkouts/examplestore/popup-checkout/sessions",
        &[],
        Some(&request_example("createCheckoutSession", "all-fields")),
    );
    assert_session_example(&session);
    assert_eq!(
        session.order_tags,
        Some(texts(&[("campaign", "Q1_Social")]))
    );
    // The create example has no payment methods; the get example has them.
    assert_eq!(session.payment_methods, None);
}

#[tokio::test]
async fn checkout_sessions_create_anonymously_sends_no_authorization() {
    let server = Loopback::start([Reply::json(
        201,
        &response_example("createCheckoutSession", 201, "session"),
    )])
    .await;
    let t = test_client_with(&server, |b| b.anonymous());

    let session = t
        .client
        .checkout_sessions()
        .create(STORE, CHECKOUT, min_fields_session_request())
        .await
        .unwrap();

    let request = server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        "/v2/checkouts/examplestore/popup-checkout/sessions"
    );
    assert_eq!(request.raw_query, None);
    assert_eq!(
        request.header("authorization"),
        None,
        "anonymous: no credentials"
    );
    let agent = request.header("user-agent").expect("User-Agent sent");
    assert!(agent.starts_with("fastspring-api-rust/"), "{agent}");
    assert!(agent.contains(support::APP), "{agent}");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_json_eq(
        &request.json(),
        &request_example("createCheckoutSession", "min-fields"),
    );
    assert_eq!(session.id, SESSION);
}

#[tokio::test]
async fn checkout_sessions_get() {
    let (server, t) = serve_example("getCheckoutSession", "session").await;

    // Session IDs come from FastSpring; one with a slash and a space is still one segment.
    let session = t
        .client
        .checkout_sessions()
        .get(STORE, CHECKOUT, "OS1234/5678 ABC")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS1234%2F5678%20ABC",
        &[],
        None,
    );
    assert_session_example(&session);
    assert_eq!(
        session.hide_payment_methods.as_deref(),
        Some(&[s("WIRE")][..])
    );
    let method = &session.payment_methods.as_ref().expect("paymentMethods")[0];
    assert_eq!(method.id, Some(CheckoutSessionPaymentMethodType::Card));
    assert_eq!(
        method.variants.as_deref(),
        Some(
            &[
                CheckoutSessionPaymentMethodVariantsItem::Visa,
                CheckoutSessionPaymentMethodVariantsItem::MasterCard,
                CheckoutSessionPaymentMethodVariantsItem::Amex,
            ][..]
        )
    );
}

#[tokio::test]
async fn checkout_sessions_update() {
    let (server, t) = serve_example("updateCheckoutSession", "session").await;

    let session = t
        .client
        .checkout_sessions()
        .update(STORE, CHECKOUT, SESSION, min_fields_session_request())
        .await
        .unwrap();

    assert_sent(
        &server,
        "PUT",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC",
        &[],
        Some(&request_example("updateCheckoutSession", "min-fields")),
    );
    assert_session_example(&session);
}

#[tokio::test]
async fn checkout_sessions_payment_methods() {
    let (server, t) = serve_example("listCheckoutSessionPaymentMethods", "card").await;

    let response = t
        .client
        .checkout_sessions()
        .payment_methods(STORE, CHECKOUT, SESSION)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/payment-methods",
        &[],
        None,
    );
    let methods = response.payment_methods.expect("paymentMethods");
    assert_eq!(methods.len(), 1);
    let card = &methods[0];
    assert_eq!(card.id, Some(CheckoutSessionPaymentMethodType::Card));
    assert_eq!(
        card.description.as_deref(),
        Some("PaymentMethodType.CreditCard")
    );
    assert_eq!(
        card.required_field_elements.as_deref(),
        Some(
            &[
                CheckoutSessionFieldElement::Name,
                CheckoutSessionFieldElement::Email,
                CheckoutSessionFieldElement::PostalCode,
                CheckoutSessionFieldElement::Card,
            ][..]
        )
    );
    assert_eq!(
        card.show_field_elements.as_deref(),
        Some(
            &[
                CheckoutSessionFieldElement::Company,
                CheckoutSessionFieldElement::Phone,
            ][..]
        )
    );
    assert_eq!(
        card.supported_product_types.as_deref(),
        Some(
            &[
                CheckoutSessionPaymentMethodSupportedProductTypesItem::OneTime,
                CheckoutSessionPaymentMethodSupportedProductTypesItem::SubscriptionPlan,
            ][..]
        )
    );
}

#[tokio::test]
async fn checkout_sessions_add_item() {
    let (server, t) = serve_example("addCheckoutSessionItem", "item").await;
    let mut item = CheckoutSessionItemRequest::new(s("gold-tier"));
    item.quantity = Some(1);
    item.quantity_behavior = Some(s("ALLOW"));
    item.quantity_default = Some(1);
    item.custom_price = Some(CheckoutSessionCustomPrice {
        unit_price: Some(per_currency(&[("USD", "10")])),
        discounts: Some(vec![CheckoutSessionVolumeDiscount {
            min_quantity: Some(2),
            amount_discount: None,
            percent_discount: Some(10),
        }]),
        discount_duration: Some(3),
        ..CheckoutSessionCustomPrice::default()
    });
    item.attributes = Some(texts(&[("licenseKey", "ABC-123")]));
    item.subscription_overrides = Some(CheckoutSessionSubscriptionSettings {
        billing_frequency: Some(CheckoutSessionInterval {
            interval_unit: Some(CheckoutSessionIntervalIntervalUnit::Month),
            interval_length: Some(1),
            interval_count: Some(1),
        }),
        trial_days: Some(14),
    });

    let line = t
        .client
        .checkout_sessions()
        .add_item(STORE, CHECKOUT, SESSION, item)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/cart/items",
        &[],
        Some(&request_example("addCheckoutSessionItem", "custom-price")),
    );
    assert_eq!(line.product_path.as_deref(), Some("gold-tier"));
    assert_eq!(line.quantity, Some(2));
    assert_eq!(line.quantity_behavior.as_deref(), Some("ALLOW"));
    assert_eq!(line.removable, Some(true));
    assert_eq!(
        line.product_format,
        Some(CheckoutSessionItemProductFormat::Digital)
    );
    assert_eq!(line.attributes, Some(texts(&[("licenseKey", "ABC-123")])));
    let price = line.price.as_ref().expect("price");
    assert_eq!(price.unit_list_price, Some(Amount::from(100)));
    assert_eq!(price.unit_discount, Some(Amount::from(10)));
    assert_eq!(price.extended_tax_total, Some(Amount::from(20)));
    assert_eq!(price.tax_percent, Some(10.0));
    assert_eq!(
        price.tax_included,
        Some(CheckoutSessionItemPriceTaxIncluded::TaxesIncludedInPrice)
    );
    assert_eq!(
        line.descriptions
            .as_ref()
            .and_then(|d| d.display.as_ref())
            .and_then(|d| d.get("en"))
            .map(String::as_str),
        Some("English")
    );
}

#[tokio::test]
async fn checkout_sessions_remove_item() {
    // 204 without a body.
    let server = Loopback::start([Reply::status(204)]).await;
    let t = test_client(&server);

    let () = t
        .client
        .checkout_sessions()
        .remove_item(STORE, CHECKOUT, SESSION, "gold-tier/annual plan")
        .await
        .unwrap();

    assert_sent(
        &server,
        "DELETE",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/cart/items/gold-tier%2Fannual%20plan",
        &[],
        None,
    );
}

#[tokio::test]
async fn checkout_sessions_update_item() {
    let (server, t) = serve_example("updateCheckoutSessionItem", "item").await;
    let mut item = CheckoutSessionItemRequest::new(s("gold-tier"));
    item.quantity = Some(3);

    let line = t
        .client
        .checkout_sessions()
        .update_item(STORE, CHECKOUT, SESSION, "gold-tier", item)
        .await
        .unwrap();

    assert_sent(
        &server,
        "PUT",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/cart/items/gold-tier",
        &[],
        Some(&request_example("updateCheckoutSessionItem", "quantity")),
    );
    assert_eq!(line.product_path.as_deref(), Some("gold-tier"));
    assert_eq!(line.quantity, Some(2));
    assert_eq!(line.quantity_default, Some(1));
    assert_eq!(line.virtual_product, Some(false));
    let price = line.price.as_ref().expect("price");
    assert_eq!(price.extended_list_total, Some(Amount::from(200)));
    assert_eq!(price.coupon_discount_duration, Some(100));
}

/// `product_path` takes several comma-separated paths (`x-fs-comma-separated`): each is
/// encoded on its own and they are joined with a literal `,`; a comma inside one path
/// stays encoded.
#[tokio::test]
async fn checkout_sessions_update_item_with_several_paths_joins_them_with_commas() {
    let (server, t) = serve_example("updateCheckoutSessionItem", "item").await;
    let mut item = CheckoutSessionItemRequest::new(s("gold-tier"));
    item.quantity = Some(3);

    t.client
        .checkout_sessions()
        .update_item(
            STORE,
            CHECKOUT,
            SESSION,
            ["gold-tier", "silver tier/annual", "odd,name"],
            item,
        )
        .await
        .unwrap();

    assert_sent(
        &server,
        "PUT",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/cart/items/gold-tier,silver%20tier%2Fannual,odd%2Cname",
        &[],
        Some(&request_example("updateCheckoutSessionItem", "quantity")),
    );
}

#[tokio::test]
async fn checkout_sessions_update_customer() {
    let (server, t) = serve_example("updateCheckoutSessionCustomer", "customer").await;
    let body = CheckoutSessionCustomerRequest {
        account_id: Some("ABC1234567890".into()),
        external_account_id: Some(s("EXT-98765")),
        bill_to_contact: Some(CheckoutSessionContact {
            email: Some(s("support@fastspring.com")),
            first_name: Some(s("John")),
            last_name: Some(s("Doe")),
            company: Some(s("FastSpring")),
            phone_number: Some(s("555-555-5555")),
        }),
        bill_to_address: Some(CheckoutSessionAddress {
            address_line1: Some(s("801 Garden Street")),
            address_line2: Some(s("suite 201")),
            city: Some(s("Santa Barbara")),
            region: Some(s("CA")),
            postal_code: Some(s("93101")),
            country: None,
        }),
        ship_to_contact: None,
        ship_to_address: None,
        ship_to_type: Some(CheckoutSessionCustomerRequestShipToType::SameAsBillTo),
        account_tags: Some(texts(&[("customerType", "VIP")])),
        tax_id: Some(s("DE123456789")),
        tax_id_region: Some(s("CA")),
    };

    let customer = t
        .client
        .checkout_sessions()
        .update_customer(STORE, CHECKOUT, SESSION, body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "PUT",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/customer",
        &[],
        Some(&request_example(
            "updateCheckoutSessionCustomer",
            "customer",
        )),
    );
    assert_eq!(customer.account_id.as_deref(), Some("ABC1234567890"));
    assert_eq!(customer.external_account_id.as_deref(), Some("EXT-98765"));
    assert_eq!(customer.tax_id.as_deref(), Some("DE123456789"));
    assert_eq!(
        customer
            .saved_payment_method
            .as_ref()
            .and_then(|m| m.payment_method_type.as_deref()),
        Some("CARD")
    );
    assert_eq!(
        customer
            .bill_to_contact
            .as_ref()
            .and_then(|c| c.email.as_deref()),
        Some("support@fastspring.com")
    );
    assert_eq!(
        customer
            .bill_to_address
            .as_ref()
            .and_then(|a| a.city.as_deref()),
        Some("Santa Barbara")
    );
    assert_eq!(
        customer.account_tags,
        Some(texts(&[("customerType", "VIP")]))
    );
}

#[tokio::test]
async fn checkout_sessions_invalid_email_is_an_api_error_with_field_errors() {
    let body = response_example("updateCheckoutSessionCustomer", 400, "invalid-email");
    let server = Loopback::start([Reply::json(400, &body)]).await;
    let t = test_client(&server);
    let request = CheckoutSessionCustomerRequest {
        bill_to_contact: Some(CheckoutSessionContact {
            email: Some(s("my.invalid.Email_fastspring.com")),
            ..CheckoutSessionContact::default()
        }),
        ..CheckoutSessionCustomerRequest::default()
    };

    let err = t
        .client
        .checkout_sessions()
        .update_customer(STORE, CHECKOUT, SESSION, request)
        .await
        .unwrap_err();

    assert_sent(
        &server,
        "PUT",
        "/v2/checkouts/examplestore/popup-checkout/sessions/OS123456789012345ABC/customer",
        &[],
        Some(&json!({"billToContact": {"email": "my.invalid.Email_fastspring.com"}})),
    );
    let Error::Api {
        status,
        body: error_body,
        ..
    } = &err
    else {
        panic!("a 400 is an API error: {err:?}");
    };
    assert_eq!(*status, 400);
    assert_eq!(
        error_body.message().as_deref(),
        Some("Invalid email format")
    );
    assert_eq!(
        error_body.field_errors(),
        texts(&[("customer.billToContact.email", "Invalid email format")])
    );
    let parsed: CheckoutSessionErrorResponse = error_body.parse().expect("ErrorResponse");
    let detail = &parsed.errors.expect("errors")[0];
    assert_eq!(detail.error_code.as_deref(), Some("INVALID_EMAIL_FORMAT"));
    assert_eq!(
        detail.rejected_value.as_deref(),
        Some("my.invalid.Email_fastspring.com")
    );
}

// ---------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn events_list_processed() {
    let (server, t) = serve_example("listProcessedEvents", "three-events").await;

    let page = t
        .client
        .events()
        .list_processed()
        .days(5)
        .send()
        .await
        .unwrap();

    assert_sent(&server, "GET", "/events/processed", &[("days", "5")], None);
    assert_eq!(page.action.as_deref(), Some("events.get"));
    assert_eq!(page.result, Some(ResultStatus::Success));
    assert_eq!(page.more, Some(true));
    assert_eq!(page.next_page, None);
    assert_eq!(page.total, Some(0));
    let events = page.events.expect("events");
    let summary: Vec<(&str, &str, Option<EpochMillis>)> = events
        .iter()
        .map(|e| (e.id.as_str(), e.r#type.as_str(), e.created.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "88qMx0P2RZCalzQ5ERXfXA",
                "payoutEntry.created",
                Some(EpochMillis::from(1_542_239_788_941))
            ),
            (
                "f_4YLUhbTPyaFhFPMKncWQ",
                "order.completed",
                Some(EpochMillis::from(1_542_239_789_431))
            ),
            (
                "ik6eEaJHSlC-_ML8xzW5RQ",
                "mailingListEntry.updated",
                Some(EpochMillis::from(1_542_240_018_122))
            ),
        ]
    );
    assert_eq!(events[1].processed, Some(false));
    assert_eq!(events[1].live, Some(false));
    assert_eq!(events[1].event.as_deref(), Some("f_4YLUhbTPyaFhFPMKncWQ"));
    let data = events[1].data.as_ref().expect("data");
    assert_eq!(data["reference"], "YES200314-8442-49161");
    assert_eq!(data["total"], 59.99);
}

#[tokio::test]
async fn events_list_unprocessed() {
    let (server, t) = serve_example("listUnprocessedEvents", "three-events").await;

    let page = t
        .client
        .events()
        .list_unprocessed()
        // An event window takes a timestamp as epoch milliseconds, a date as written.
        .begin(fastspring_api::jiff::Timestamp::from_millisecond(1_542_239_788_000).unwrap())
        .end(fastspring_api::jiff::civil::date(2025, 1, 31))
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/events/unprocessed",
        &[("begin", "1542239788000"), ("end", "2025-01-31")],
        None,
    );
    assert_eq!(page.result, Some(ResultStatus::Success));
    assert_eq!(page.more, Some(true));
    let events = page.events.expect("events");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].id, "88qMx0P2RZCalzQ5ERXfXA");
    assert_eq!(events[0].r#type, "payoutEntry.created");
    assert!(events.iter().all(|e| e.processed == Some(false)));
    assert_eq!(
        events[2].data.as_ref().expect("data")["email"],
        "ne1@all.com"
    );
}

#[tokio::test]
async fn events_update() {
    let (server, t) = serve_example("updateEvent", "account-updated").await;

    let event = t
        .client
        .events()
        .update(
            "ABCDEFGHIJK1LMNOPQR2/STUV3 WXYZAB",
            EventUpdateRequest::new(true),
        )
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/events/ABCDEFGHIJK1LMNOPQR2%2FSTUV3%20WXYZAB",
        &[],
        Some(&request_example("updateEvent", "mark-processed")),
    );
    assert_eq!(event.id, "ABCDEFGHIJK1LMNOPQR2STUV3WXYZAB");
    assert_eq!(event.r#type, "account.updated");
    assert_eq!(event.processed, Some(true));
    assert_eq!(event.live, Some(true));
    assert_eq!(event.created, Some(EpochMillis::from(1_729_545_999_690)));
    let data = event.data.as_ref().expect("data");
    assert_eq!(data["account"], "abcDEFgHiJklM1N-3OP9qRST");
    assert_eq!(data["contact"]["email"], "first.last@domain.com");
}

// ---------------------------------------------------------------------------------------
// webhook-keys
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn webhook_keys_rotate_sends_the_secret_only_in_the_body() {
    let (server, t) = serve_example("rotateWebhookKey", "rotated").await;
    let example = request_example("rotateWebhookKey", "rotate-webhook-key");
    // A secret distinct from the spec example's makes a leak visible.
    let secret = "whsec-7Qp2-Zr9!kV4x";
    let mut expected = example.clone();
    expected["hmacSecret"] = json!(secret);
    let body = WebhookKeyRotateRequest::new(
        example["url"].as_str().expect("url").to_string(),
        Secret::new(secret),
    );
    assert!(!format!("{body:?}").contains(secret), "{body:?}");

    let builder = t.client.webhook_keys().rotate(body);
    let built = builder.build_request().unwrap();
    assert!(!format!("{builder:?}").contains(secret), "{builder:?}");
    assert!(!format!("{builder:?}").contains(support::PASSWORD));
    assert!(!format!("{built:?}").contains(secret), "{built:?}");
    let response = builder.await.unwrap();

    let request = assert_sent(&server, "POST", "/webhooks/keys", &[], Some(&expected));
    assert_eq!(request.json()["hmacSecret"], secret);
    assert_eq!(
        response.url.as_deref(),
        Some("https://example.com/webhook-endpoint")
    );
    assert_eq!(response.action.as_deref(), Some("webhooks.update"));
    assert_eq!(response.result, Some(ResultStatus::Success));
    assert!(!format!("{response:?}").contains(secret));
}
