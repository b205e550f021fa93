//! The report as Markdown (terminal, pull request, CHANGELOG) and as JSON (tools).

use serde_json::{Value, json};

use super::{Bump, Impact, Report};

impl Report {
    /// The report in Markdown: a heading, one section per module with one line per
    /// change, and the version bump it implies at the end. `from` and `to` name the
    /// two sides (`HEAD`, `working tree`); `version` is the crate's current version.
    pub fn to_markdown(&self, from: &str, to: &str, version: &str) -> String {
        if self.is_empty() {
            return format!("No change to the Rust API ({from} → {to}).\n");
        }
        let mut out = format!("## Changes to the Rust API ({from} → {to})\n");
        let mut module = None;
        for change in &self.changes {
            if module != Some(&change.module) {
                out.push_str(&format!("\n### `{}`\n\n", change.module));
                module = Some(&change.module);
            }
            let impact = match change.impact {
                Impact::Breaking => "**breaking**".to_string(),
                other => other.as_str().to_string(),
            };
            out.push_str(&format!("- {impact} {}: {}\n", change.item, change.what));
        }
        out.push_str(&format!("\n{}\n", self.version_line(version)));
        out
    }

    /// The last line of the report: counts, the bump and the next version.
    pub fn version_line(&self, version: &str) -> String {
        let counts = format!(
            "{} breaking, {} additive, {} compatible",
            self.count(Impact::Breaking),
            self.count(Impact::Additive),
            self.count(Impact::Compatible)
        );
        let why = match self.bump() {
            Bump::None => return format!("Version: no change ({version} stays)."),
            Bump::Major => "a breaking change",
            Bump::Minor => "additions only",
            Bump::Patch => "no change to the Rust API's shape",
        };
        let rule = if version.starts_with("0.") {
            " (before 1.0 a breaking change bumps the minor version, anything else the patch version)"
        } else {
            ""
        };
        match self.next_version(version) {
            Some(next) => format!("Version: {counts}: {why}, so {version} → **{next}**{rule}."),
            None => format!("Version: {counts}: {why}."),
        }
    }

    /// The report as JSON: `{from, to, version, next_version, bump, counts, changes: [{module, item, impact, what}]}`.
    pub fn to_json(&self, from: &str, to: &str, version: &str) -> Value {
        let bump = match self.bump() {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        };
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                json!({
                    "module": c.module,
                    "item": c.item.replace('`', ""),
                    "impact": c.impact.as_str(),
                    "what": c.what,
                })
            })
            .collect();
        json!({
            "from": from,
            "to": to,
            "version": version,
            "semver_bump": bump,
            "next_version": self.next_version(version),
            "counts": {
                "breaking": self.count(Impact::Breaking),
                "additive": self.count(Impact::Additive),
                "compatible": self.count(Impact::Compatible),
            },
            "changes": changes,
        })
    }
}
