//! The lexer: source text to tokens with spans. It never fails: a character it does not know
//! becomes a diagnostic and is skipped, so the parser always sees a complete token stream
//! ending in [`TokenKind::Eof`].

use crate::diag::{Code, Diagnostic, FileId, Span};
use crate::value::Date;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters, digits, `_` and `?`, not starting with a digit; `_` alone is [`TokenKind::Underscore`].
    Ident(String),
    /// `_`.
    Underscore,
    /// `@name`: a built-in date function.
    AtIdent(String),
    /// `.name` with no space between: a directive such as `.decl`.
    Directive(String),
    Number(i64),
    /// `9223372036854775808` (2^63): one more than the largest number, a number only as the
    /// operand of a unary `-` (the smallest number), which the parser checks.
    MinMagnitude,
    Date(Date),
    Str(String),
    /// `/// text` (the text after the three slashes, trimmed).
    DocComment(String),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Colon,
    /// `:-`.
    Turnstile,
    /// `<:` (subtype in `.type`).
    Subtype,
    Bang,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Pipe,
    Semicolon,
    /// Where the lexer already reported a problem that ends the item (an unterminated
    /// string): the parser skips the item without a second diagnostic.
    Error,
    /// A token the lexer reported (an impossible date): the parser skips the rest of the item
    /// without a second diagnostic.
    Invalid,
    Eof,
}

impl TokenKind {
    /// How the token is named in "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(s) => format!("identifier `{s}`"),
            TokenKind::Underscore => "`_`".into(),
            TokenKind::AtIdent(s) => format!("`@{s}`"),
            TokenKind::Directive(s) => format!("directive `.{s}`"),
            TokenKind::Number(n) => format!("number `{n}`"),
            TokenKind::MinMagnitude => format!("number `{MIN_MAGNITUDE}`"),
            TokenKind::Date(d) => format!("date `{d}`"),
            TokenKind::Str(_) => "a string".into(),
            TokenKind::DocComment(_) => "a `///` comment".into(),
            TokenKind::Eof => "end of file".into(),
            TokenKind::Error | TokenKind::Invalid => "an error".into(),
            other => format!("`{}`", other.punct()),
        }
    }

    /// [`TokenKind::describe`] in German.
    pub fn describe_de(&self) -> String {
        match self {
            TokenKind::Ident(s) => format!("Bezeichner `{s}`"),
            TokenKind::Directive(s) => format!("Direktive `.{s}`"),
            TokenKind::Number(n) => format!("Zahl `{n}`"),
            TokenKind::MinMagnitude => format!("Zahl `{MIN_MAGNITUDE}`"),
            TokenKind::Date(d) => format!("Datum `{d}`"),
            TokenKind::Str(_) => "eine Zeichenkette".into(),
            TokenKind::DocComment(_) => "ein `///`-Kommentar".into(),
            TokenKind::Eof => "das Ende der Eingabe".into(),
            TokenKind::Error | TokenKind::Invalid => "ein Fehler".into(),
            other => other.describe(),
        }
    }

    fn punct(&self) -> &'static str {
        match self {
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::Comma => ",",
            TokenKind::Dot => ".",
            TokenKind::Colon => ":",
            TokenKind::Turnstile => ":-",
            TokenKind::Subtype => "<:",
            TokenKind::Bang => "!",
            TokenKind::Eq => "=",
            TokenKind::Ne => "!=",
            TokenKind::Lt => "<",
            TokenKind::Le => "<=",
            TokenKind::Gt => ">",
            TokenKind::Ge => ">=",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Pipe => "|",
            TokenKind::Semicolon => ";",
            _ => "?",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// The directive names the lexer recognises after a `.`.
pub const DIRECTIVES: &[&str] = &[
    "decl",
    "input",
    "output",
    "printsize",
    "type",
    "norm",
    "authority",
    "rule",
];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '?'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '?'
}

/// Splits `text` into tokens; problems are pushed to `diags`.
pub fn lex(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Token> {
    let mut lx = Lexer {
        file,
        text,
        // A leading byte-order mark is the encoding's signature, not part of the program
        // (models and facts files drop it too); spans stay offsets into the whole text.
        pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
        out: Vec::new(),
        diags,
    };
    lx.run();
    lx.out
}

struct Lexer<'a, 'd> {
    file: FileId,
    text: &'a str,
    pos: usize,
    out: Vec<Token>,
    diags: &'d mut Vec<Diagnostic>,
}

impl Lexer<'_, '_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(n)
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start..self.pos)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = self.span(start);
        self.out.push(Token { kind, span });
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !f(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.bump();
                continue;
            }
            if c == '/' && self.peek_at(1) == Some('/') {
                let line = self.eat_while(|c| c != '\n');
                if let Some(doc) = line.strip_prefix("///") {
                    if !doc.starts_with('/') {
                        let doc = doc.trim().to_string();
                        self.push(TokenKind::DocComment(doc), start);
                    }
                }
                continue;
            }
            if c == '/' && self.peek_at(1) == Some('*') {
                self.block_comment(start);
                continue;
            }
            if c.is_ascii_digit() {
                self.number(start);
                continue;
            }
            if is_ident_start(c) {
                let word = self.eat_while(is_ident_char).to_string();
                let kind = if word == "_" {
                    TokenKind::Underscore
                } else {
                    TokenKind::Ident(word)
                };
                self.push(kind, start);
                continue;
            }
            if c == '"' {
                self.string(start);
                continue;
            }
            if c == '@' {
                self.bump();
                let word = self.eat_while(is_ident_char).to_string();
                if word.is_empty() {
                    let d = self.error(start, "`@` must be followed by a function name");
                    d.hint = Some("built-in date functions are `@days_between`, `@add_days`, `@add_months`, `@year`, `@date`".into());
                    german(
                        d,
                        "auf `@` folgt der Name einer Funktion".into(),
                        None,
                        Some("die eingebauten Datumsfunktionen sind `@days_between`, `@add_days`, `@add_months`, `@year`, `@date`".into()),
                    );
                } else {
                    self.push(TokenKind::AtIdent(word), start);
                }
                continue;
            }
            if c == '.' && self.peek_at(1).is_some_and(|c| c.is_ascii_alphabetic()) {
                // Only known directive names: `p(1).q(2).` is two facts, not a directive `.q`.
                let word: String = self.text[self.pos + 1..]
                    .chars()
                    .take_while(|c| is_ident_char(*c))
                    .collect();
                if DIRECTIVES.contains(&word.as_str()) {
                    self.pos += 1 + word.len();
                    self.push(TokenKind::Directive(word), start);
                    continue;
                }
            }
            self.bump();
            let two = |l: &mut Self, next: char, yes: TokenKind, no: TokenKind| {
                if l.peek() == Some(next) {
                    l.bump();
                    yes
                } else {
                    no
                }
            };
            let kind = match c {
                '(' => TokenKind::LParen,
                ')' => TokenKind::RParen,
                '{' => TokenKind::LBrace,
                '}' => TokenKind::RBrace,
                '[' => TokenKind::LBracket,
                ']' => TokenKind::RBracket,
                ',' => TokenKind::Comma,
                '.' => TokenKind::Dot,
                ':' => two(self, '-', TokenKind::Turnstile, TokenKind::Colon),
                '!' => two(self, '=', TokenKind::Ne, TokenKind::Bang),
                '=' => TokenKind::Eq,
                '<' => {
                    if self.peek() == Some(':') {
                        self.bump();
                        TokenKind::Subtype
                    } else {
                        two(self, '=', TokenKind::Le, TokenKind::Lt)
                    }
                }
                '>' => two(self, '=', TokenKind::Ge, TokenKind::Gt),
                '+' => TokenKind::Plus,
                '-' => TokenKind::Minus,
                '*' => TokenKind::Star,
                '/' => TokenKind::Slash,
                '%' => TokenKind::Percent,
                '|' => TokenKind::Pipe,
                ';' => TokenKind::Semicolon,
                other => {
                    let d = self.error(start, format!("unexpected character `{other}`"));
                    d.label = "not part of the language".into();
                    german(
                        d,
                        format!("unerwartetes Zeichen `{other}`"),
                        Some("gehört nicht zur Sprache"),
                        None,
                    );
                    continue;
                }
            };
            self.push(kind, start);
        }
        let end = self.text.len();
        self.out.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(self.file, end..end),
        });
    }

    fn error(&mut self, start: usize, msg: impl Into<String>) -> &mut Diagnostic {
        let span = self.span(start);
        self.diags.push(Diagnostic::error(Code::Syntax, span, msg));
        self.diags.last_mut().expect("just pushed")
    }

    fn unterminated_string(&mut self, start: usize) {
        let d = self.error(start, "unterminated string");
        d.with_hint_mut("close it with `\"` on the same line");
        german(
            d,
            "nicht abgeschlossene Zeichenkette".into(),
            None,
            Some("mit `\"` in derselben Zeile schließen".into()),
        );
    }

    fn block_comment(&mut self, start: usize) {
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            let rest = &self.text[self.pos..];
            if rest.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
            } else if rest.starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if self.bump().is_none() {
                let d = self.error(start, "unterminated block comment");
                d.with_hint_mut("close it with `*/`");
                german(
                    d,
                    "nicht abgeschlossener Blockkommentar".into(),
                    None,
                    Some("mit `*/` schließen".into()),
                );
                return;
            }
        }
    }

    fn number(&mut self, start: usize) {
        // `DDDD-DD-DD` followed by no further digit is a date; anything else (`1-2-3`) is
        // arithmetic on numbers.
        let rest = &self.text.as_bytes()[self.pos..];
        let looks_like_date = rest.len() >= 10
            && rest[..4].iter().all(u8::is_ascii_digit)
            && rest[4] == b'-'
            && rest[5..7].iter().all(u8::is_ascii_digit)
            && rest[7] == b'-'
            && rest[8..10].iter().all(u8::is_ascii_digit)
            && rest
                .get(10)
                .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_');
        if looks_like_date {
            self.pos += 10;
            let text = &self.text[start..self.pos];
            match Date::parse(text) {
                Some(d) => self.push(TokenKind::Date(d), start),
                None => {
                    let msg = format!("`{text}` is not a calendar date");
                    let msg_de = format!("`{text}` ist kein Kalendertag");
                    let d = self.error(start, msg);
                    d.label = "no such day".into();
                    d.hint = Some("dates are written `YYYY-MM-DD`, e.g. `2018-05-25`".into());
                    german(
                        d,
                        msg_de,
                        Some("diesen Tag gibt es nicht"),
                        Some("Daten werden `YYYY-MM-DD` geschrieben, z. B. `2018-05-25`".into()),
                    );
                    // The item is skipped without a second diagnostic.
                    self.push(TokenKind::Invalid, start);
                }
            }
            return;
        }
        let digits = self.eat_while(|c| c.is_ascii_digit()).to_string();
        if self.peek().is_some_and(is_ident_char) {
            let tail = self.eat_while(is_ident_char).to_string();
            let msg = format!("`{digits}{tail}` is neither a number nor an identifier");
            let msg_de = format!("`{digits}{tail}` ist weder eine Zahl noch ein Bezeichner");
            let d = self.error(start, msg);
            d.hint = Some("identifiers start with a letter or `_`".into());
            german(
                d,
                msg_de,
                None,
                Some("Bezeichner beginnen mit einem Buchstaben oder `_`".into()),
            );
            return;
        }
        match digits.parse::<i64>() {
            Ok(n) => self.push(TokenKind::Number(n), start),
            Err(_) if digits.trim_start_matches('0') == MIN_MAGNITUDE => {
                self.push(TokenKind::MinMagnitude, start)
            }
            Err(_) => {
                let d = self.error(start, format!("number `{digits}` does not fit in 64 bits"));
                d.hint = Some(format!("numbers range from {} to {}", i64::MIN, i64::MAX));
                german(
                    d,
                    format!("die Zahl `{digits}` passt nicht in 64 Bit"),
                    None,
                    Some(format!("Zahlen reichen von {} bis {}", i64::MIN, i64::MAX)),
                );
                self.push(TokenKind::Number(0), start);
            }
        }
    }

    fn string(&mut self, start: usize) {
        self.bump();
        let mut s = String::new();
        loop {
            let Some(c) = self.bump() else {
                self.unterminated_string(start);
                self.push(TokenKind::Error, start);
                return;
            };
            match c {
                '"' => break,
                '\n' => {
                    self.pos -= 1;
                    self.unterminated_string(start);
                    self.push(TokenKind::Error, start);
                    return;
                }
                '\\' => {
                    let esc_start = self.pos - 1;
                    match self.bump() {
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('\n') | None => {
                            self.pos = self.pos.min(self.text.len());
                            self.unterminated_string(start);
                            self.push(TokenKind::Error, start);
                            return;
                        }
                        Some(other) => {
                            let msg = format!("unknown escape `\\{other}`");
                            let d = self.error(esc_start, msg);
                            d.hint = Some("escapes are `\\\"`, `\\\\`, `\\n` and `\\t`".into());
                            german(
                                d,
                                format!("unbekannte Escape-Sequenz `\\{other}`"),
                                None,
                                Some(
                                    "Escape-Sequenzen sind `\\\"`, `\\\\`, `\\n` und `\\t`".into(),
                                ),
                            );
                        }
                    }
                }
                c => s.push(c),
            }
        }
        self.push(TokenKind::Str(s), start);
    }
}

trait HintMut {
    fn with_hint_mut(&mut self, hint: &str);
}

impl HintMut for Diagnostic {
    fn with_hint_mut(&mut self, hint: &str) {
        self.hint = Some(hint.to_string());
    }
}

/// Gives a lexer's diagnostic its German words.
/// The digits of [`TokenKind::MinMagnitude`].
pub(crate) const MIN_MAGNITUDE: &str = "9223372036854775808";

fn german(d: &mut Diagnostic, message: String, label: Option<&str>, hint: Option<String>) {
    d.de = Some(Box::new(crate::diag::German {
        message,
        label: label.map(str::to_string),
        hint,
        notes: Vec::new(),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> (Vec<TokenKind>, usize) {
        let mut d = Vec::new();
        let toks = lex(FileId(0), text, &mut d);
        (toks.into_iter().map(|t| t.kind).collect(), d.len())
    }

    #[test]
    fn dates_need_exactly_four_two_two_digits() {
        let (k, e) = kinds("2022-05-28 1-2-3 20220-01-01");
        assert_eq!(e, 0);
        assert!(matches!(k[0], TokenKind::Date(_)));
        assert_eq!(k[1], TokenKind::Number(1));
        assert_eq!(k[2], TokenKind::Minus);
        assert_eq!(k[5], TokenKind::Number(3));
        assert_eq!(k[6], TokenKind::Number(20220));
    }

    #[test]
    fn impossible_date_is_one_error() {
        let (k, e) = kinds("2023-02-29");
        assert_eq!(e, 1);
        assert_eq!(k, vec![TokenKind::Invalid, TokenKind::Eof]);
    }

    #[test]
    fn directives_follow_dots_and_doc_comments_are_kept() {
        let (k, e) = kinds("/// doc\n.decl p(x: number)\np(1).\n.output p");
        assert_eq!(e, 0);
        assert_eq!(k[0], TokenKind::DocComment("doc".into()));
        assert_eq!(k[1], TokenKind::Directive("decl".into()));
        assert!(k.contains(&TokenKind::Directive("output".into())));
    }

    #[test]
    fn strings_and_errors() {
        let (k, e) = kinds(r#""a\"b\n" "open"#);
        assert_eq!(k[0], TokenKind::Str("a\"b\n".into()));
        assert_eq!(e, 1);
        let (_, e) = kinds("p(X) :- q(X), X # 2. /* never closed");
        assert_eq!(e, 2);
    }

    #[test]
    fn operators() {
        let (k, _) = kinds(":- != <= >= <: ! = < >");
        assert_eq!(
            &k[..9],
            &[
                TokenKind::Turnstile,
                TokenKind::Ne,
                TokenKind::Le,
                TokenKind::Ge,
                TokenKind::Subtype,
                TokenKind::Bang,
                TokenKind::Eq,
                TokenKind::Lt,
                TokenKind::Gt
            ]
        );
    }
}
