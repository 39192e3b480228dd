//! Word-based token arithmetic: the mock's "tokenizer" is whitespace, so tests can predict every
//! count by hand.

/// Number of whitespace-separated words.
pub(crate) fn count_words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// `text` cut after its `max`-th word (the rest, including the whitespace after that word, is
/// dropped), and whether anything was cut.
pub(crate) fn truncate_words(text: &str, max: u64) -> (&str, bool) {
    let mut words = 0u64;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if !space && !in_word {
            if words == max {
                return (text[..i].trim_end(), true);
            }
            words += 1;
        }
        in_word = !space;
    }
    (text, false)
}

/// `text` split into one piece per word, each piece carrying the whitespace that follows its
/// word (leading whitespace stays with the first piece), so the pieces concatenate back to the
/// exact text. This is how the mock streams: one content event per word.
pub(crate) fn word_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut seen_word = false;
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if !space && prev_space {
            if seen_word {
                pieces.push(&text[start..i]);
                start = i;
            }
            seen_word = true;
        }
        prev_space = space;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// A JSON text split in two roughly equal pieces at a UTF-8 boundary, for streaming tool-call
/// arguments in more than one fragment.
pub(crate) fn halves(text: &str) -> (&str, &str) {
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid += 1;
    }
    text.split_at(mid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words() {
        assert_eq!(count_words("  hello   big\nworld "), 3);
        assert_eq!(count_words(""), 0);
    }

    #[test]
    fn truncates_after_n_words() {
        assert_eq!(truncate_words("echo: a b c", 2), ("echo: a", true));
        assert_eq!(truncate_words("echo: a b c", 4), ("echo: a b c", false));
        assert_eq!(truncate_words("echo: a b c ", 4), ("echo: a b c ", false));
        assert_eq!(truncate_words("echo:   a\n b", 1), ("echo:", true));
    }

    #[test]
    fn pieces_concatenate_back() {
        for text in [
            "echo: hello world",
            " lead  two\nlines ",
            "one",
            "",
            "é ü  ß",
        ] {
            assert_eq!(word_pieces(text).concat(), text);
        }
        assert_eq!(
            word_pieces("echo: hi there"),
            vec!["echo: ", "hi ", "there"]
        );
        assert_eq!(word_pieces("  a b"), vec!["  a ", "b"]);
    }

    #[test]
    fn halves_respect_utf8() {
        let (a, b) = halves("{\"input\":\"héé\"}");
        assert_eq!(format!("{a}{b}"), "{\"input\":\"héé\"}");
    }
}
