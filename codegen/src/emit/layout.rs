//! The text pass after prettyplease: the `object!`/`union!` calls laid out one entry per
//! line (prettyplease prints a macro's tokens as one wrapped run) and a blank line
//! between items.

/// The generated `object!` and `union!` calls laid out one field (or form) per line:
/// prettyplease prints a macro's tokens as one wrapped run.
pub(super) fn layout_macros(source: &str) -> String {
    const CALLS: [&str; 2] = ["object!(", "union!("];
    let mut out = String::with_capacity(source.len());
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        let Some(call) = CALLS.iter().find(|c| line.starts_with(*c)) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let mut text = line[call.len()..].to_string();
        if let Some(whole) = text.strip_suffix(");") {
            // short enough for prettyplease to print on one line
            text = whole.to_string();
        } else {
            for next in lines.by_ref() {
                if next == ");" {
                    break;
                }
                text.push(' ');
                text.push_str(next.trim());
            }
        }
        out.push_str(call);
        out.push_str(&layout_call(&text, call.contains("union")));
        out.push_str(");\n");
    }
    out
}

/// `Name { entries } rest` with one entry per line. A union's form is `Variant: MASK,
/// [keys]`: two comma-separated parts, kept on one line, keys wrapped.
fn layout_call(text: &str, union: bool) -> String {
    let (Some(open), Some(close)) = (text.find('{'), text.rfind('}')) else {
        return text.to_string();
    };
    let head = tidy(&text[..open]);
    let tail = tidy(&text[close + 1..]);
    let parts = split_top_level(&text[open + 1..close]);
    let mut out = format!("{head} {{\n");
    let mut i = 0;
    while i < parts.len() {
        let entry = &parts[i];
        if union && i + 1 < parts.len() {
            let list = &parts[i + 1];
            let list = list.strip_prefix('[').unwrap_or(list);
            let keys = split_top_level(list.strip_suffix(']').unwrap_or(list));
            let one_line = format!("    {entry}, [{}],", keys.join(", "));
            if one_line.len() <= 100 {
                out.push_str(&one_line);
                out.push('\n');
            } else {
                out.push_str(&format!("    {entry}, [\n"));
                let mut row = String::from("       ");
                for key in keys {
                    if row.len() + key.len() + 2 > 100 {
                        out.push_str(row.trim_end());
                        out.push('\n');
                        row = String::from("       ");
                    }
                    row.push(' ');
                    row.push_str(&key);
                    row.push(',');
                }
                out.push_str(row.trim_end());
                out.push_str("\n    ],\n");
            }
            i += 2;
        } else {
            out.push_str(&format!("    {entry},\n"));
            i += 1;
        }
    }
    out.push('}');
    if !tail.is_empty() {
        out.push(' ');
        out.push_str(&tail);
    }
    out
}

/// Splits at commas outside brackets, parentheses and string literals; each part is
/// [`tidy`]-ed and empty parts (a trailing comma) are dropped.
fn split_top_level(body: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut current = String::new();
    let mut chars = body.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => in_str = !in_str,
            '\\' if in_str => {
                current.push(ch);
                if let Some(escaped) = chars.next() {
                    current.push(escaped);
                }
                continue;
            }
            '[' | '(' if !in_str => depth += 1,
            ']' | ')' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    parts
        .iter()
        .map(|p| tidy(p))
        .filter(|p| !p.is_empty())
        .collect()
}

/// A run of macro tokens as written by hand: whitespace outside string literals
/// collapsed to one space and dropped before `:` and `(` (prettyplease prints
/// `id : "id" optional (seed)`), trimmed. String literals are kept byte for byte.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_str = false;
    let mut space = false;
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if in_str {
            out.push(ch);
            match ch {
                '\\' => out.extend(chars.next()),
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        if ch.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() && !matches!(ch, ':' | '(') {
            out.push(' ');
        }
        space = false;
        in_str = ch == '"';
        out.push(ch);
    }
    out
}

/// A blank line after every item (prettyplease leaves them packed), top-level or
/// nested (methods, the `builders` module), so the output reads like hand-written Rust.
/// Statements stay packed: an attribute starts an item only if an item follows it.
pub(super) fn space_items(source: &str) -> String {
    const ITEM_STARTS: &[&str] = &[
        "///",
        "pub ",
        "pub(",
        "fn ",
        "impl",
        "const ",
        "async ",
        "use ",
        "mod ",
        "request_builder!",
        "object!",
        "union!",
        "string_enum!",
    ];
    let lines: Vec<&str> = source.lines().collect();
    // Whether lines[i..] start an item (attributes are looked through).
    let starts_item = |i: usize| {
        lines[i..]
            .iter()
            .map(|l| l.trim_start())
            .find(|l| !l.starts_with("#["))
            .is_some_and(|l| ITEM_STARTS.iter().any(|start| l.starts_with(start)))
    };
    let mut out = String::with_capacity(source.len() + source.len() / 16);
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let Some(next) = lines.get(i + 1) else { break };
        if next.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        let top_level = indent == 0
            && (*line == "}"
                || *line == ");"
                || (!line.starts_with([' ', '#', '/']) && line.ends_with(';')));
        let nested = indent > 0
            && (body == "}" || body == ");" || body == "};" || body == "use super::*;")
            && next.len() - next.trim_start().len() == indent
            && starts_item(i + 1);
        if top_level || nested {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// `tokens` as prettyplease prints them: the input the layout pass gets.
    fn pretty(tokens: proc_macro2::TokenStream) -> String {
        prettyplease::unparse(&syn::parse2(tokens).expect("valid Rust"))
    }

    #[test]
    fn object_calls_get_one_field_per_line_and_keep_the_others_tail() {
        let printed = pretty(quote! {
            object!(serialize Account { id: "id" optional(lenient_string), account: "account" required(lenient_string), action: "action" optional(lenient_string), result: "result" optional } others: rest);
            object!(Small { id: "id" required });
        });
        // What prettyplease hands over: one wrapped run, and a short call on one line.
        assert!(printed.starts_with("object!(\n    serialize Account { id : \"id\""));
        assert!(printed.contains("object!(Small { id : \"id\" required });"));
        assert_eq!(
            layout_macros(&printed),
            r#"object!(serialize Account {
    id: "id" optional(lenient_string),
    account: "account" required(lenient_string),
    action: "action" optional(lenient_string),
    result: "result" optional,
} others: rest);
object!(Small {
    id: "id" required,
});
"#
        );
    }

    #[test]
    fn union_keys_stay_on_the_form_line_until_100_columns_then_wrap() {
        let printed = pretty(quote! {
            union!(U { Error: MAP, ["error"], Account: NUM | STR, ["address", "charges", "contact", "country", "language", "lookup", "orders", "payment", "subscribed", "subscriptions", "taxExemptionData", "url"], Id: STR, [] });
        });
        let laid_out = layout_macros(&printed);
        assert_eq!(
            laid_out,
            r#"union!(U {
    Error: MAP, ["error"],
    Account: NUM | STR, [
        "address", "charges", "contact", "country", "language", "lookup", "orders", "payment",
        "subscribed", "subscriptions", "taxExemptionData", "url",
    ],
    Id: STR, [],
});
"#
        );
        assert!(laid_out.lines().all(|line| line.len() <= 100));
    }

    #[test]
    fn string_literals_are_kept_byte_for_byte() {
        let printed = pretty(quote! {
            object!(Odd { a: "a, b" required, b: "x[0] (y)" optional(lenient_string), c: "}{" optional, d: "say \"hi\", [ok]" nullable, e: "two  spaces :colon" required, r#type: "type" required });
            union!(K { Comma: MAP, ["a,b", "c]", "d\",e"], Other: STR | NUM, [] });
        });
        assert_eq!(
            layout_macros(&printed),
            r#"object!(Odd {
    a: "a, b" required,
    b: "x[0] (y)" optional(lenient_string),
    c: "}{" optional,
    d: "say \"hi\", [ok]" nullable,
    e: "two  spaces :colon" required,
    r#type: "type" required,
});
union!(K {
    Comma: MAP, ["a,b", "c]", "d\",e"],
    Other: STR | NUM, [],
});
"#
        );
    }

    #[test]
    fn other_lines_are_left_as_printed() {
        // Doc comments and comments that mention the macros, other macro calls, and
        // calls nested in a body (the emitter writes `object!`/`union!` at top level only).
        let source = r#"/// Reads `object!(A { .. })`, see union!(B).
// object!(not a call
fn f() {
    string_enum!(E { A = "a" });
    object!(Inner { x : "x" required });
}
request_builder!(ListOrdersBuilder => OrderListResponse);
"#;
        assert_eq!(layout_macros(source), source);
    }

    #[test]
    fn split_top_level_splits_only_at_outer_commas() {
        assert_eq!(
            split_top_level(r#" a : "x" optional (seed), (b, c), [d, e], "f, g", "h\"i, j" ,"#),
            [
                r#"a: "x" optional(seed)"#,
                "(b, c)",
                "[d, e]",
                r#""f, g""#,
                r#""h\"i, j""#,
            ]
        );
        assert!(split_top_level("  ,  ").is_empty());
    }

    #[test]
    fn tidy_collapses_whitespace_outside_strings_only() {
        assert_eq!(
            tidy("  id\n    :  \"a  b : (c)\"   optional (lenient_int)  "),
            r#"id: "a  b : (c)" optional(lenient_int)"#
        );
        assert_eq!(tidy(r#"others : rest"#), "others: rest");
        assert_eq!(tidy(r#""\\" x"#), r#""\\" x"#);
    }

    #[test]
    fn space_items_separates_items_at_every_level_but_not_statements() {
        let printed = pretty(quote! {
            use std::fmt;
            pub struct A { x: i64 }
            impl A {
                pub fn one(&self) -> i64 { if self.x > 0 { 1 } else { 0 } }
                /// Two.
                pub fn two(&self) -> i64 {
                    let mut n = 0;
                    if self.x > 1 { n += 1; }
                    #[allow(clippy::identity_op)]
                    let m = n + 0;
                    m
                }
            }
            pub mod builders {
                use super::*;
                impl A {
                    fn three() {}
                }
                request_builder!(B => C);
            }
        });
        assert_eq!(
            space_items(&printed),
            r#"use std::fmt;

pub struct A {
    x: i64,
}

impl A {
    pub fn one(&self) -> i64 {
        if self.x > 0 { 1 } else { 0 }
    }

    /// Two.
    pub fn two(&self) -> i64 {
        let mut n = 0;
        if self.x > 1 {
            n += 1;
        }
        #[allow(clippy::identity_op)]
        let m = n + 0;
        m
    }
}

pub mod builders {
    use super::*;

    impl A {
        fn three() {}
    }

    request_builder!(B => C);
}
"#
        );
    }
}
