//! One snapshot of the emitted code per construct fixture (`tests/fixtures/<name>/`).
//! A changed snapshot shows exactly how a generator change alters the output.

mod common;

use common::{construct_fixtures, generate_fixture, render};

fn snapshot(name: &str) {
    let files = generate_fixture(name);
    // Same spec, same bytes.
    assert_eq!(
        files,
        generate_fixture(name),
        "fixture `{name}` is not deterministic"
    );
    insta::assert_snapshot!(name, render(&files));
}

macro_rules! fixtures {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                snapshot($name);
            }
        )*

        /// Every construct fixture folder has a snapshot test above.
        #[test]
        fn every_fixture_has_a_snapshot_test() {
            let mut listed = vec![$($name.to_string()),*];
            listed.sort();
            assert_eq!(listed, construct_fixtures());
        }
    };
}

fixtures! {
    fields => "fields",
    string_enum => "string-enum",
    strict_booleans => "strict-booleans",
    two_types => "two-types",
    array_map => "array-map",
    all_of => "all-of",
    parameters => "parameters",
    request_body => "request-body",
    responses => "responses",
    batch => "batch",
    lookups => "lookups",
    epoch_time => "epoch-time",
    password => "password",
    webhook => "webhook",
    cross_file => "cross-file",
    name_collision => "name-collision",
    keywords => "keywords",
    tag_without_operations => "tag-without-operations",
    typed_ids => "typed-ids",
}
