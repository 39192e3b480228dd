#![allow(clippy::unwrap_used)]
use regex_automata::meta::Regex;
use std::time::Instant;
include!("/tmp/p4k.rs");
fn main() {
    let text = prompt_4k();
    let pats = [
        ("iban", r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}"),
        ("iban2", r"[A-Z]{2}[0-9]{2}[ A-Z0-9]{11,40}"),
        ("iban3", r"[A-Z]{2}[0-9]{2} ?[A-Z0-9]{4}"),
        (
            "ssnctx",
            r"(?i:ssn|social security(?: number| no\.?| #)?|soc\.? ?sec\.?(?: no\.?)?|ss#)[ ]?(?:is |# |number |no\.? )?[ :#.-]{0,4}[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{4}",
        ),
        (
            "ssnctx-ascii",
            r"(?:[Ss][Ss][Nn]|[Ss]ocial [Ss]ecurity|SOCIAL SECURITY|ss#|SS#)[^0-9\n]{0,12}[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{4}",
        ),
        ("ssndash", r"[0-9]{3}-[0-9]{2}-[0-9]{4}"),
        (
            "conn",
            r#"[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s:/@"'<>]{0,32}:[^\s/@"'<>]{1,48}@"#,
        ),
        (
            "conn-ascii",
            r#"[A-Za-z][A-Za-z0-9+.-]{1,15}://[!#-&(-.0-9;=?A-Z\[\]^-~]{0,32}:[!#-&(-.0-9:;=?A-Z\[\]^-~]{1,48}@"#,
        ),
        (
            "conn-lit",
            r#"://[!#-&(-.0-9;=?A-Z\[\]^-~]{0,32}:[!#-&(-.0-9:;=?A-Z\[\]^-~]{1,48}@"#,
        ),
        ("card", r"[0-9]{4}(?:[ -]?[0-9]){9,15}"),
        ("ipv4", r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"),
        (
            "nanp",
            r"(?:1[ .-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}",
        ),
        ("natl", r"0[0-9]{1,4}(?:[ ./-][0-9]{2,8}){1,4}"),
        ("intl", r"\+[1-9][0-9]{0,3}(?:[ .-]?\(?[0-9]{1,5}\)?){1,6}"),
        (
            "phonectx",
            r"(?i:phone|telephone|tel|mobile|cell|fax|call|whatsapp|sms|text me at|reach me at|telefon|téléphone|teléfono|telefono|handy|portable|móvil|celular)(?: ?(?:number|no|nr|num))?[.:#]?[ ]{0,3}(?:(?:is|at|on|me at|me on) )?[ ]{0,2}\+?\(?[0-9][0-9 ().-]{5,18}[0-9]",
        ),
        (
            "email",
            r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,48}\.[A-Za-z]{2,12}",
        ),
        (
            "param",
            r#"[;?&](?i:password|passwd|pwd)=[^\s;&"'<>]{1,48}"#,
        ),
    ];
    let all: Vec<&str> = pats.iter().map(|(_, p)| *p).collect();
    for cap in [2usize << 20, 16 << 20, 64 << 20] {
        let re = Regex::builder().configure(Regex::config().hybrid_cache_capacity(cap)).build_many(&all).unwrap();
        let n = 2000;
        let t = Instant::now();
        let mut c = 0;
        for _ in 0..n { c += re.find_iter(&text).count(); }
        println!("ALL cap {cap}: {:.2} us ({})", t.elapsed().as_secs_f64()*1e6/n as f64, c/n);
    }
    for (name, p) in pats {
        let re = Regex::builder()
            .configure(Regex::config().auto_prefilter(std::env::var("NOPRE").is_err()))
            .build(p)
            .unwrap();
        let n = 2000;
        let t = Instant::now();
        let mut c = 0;
        for _ in 0..n {
            c += re.find_iter(&text).count();
        }
        println!(
            "{name}: {:.2} us ({})",
            t.elapsed().as_secs_f64() * 1e6 / n as f64,
            c / n
        );
    }
}
