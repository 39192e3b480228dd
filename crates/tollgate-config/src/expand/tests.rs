use super::*;

fn env(name: &str) -> Option<String> {
    match name {
        "SET" => Some("value".to_owned()),
        "EMPTY" => Some(String::new()),
        "LONG" => Some("0123456789".to_owned()),
        _ => None,
    }
}

fn expanded(text: &str) -> String {
    let out = expand(text, &env);
    assert_eq!(out.problems, [], "{text:?}");
    out.text
}

#[test]
fn substitutes_set_variables_and_defaults() {
    assert_eq!(expanded("a: ${SET}\n"), "a: value\n");
    assert_eq!(expanded("a: ${UNSET:-dflt}\n"), "a: dflt\n");
    assert_eq!(expanded("a: ${EMPTY:-dflt}\n"), "a: dflt\n");
    assert_eq!(expanded("a: ${EMPTY}\n"), "a: \n");
    assert_eq!(expanded("a: ${UNSET:-}\n"), "a: \n");
    assert_eq!(expanded("a: ${UNSET:-x:-y}\n"), "a: x:-y\n");
    assert_eq!(expanded("a: \"${SET}-${SET}\"\n"), "a: \"value-value\"\n");
}

#[test]
fn leaves_other_dollars_alone() {
    assert_eq!(expanded("a: $SET $ {x} $$\n"), "a: $SET $ {x} $$\n");
    assert_eq!(expanded("a: $${SET}\n"), "a: ${SET}\n");
}

#[test]
fn reports_every_unset_variable_with_its_position() {
    let out = expand("a: ${ONE}\nb: [${SET}, ${TWO}]\n", &env);
    let found: Vec<_> = out
        .problems
        .iter()
        .map(|p| (p.line, p.column, p.expanded_column))
        .collect();
    assert_eq!(found, [(1, 4, 4), (2, 13, 12)]);
    assert!(out.problems[0].message.contains("`ONE`"));
    assert_eq!(out.text, "a: \nb: [value, ]\n");
}

#[test]
fn rejects_bad_references() {
    for text in ["a: ${}\n", "a: ${1X}\n", "a: ${X Y}\n", "a: ${OPEN\n"] {
        assert_eq!(expand(text, &env).problems.len(), 1, "{text:?}");
    }
}

#[test]
fn skips_comments() {
    assert_eq!(expanded("# ${UNSET}\n"), "# ${UNSET}\n");
    assert_eq!(expanded("  # ${UNSET}\n"), "  # ${UNSET}\n");
    assert_eq!(expanded("a: ${SET} # ${UNSET}\n"), "a: value # ${UNSET}\n");
    // Not comments: `#` inside quotes or a word, and an apostrophe inside a plain scalar.
    assert_eq!(expanded("a: \"x # ${SET}\"\n"), "a: \"x # value\"\n");
    assert_eq!(expanded("a: 'x # ${SET}'\n"), "a: 'x # value'\n");
    assert_eq!(expanded("a: 'it''s # ${SET}'\n"), "a: 'it''s # value'\n");
    assert_eq!(expanded("a: http://h#${SET}\n"), "a: http://h#value\n");
    assert_eq!(
        expanded("a: it's ${SET} # ${UNSET}\n"),
        "a: it's value # ${UNSET}\n"
    );
    assert_eq!(
        expanded("a: \"q\\\" # ${SET}\"\n"),
        "a: \"q\\\" # value\"\n"
    );
}

#[test]
fn maps_columns_back_to_the_original() {
    // "a: ${LONG} b" → "a: 0123456789 b": `b` moves from column 12 to 15.
    let out = expand("a: ${LONG} b\nc: d\n", &env);
    assert_eq!(out.columns.original_column(1, 15), 12);
    assert_eq!(out.columns.original_column(1, 2), 2);
    // Inside the substituted value: the `$`.
    assert_eq!(out.columns.original_column(1, 8), 4);
    // Lines without substitutions are unchanged.
    assert_eq!(out.columns.original_column(2, 4), 4);
}

#[test]
fn counts_columns_in_characters() {
    let out = expand("é: ${UNSET}\n", &env);
    assert_eq!(out.problems[0].column, 4);
}
