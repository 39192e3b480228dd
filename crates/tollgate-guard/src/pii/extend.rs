//! Open-ended entities. Tokens and private-key blocks have no fixed length, so their regex
//! matches a bounded prefix and the match is then extended here. Keeping the regex part bounded
//! is what bounds the stream scanner's hold-back; the extension only ever covers bytes of the
//! secret itself, which are never emitted.

/// How a match grows past its regex part.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Extend {
    None,
    /// Over bytes of `class`; a `.` is taken (at most `dots` times) when a class byte follows,
    /// so the full stop after a JWT is not swallowed.
    Run {
        class: fn(u8) -> bool,
        dots: u8,
    },
    /// Through the matching `-----END ...-----` line, or to the end of the text.
    PemBlock,
}

/// New end of a match, and whether it touched the end of `hay` (more text could extend it).
pub(crate) fn extend(hay: &str, end: usize, how: Extend) -> (usize, bool) {
    let bytes = hay.as_bytes();
    match how {
        Extend::None => (end, false),
        Extend::Run { class, mut dots } => {
            let mut i = end;
            loop {
                let Some(&b) = bytes.get(i) else {
                    return (i, true);
                };
                if class(b) {
                    i += 1;
                    continue;
                }
                if b == b'.' && dots > 0 {
                    match bytes.get(i + 1) {
                        None => return (i, true),
                        Some(&n) if class(n) => {
                            dots -= 1;
                            i += 1;
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                return (i, false);
            }
        }
        Extend::PemBlock => {
            let rest = hay.get(end..).unwrap_or("");
            let Some(at) = rest.find("-----END ") else {
                return (hay.len(), true);
            };
            let after_marker = end + at + "-----END ".len();
            let tail = hay.get(after_marker..).unwrap_or("");
            // The closing dashes come after the label (`RSA PRIVATE KEY`), well within 64 bytes.
            match tail.find("-----") {
                Some(close) if close <= 64 => (after_marker + close + 5, false),
                Some(_) => (hay.len(), true),
                None => (hay.len(), true),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(b: u8) -> bool {
        b.is_ascii_alphanumeric()
    }

    #[test]
    fn run_stops_at_sentence_end() {
        let how = Extend::Run {
            class: word,
            dots: 1,
        };
        assert_eq!(extend("ab.cd. x", 1, how), (5, false));
        assert_eq!(extend("ab.cd", 1, how), (5, true));
        assert_eq!(extend("ab.", 1, how), (2, true));
    }

    #[test]
    fn pem_to_end_marker() {
        let text = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY----- tail";
        let (end, open) = extend(text, 27, Extend::PemBlock);
        assert!(!open);
        assert_eq!(&text[end..], " tail");
    }
}
