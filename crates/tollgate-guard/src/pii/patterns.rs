//! The built-in entity patterns, in priority order: when two patterns match at the same
//! position the earlier one is tried first (so `sk-ant-` is Anthropic before it is OpenAI, and a
//! phone word claims the number after it before the bare-number patterns do).
//!
//! Rules every pattern follows, because the stream scanner's bound depends on them:
//! - ASCII classes only (`[0-9]`, not `\d`), and no `\b`: the lazy DFA stays fast on any text,
//!   and boundaries are checked by the validator with bounded look-around instead;
//! - at most [`crate::MAX_ENTITY_BYTES`] bytes per match. Open-ended secrets match a bounded
//!   prefix and are grown by their [`Extend`] rule.

use super::extend::Extend;
use super::{network, numbers, secrets};
use crate::entity::EntityKind;

pub(crate) type Validator = fn(&str, usize, usize) -> Option<(usize, usize)>;

pub(crate) struct Builtin {
    pub kind: EntityKind,
    pub pattern: &'static str,
    pub check: Validator,
    pub extend: Extend,
}

const fn rule(kind: EntityKind, pattern: &'static str, check: Validator) -> Builtin {
    Builtin {
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
        kind,
        pattern,
        check,
        extend: Extend::Run { class, dots: 0 },
    }
}

use EntityKind as K;

pub(crate) const BUILTINS: &[Builtin] = &[
    Builtin {
        kind: K::PrivateKey,
        pattern: r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        check: secrets::private_key,
        extend: Extend::PemBlock,
    },
    rule(
        K::ConnectionPassword,
        r#"[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s:/@"'<>]{0,32}:[^\s/@"'<>]{1,48}@"#,
        secrets::url_password,
    ),
    rule(
        K::ConnectionPassword,
        r#"[;?&](?i:password|passwd|pwd)=[^\s;&"'<>]{1,48}"#,
        secrets::param_password,
    ),
    rule(
        K::AwsSecretKey,
        r#"(?i:aws[A-Za-z_ .-]{0,16}secret[A-Za-z_ .-]{0,16}|secret[_ .-]?access[_ .-]?key)["']?[ \t]{0,3}[:=][ \t]{0,3}["']?[A-Za-z0-9/+]{40}"#,
        secrets::aws_secret,
    ),
    rule(
        K::UsSsn,
        r"(?i:ssn|social security(?: number| no\.?| #)?|soc\.? ?sec\.?(?: no\.?)?|ss#)[ ]?(?:is |# |number |no\.? )?[ :#.-]{0,4}[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{4}",
        numbers::ssn_with_context,
    ),
    rule(
        K::Phone,
        r"(?i:phone|telephone|tel|mobile|cell|fax|call|whatsapp|sms|text me at|reach me at|telefon|téléphone|teléfono|telefono|handy|portable|móvil|celular)(?: ?(?:number|no|nr|num))?[.:#]?[ ]{0,3}(?:(?:is|at|on|me at|me on) )?[ ]{0,2}\+?\(?[0-9][0-9 ().-]{5,18}[0-9]",
        numbers::phone_with_context,
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
        K::GcpApiKey,
        r"AIza[0-9A-Za-z_-]{35}|GOCSPX-[0-9A-Za-z_-]{28}",
        secrets::fixed_token,
    ),
    rule(
        K::AwsAccessKey,
        r"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}",
        secrets::fixed_token,
    ),
    Builtin {
        kind: K::Jwt,
        pattern: r"eyJ[A-Za-z0-9_-]{8,100}\.eyJ[A-Za-z0-9_-]{4}",
        check: secrets::jwt,
        extend: Extend::Run {
            class: secrets::token_char,
            dots: 1,
        },
    },
    rule(
        K::Email,
        r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,48}\.[A-Za-z]{2,12}",
        network::email,
    ),
    rule(
        K::Iban,
        r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}",
        numbers::iban,
    ),
    rule(
        K::Phone,
        r"\+[1-9][0-9]{0,3}(?:[ .-]?\(?[0-9]{1,5}\)?){1,6}",
        numbers::phone_international,
    ),
    rule(K::UsSsn, r"[0-9]{3}-[0-9]{2}-[0-9]{4}", numbers::ssn_dashed),
    rule(
        K::CreditCard,
        r"[0-9]{4}(?:[ -]?[0-9]){9,15}",
        numbers::card,
    ),
    rule(
        K::Phone,
        r"(?:1[ .-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}",
        numbers::phone_nanp,
    ),
    rule(
        K::Ipv4,
        r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
        network::ipv4,
    ),
    rule(
        K::Phone,
        r"0[0-9]{1,4}(?:[ ./-][0-9]{2,8}){1,4}",
        numbers::phone_national,
    ),
    rule(
        K::Ipv6,
        r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{1,37}",
        network::ipv6,
    ),
];
