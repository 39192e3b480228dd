//! Enums spelled as fixed lower-case words in the config file (`kind: openai`, `mode: redact`).
//!
//! The raw structs read these as plain strings and validation converts them, so that an unknown
//! word is reported together with every other problem instead of stopping the parse.

/// Declares a keyword enum with `as_str`, `from_keyword`, `ALL` and `Display`.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order the docs list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in the config file.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// Parses the config-file word (exact, lower case).
            pub fn from_keyword(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::keyword::Keyword for $name {
            const ALL: &'static [Self] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn from_keyword(word: &str) -> Option<Self> {
                $name::from_keyword(word)
            }
        }
    };
}

pub(crate) use keyword_enum;

/// Lets validation parse any keyword enum and list the accepted words in its message.
pub(crate) trait Keyword: Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn from_keyword(word: &str) -> Option<Self>;

    /// `a, b, c`: for "expected one of" messages.
    fn expected() -> String {
        Self::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
