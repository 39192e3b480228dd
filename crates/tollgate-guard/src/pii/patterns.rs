//! The built-in entity patterns, in priority order: when two patterns match at the same
//! position the earlier one is tried first (so `sk-ant-` is Anthropic before it is OpenAI, and a
//! phone word claims the number after it before the bare-number patterns do).
//!
//! Rules every pattern follows, because the stream scanner's bound depends on them:
//! - ASCII classes only (`[0-9]`, not `\d`), and only the ASCII `(?-u:\b)`: the lazy DFA stays
//!   fast on any text. Numbers start at a word boundary so the engine, not a retry loop, skips
//!   the inside of digit runs; other boundaries are checked by the validators;
//! - at most [`crate::MAX_ENTITY_BYTES`] bytes per match. Open-ended secrets match a bounded
//!   prefix and are grown by their [`Extend`] rule.

use super::extend::Extend;
use super::{network, numbers, secrets};
use crate::entity::EntityKind;

pub(crate) type Validator = fn(&str, usize, usize) -> Option<(usize, usize)>;

/// Patterns are searched in groups. Three have a cheap prefilter the regex engine derives from
/// their leading literals: keyword/prefix literals, the `@` of e-mails, the `:` of IPv6. The
/// fourth, numbers (and IBANs), starts with digits, `+`, `(` or two capitals: bytes so common
/// that a prefilter would stop every few bytes and cost more than it saves, so its lazy DFA
/// simply runs over every byte (a few instructions each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Group {
    Keyed,
    Email,
    Ipv6,
    Number,
}

impl Group {
    pub(crate) fn prefilter(self) -> bool {
        self != Group::Number
    }
}

pub(crate) const GROUPS: [Group; 4] = [Group::Keyed, Group::Email, Group::Ipv6, Group::Number];

pub(crate) struct Builtin {
    pub group: Group,
    pub kind: EntityKind,
    pub pattern: &'static str,
    pub check: Validator,
    pub extend: Extend,
}

const fn rule(group: Group, kind: EntityKind, pattern: &'static str, check: Validator) -> Builtin {
    Builtin {
        group,
        kind,
        pattern,
        check,
        extend: Extend::None,
    }
}

const fn run(
    kind: EntityKind,
    pattern: &'static str,
    check: Validator,
    class: fn(u8) -> bool,
) -> Builtin {
    Builtin {
        group: Group::Keyed,
        kind,
        pattern,
        check,
        extend: Extend::Run { class, dots: 0 },
    }
}

use EntityKind as K;
use Group::{Email, Ipv6, Keyed, Number};

pub(crate) const BUILTINS: &[Builtin] = &[
    Builtin {
        group: Keyed,
        kind: K::PrivateKey,
        pattern: r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        check: secrets::private_key,
        extend: Extend::PemBlock,
    },
    rule(
        Keyed,
        K::ConnectionPassword,
        r#"://[!#-&(-.0-9;=?A-Z\[\]^-~]{0,32}:[!#-&(-.0-9:;=?A-Z\[\]^-~]{1,48}@"#,
        secrets::url_password,
    ),
    rule(
        Keyed,
        K::ConnectionPassword,
        r#"[;?&](?:password|Password|PASSWORD|passwd|pwd|Pwd|PWD)=[!#-%(-:<-~]{1,48}"#,
        secrets::param_password,
    ),
    rule(
        Keyed,
        K::AwsSecretKey,
        r#"(?:(?:aws|AWS|Aws)[A-Za-z_ .-]{0,16}(?:secret|Secret|SECRET)[A-Za-z_ .-]{0,16}|(?:secret|Secret|SECRET)[_ .-]?(?:access|Access|ACCESS)[_ .-]?(?:key|Key|KEY))["']?[ \t]{0,3}[:=][ \t]{0,3}["']?[A-Za-z0-9/+]{40}"#,
        secrets::aws_secret,
    ),
    run(
        K::AnthropicKey,
        r"sk-ant-(?:api|admin|oat|sid)[0-9]{2}-[A-Za-z0-9_-]{20}",
        secrets::anthropic,
        secrets::token_char,
    ),
    run(
        K::OpenaiKey,
        r"sk-[A-Za-z0-9_-]{20}",
        secrets::openai,
        secrets::token_char,
    ),
    run(
        K::GithubToken,
        r"gh[pousr]_[A-Za-z0-9]{30}",
        secrets::github,
        secrets::alnum,
    ),
    run(
        K::GithubToken,
        r"github_pat_[A-Za-z0-9_]{30}",
        secrets::github,
        secrets::alnum_underscore,
    ),
    run(
        K::SlackToken,
        r"(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10}",
        secrets::slack,
        secrets::alnum_dash,
    ),
    run(
        K::SlackToken,
        r"hooks\.slack\.com/services/[A-Z0-9]{6}",
        secrets::any_token,
        secrets::alnum_slash,
    ),
    run(
        K::StripeKey,
        r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{12}|whsec_[A-Za-z0-9]{20}",
        secrets::stripe,
        secrets::alnum,
    ),
    rule(
        Keyed,
        K::GcpApiKey,
        r"AIza[0-9A-Za-z_-]{35}|GOCSPX-[0-9A-Za-z_-]{28}",
        secrets::fixed_token,
    ),
    rule(
        Keyed,
        K::AwsAccessKey,
        r"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}",
        secrets::fixed_token,
    ),
    Builtin {
        group: Keyed,
        kind: K::Jwt,
        pattern: r"eyJ[A-Za-z0-9_-]{8,100}\.eyJ[A-Za-z0-9_-]{4}",
        check: secrets::jwt,
        extend: Extend::Run {
            class: secrets::token_char,
            dots: 1,
        },
    },
    // In the unfiltered group: two capitals are far too common a literal for a prefilter.
    rule(
        Number,
        K::Iban,
        r"(?:AD|AE|AL|AT|AZ|BA|BE|BG|BH|BR|BY|CH|CR|CY|CZ|DE|DK|DO|EE|EG|ES|FI|FO|FR|GB|GE|GI|GL|GR|GT|HR|HU|IE|IL|IS|IT|JO|KW|KZ|LB|LC|LI|LT|LU|LV|MC|MD|ME|MK|MR|MT|MU|NL|NO|PK|PL|PS|PT|QA|RO|RS|RU|SA|SC|SE|SI|SK|SM|ST|TL|TN|TR|UA|VG|XK)[0-9]{2}(?: ?[A-Z0-9]){11,30}",
        numbers::iban,
    ),
    rule(
        Email,
        K::Email,
        r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,48}\.[A-Za-z]{2,12}",
        network::email,
    ),
    rule(
        Ipv6,
        K::Ipv6,
        r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{1,37}",
        network::ipv6,
    ),
    rule(
        Number,
        K::Phone,
        r"\+[1-9][0-9]{0,3}(?:[ .-]?\(?[0-9]{1,5}\)?){1,6}",
        numbers::phone_international,
    ),
    rule(
        Number,
        K::UsSsn,
        r"(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}",
        numbers::ssn_dashed,
    ),
    rule(
        Number,
        K::UsSsn,
        r"(?-u:\b)[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{4}",
        numbers::ssn_with_context,
    ),
    rule(
        Number,
        K::CreditCard,
        r"(?-u:\b)[0-9]{4}(?:[ -]?[0-9]){9,15}",
        numbers::card,
    ),
    rule(
        Number,
        K::Phone,
        r"(?:1[ .-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}",
        numbers::phone_nanp,
    ),
    rule(
        Number,
        K::Ipv4,
        r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
        network::ipv4,
    ),
    rule(
        Number,
        K::Phone,
        r"(?-u:\b)0[0-9]{1,4}(?:[ ./-][0-9]{2,8}){1,4}",
        numbers::phone_national,
    ),
    // A bare digit run counts as a phone only right after a phone word.
    rule(
        Number,
        K::Phone,
        r"(?-u:\b)[0-9]{7,15}",
        numbers::phone_with_context,
    ),
];
