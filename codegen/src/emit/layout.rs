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
    let head = text[..open]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let tail = text[close + 1..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let tail = tail.replace(" :", ":");
    let parts = split_top_level(&text[open + 1..close]);
    let mut out = format!("{head} {{\n");
    let mut i = 0;
    while i < parts.len() {
        let entry = parts[i].replace(" :", ":").replace(" (", "(");
        if union && i + 1 < parts.len() {
            let keys = parts[i + 1].trim_start_matches('[').trim_end_matches(']');
            let keys: Vec<&str> = keys
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .collect();
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
                    row.push_str(key);
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

/// Splits at commas outside brackets, parentheses and string literals, trimming each
/// part and collapsing its whitespace.
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
        .into_iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// A blank line after every item (prettyplease leaves them packed), top-level or
/// nested (methods, the `builders` module), so the output reads like hand-written Rust.
pub(super) fn space_items(source: &str) -> String {
    const ITEM_STARTS: &[&str] = &[
        "#[",
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
    let mut out = String::with_capacity(source.len() + source.len() / 16);
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some(next) = lines.peek() else { break };
        if next.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        let top_level = indent == 0
            && (line == "}"
                || line == ");"
                || (!line.starts_with([' ', '#', '/']) && line.ends_with(';')));
        let nested = indent > 0
            && (body == "}" || body == ");" || body == "};" || body == "use super::*;")
            && next.len() - next.trim_start().len() == indent
            && ITEM_STARTS
                .iter()
                .any(|start| next.trim_start().starts_with(start));
        if top_level || nested {
            out.push('\n');
        }
    }
    out
}
