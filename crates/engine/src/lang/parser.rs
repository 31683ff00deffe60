//! Recursive-descent parser with error recovery: after a syntax error it skips to the end of
//! the item (the next `.` or the next directive) and goes on, so every mistake of a file is
//! reported in one run.

use crate::builtins::{BinOp, CmpOp};
use crate::diag::{Code, Diagnostic, FileId, Span};
use crate::lang::ast::*;
use crate::lang::lexer::{lex, Token, TokenKind, MIN_MAGNITUDE};

/// Options for [`parse`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseOptions {
    /// Accept a last clause without its final `.` (rules given one by one, e.g. in the JSON
    /// `rules` list of `sphere eval --json`).
    pub allow_missing_final_dot: bool,
}

/// The functions without `@` (Soufflé's); a name of this list followed by `(` in an argument
/// or comparison is a call, not an atom.
pub const PLAIN_FUNCTIONS: &[&str] = &["cat", "strlen", "min", "max", "to_number", "to_string"];

/// Parses one file. Never fails: problems are pushed to `diags` and the items that could be
/// read are returned.
pub fn parse(file: FileId, text: &str, opts: ParseOptions, diags: &mut Vec<Diagnostic>) -> File {
    let toks = lex(file, text, diags);
    let mut p = Parser {
        text,
        nesting: 0,
        depth: 0,
        toks,
        pos: 0,
        diags,
        opts,
    };
    p.file()
}

/// Parses a single atom such as `path(1, X)` (used by queries). `None` after a diagnostic.
pub fn parse_atom_text(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Option<AtomAst> {
    let toks = lex(file, text, diags);
    let before = diags.len();
    let mut p = Parser {
        text,
        nesting: 0,
        depth: 0,
        toks,
        pos: 0,
        diags,
        opts: ParseOptions::default(),
    };
    let atom = p.atom().ok()?;
    if p.at(&TokenKind::Dot) {
        p.bump();
    }
    if !p.at(&TokenKind::Eof) {
        let _ = p.expected::<()>("end of the query");
        return None;
    }
    (p.diags.len() == before).then_some(atom)
}

/// A diagnostic has been pushed; the caller recovers.
struct Reported;

type PResult<T> = Result<T, Reported>;

/// Deepest nesting of parentheses, brackets and unary minus the parser follows, and deepest
/// expression tree it builds: every later stage walks trees recursively, so input may not
/// make them deep enough to exhaust the stack.
const MAX_NESTING: usize = 64;
const MAX_TREE_DEPTH: usize = 200;

/// The hint of [`Parser::nested`] and of a too long expression, in German.
const SPLIT_DE: &str = "den Ausdruck mit `=`-Bindungen in mehrere Schritte teilen";

/// What the parser expected (the `what` of [`Parser::expected`]), in German: the phrases the
/// parser uses, and tokens in backticks joined by `or`; anything else as it is.
fn what_de(what: &str) -> String {
    let known = match what {
        "end of the query" => "das Ende der Anfrage",
        "a relation name" => "der Name einer Relation",
        "a type name" => "der Name eines Typs",
        "a base type (`symbol`, `number` or `date`)" => {
            "ein Grundtyp (`symbol`, `number` oder `date`)"
        }
        "a column name" => "der Name einer Spalte",
        "a column type (`symbol`, `number` or `date`)" => {
            "ein Spaltentyp (`symbol`, `number` oder `date`)"
        }
        "a name" => "ein Name",
        "a key" => "ein Schlüssel",
        "a value" => "ein Wert",
        "a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`)" => {
            "ein Vergleichsoperator (`=`, `!=`, `<`, `<=`, `>`, `>=`)"
        }
        "`(` after the function name" => "`(` nach dem Namen der Funktion",
        "a term (variable, constant, `_` or expression)" => {
            "ein Term (Variable, Konstante, `_` oder Ausdruck)"
        }
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    // Tokens only: "`<:` or `=`", "`.`, `:-` or `,`".
    let tokens_only = what.split('`').step_by(2).all(|outside| {
        outside
            .split(|c: char| c == ',' || c.is_whitespace())
            .all(|w| w.is_empty() || w == "or")
    });
    if tokens_only {
        return what.replace(" or ", " oder ");
    }
    match what.strip_prefix("identifier ") {
        Some(rest) => format!("Bezeichner {rest}"),
        None => what.to_string(),
    }
}

struct Parser<'t, 'd> {
    text: &'t str,
    /// Current nesting (see [`MAX_NESTING`]).
    nesting: usize,
    /// Depth of the expression tree last returned by an expression function.
    depth: usize,
    toks: Vec<Token>,
    pos: usize,
    diags: &'d mut Vec<Diagnostic>,
    opts: ParseOptions,
}

impl Parser<'_, '_> {
    fn peek(&self) -> &TokenKind {
        &self.tok(0).kind
    }

    fn tok(&self, n: usize) -> &Token {
        let i = (self.pos + n).min(self.toks.len() - 1);
        &self.toks[i]
    }

    fn span(&self) -> Span {
        self.tok(0).span
    }

    fn prev_span(&self) -> Span {
        self.toks[self.pos.saturating_sub(1)].span
    }

    fn at(&self, k: &TokenKind) -> bool {
        self.peek() == k
    }

    fn bump(&mut self) -> Token {
        let t = self.tok(0).clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, k: &TokenKind) -> bool {
        if self.at(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expected<T>(&mut self, what: &str) -> PResult<T> {
        if matches!(self.peek(), TokenKind::Error | TokenKind::Invalid) {
            // The lexer has reported this place already.
            return Err(Reported);
        }
        let found = self.peek().describe();
        let (what_de, found_de) = (what_de(what), self.peek().describe_de());
        let span = self.span();
        let mut d = Diagnostic::error(
            Code::Syntax,
            span,
            format!("expected {what}, found {found}"),
        )
        .with_label(format!("expected {what}"))
        .de(format!("erwartet: {what_de}, gefunden: {found_de}"))
        .label_de(format!("erwartet: {what_de}"));
        if matches!(self.peek(), TokenKind::Eof | TokenKind::Directive(_)) && what.contains("`.`") {
            d = d.with_hints(
                "every fact and rule ends with `.`",
                "jede Tatsache und jede Regel endet mit `.`",
            );
        }
        self.diags.push(d);
        Err(Reported)
    }

    fn expect(&mut self, k: TokenKind) -> PResult<Span> {
        if self.at(&k) {
            Ok(self.bump().span)
        } else {
            self.expected(&k.describe())
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Name> {
        match self.peek().clone() {
            TokenKind::Ident(text) => {
                let span = self.bump().span;
                Ok(Name { text, span })
            }
            _ => self.expected(what),
        }
    }

    /// Skips to the end of the broken item: past the next `.`, or to the next directive or
    /// doc comment.
    fn recover(&mut self) {
        loop {
            match self.peek() {
                TokenKind::Eof | TokenKind::Directive(_) | TokenKind::DocComment(_) => return,
                TokenKind::Dot | TokenKind::Error => {
                    self.bump();
                    return;
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Runs `f` one nesting level deeper, or reports that the input nests too deeply.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.nesting >= MAX_NESTING {
            let span = self.span();
            self.diags.push(
                Diagnostic::error(Code::Syntax, span, "nested too deeply")
                    .with_label(format!("more than {MAX_NESTING} levels of nesting here"))
                    .with_hint("split the expression with `=` bindings into several steps")
                    .de("zu tief verschachtelt")
                    .label_de(format!("hier mehr als {MAX_NESTING} Ebenen"))
                    .hint_de(SPLIT_DE),
            );
            return Err(Reported);
        }
        self.nesting += 1;
        let r = f(self);
        self.nesting -= 1;
        r
    }

    /// Records the depth of a tree just built, or reports it as too deep.
    /// The digits of 2^63 where no unary `-` makes them the smallest number.
    fn too_big<T>(&mut self) -> PResult<T> {
        let span = self.span();
        let range = format!("numbers range from {} to {}", i64::MIN, i64::MAX);
        let range_de = format!("Zahlen reichen von {} bis {}", i64::MIN, i64::MAX);
        self.diags.push(
            Diagnostic::error(
                Code::Syntax,
                span,
                format!("number `{MIN_MAGNITUDE}` does not fit in 64 bits"),
            )
            .with_hint(format!(
                "{range}; only `-{MIN_MAGNITUDE}` is written with these digits"
            ))
            .de(format!("die Zahl `{MIN_MAGNITUDE}` passt nicht in 64 Bit"))
            .hint_de(format!(
                "{range_de}; nur `-{MIN_MAGNITUDE}` wird mit diesen Ziffern geschrieben"
            )),
        );
        Err(Reported)
    }

    fn grew(&mut self, depth: usize, span: Span) -> PResult<()> {
        self.depth = depth;
        if depth > MAX_TREE_DEPTH {
            self.diags.push(
                Diagnostic::error(Code::Syntax, span, "expression too long")
                    .with_label(format!("more than {MAX_TREE_DEPTH} operations deep"))
                    .with_hint("split the expression with `=` bindings into several steps")
                    .de("der Ausdruck ist zu lang")
                    .label_de(format!("mehr als {MAX_TREE_DEPTH} Operationen tief"))
                    .hint_de(SPLIT_DE),
            );
            return Err(Reported);
        }
        Ok(())
    }

    /// Whether a line break separates the current token from the previous one.
    fn at_line_start(&self) -> bool {
        let (a, b) = (self.prev_span().end as usize, self.span().start as usize);
        self.pos > 0 && self.text.get(a..b).is_some_and(|gap| gap.contains('\n'))
    }

    fn file(&mut self) -> File {
        let mut items = Vec::new();
        let mut doc: Option<(String, Span)> = None;
        let mut annotation: Option<Block> = None;
        loop {
            let start = self.pos;
            let tok = self.tok(0).clone();
            let result = match &tok.kind {
                TokenKind::Eof => break,
                TokenKind::DocComment(text) => {
                    self.bump();
                    doc = Some(match doc.take() {
                        Some((prev, span)) => (format!("{prev}\n{text}"), span.to(tok.span)),
                        None => (text.clone(), tok.span),
                    });
                    continue;
                }
                TokenKind::Directive(d) if d == "rule" => {
                    let d = doc.take().map(|(t, _)| t);
                    let start = self.bump().span;
                    match self.block(start, d) {
                        Ok(b) => {
                            if let Some(prev) = annotation.replace(b) {
                                self.unattached(&prev);
                            }
                            Ok(None)
                        }
                        Err(e) => Err(e),
                    }
                }
                TokenKind::Directive(_) => {
                    let d = doc.take().map(|(t, _)| t);
                    self.directive(d)
                }
                _ => {
                    doc = None;
                    self.clause().map(|mut c| {
                        c.annotation = annotation.take();
                        Some(Item::Clause(c))
                    })
                }
            };
            match result {
                Ok(Some(item)) => {
                    if !matches!(item, Item::Clause(_)) {
                        if let Some(prev) = annotation.take() {
                            self.unattached(&prev);
                        }
                    }
                    items.push(item);
                }
                Ok(None) => {}
                Err(Reported) => {
                    // An annotation whose rule failed to parse is dropped with the rule: the
                    // syntax error is the one to fix.
                    if !matches!(tok.kind, TokenKind::Directive(_)) {
                        annotation = None;
                    }
                    self.recover();
                    if self.pos == start {
                        self.bump();
                    }
                }
            }
        }
        if let Some(prev) = annotation.take() {
            self.unattached(&prev);
        }
        File { items }
    }

    fn unattached(&mut self, b: &Block) {
        self.diags.push(
            Diagnostic::error(
                Code::BadAnnotation,
                b.id.span,
                format!("annotation `{}` is not followed by a rule", b.id.text),
            )
            .with_label("this `.rule` annotates nothing")
            .with_hint("put the rule it describes directly after the `.rule { ... }` block")
            .de(format!(
                "auf die Annotation `{}` folgt keine Regel",
                b.id.text
            ))
            .label_de("dieses `.rule` beschreibt nichts")
            .hint_de("die beschriebene Regel direkt nach den Block `.rule { ... }` setzen"),
        );
    }

    fn directive(&mut self, doc: Option<String>) -> PResult<Option<Item>> {
        let tok = self.bump();
        let TokenKind::Directive(name) = &tok.kind else {
            unreachable!("directive() is only called on a directive token")
        };
        match name.as_str() {
            "decl" => self.decl(tok.span, doc).map(|d| Some(Item::Decl(d))),
            "input" | "output" | "printsize" => {
                let mut names = Vec::new();
                loop {
                    names.push(self.ident("a relation name")?);
                    if self.at(&TokenKind::LParen) {
                        self.skip_parens()?;
                    }
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.eat(&TokenKind::Dot);
                let span = tok.span.to(self.prev_span());
                Ok(match name.as_str() {
                    "printsize" => None,
                    n => Some(Item::Io {
                        output: n == "output",
                        names,
                        span,
                    }),
                })
            }
            "type" => {
                let tname = self.ident("a type name")?;
                if !self.eat(&TokenKind::Subtype) && !self.eat(&TokenKind::Eq) {
                    return self.expected("`<:` or `=`");
                }
                let base = self.ident("a base type (`symbol`, `number` or `date`)")?;
                if self.at(&TokenKind::Pipe) {
                    let span = self.span();
                    self.diags.push(
                        Diagnostic::error(Code::Syntax, span, "union types are not supported")
                            .with_label("here")
                            .with_hint("declare the column with one base type")
                            .de("Vereinigungstypen werden nicht unterstützt")
                            .label_de("hier")
                            .hint_de("die Spalte mit einem Grundtyp deklarieren"),
                    );
                    return Err(Reported);
                }
                self.eat(&TokenKind::Dot);
                Ok(Some(Item::TypeDef {
                    span: tok.span.to(base.span),
                    name: tname,
                    base,
                }))
            }
            "norm" => self.block(tok.span, doc).map(|b| Some(Item::Norm(b))),
            "authority" => self.block(tok.span, doc).map(|b| Some(Item::Authority(b))),
            other => {
                let msg = format!("unknown directive `.{other}`");
                self.diags.push(
                    Diagnostic::error(Code::Syntax, tok.span, msg)
                        .with_label("here")
                        .de(format!("unbekannte Direktive `.{other}`"))
                        .label_de("hier"),
                );
                Err(Reported)
            }
        }
    }

    fn skip_parens(&mut self) -> PResult<()> {
        let open = self.expect(TokenKind::LParen)?;
        let mut depth = 1;
        while depth > 0 {
            match self.bump().kind {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => depth -= 1,
                TokenKind::Eof => {
                    self.diags.push(
                        Diagnostic::error(Code::Syntax, open, "unclosed `(`")
                            .with_label("opened here")
                            .de("nicht geschlossene `(`")
                            .label_de("hier geöffnet"),
                    );
                    return Err(Reported);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn decl(&mut self, start: Span, doc: Option<String>) -> PResult<Decl> {
        let name = self.ident("a relation name")?;
        self.expect(TokenKind::LParen)?;
        let mut columns = Vec::new();
        if !self.at(&TokenKind::RParen) {
            loop {
                let cname = self.ident("a column name")?;
                self.expect(TokenKind::Colon)?;
                let ty = self.ident("a column type (`symbol`, `number` or `date`)")?;
                columns.push(ColumnDecl { name: cname, ty });
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        self.expect(TokenKind::RParen)?;
        // Soufflé's representation qualifiers (`btree`, `brie`, ...) are accepted and ignored.
        while matches!(self.peek(), TokenKind::Ident(q) if ["btree", "brie", "eqrel", "inline", "magic", "no_magic", "override", "choice-domain"].contains(&q.as_str()))
        {
            self.bump();
        }
        self.eat(&TokenKind::Dot);
        Ok(Decl {
            span: start.to(self.prev_span()),
            name,
            columns,
            doc,
        })
    }

    fn block(&mut self, start: Span, doc: Option<String>) -> PResult<Block> {
        let id = match self.peek().clone() {
            TokenKind::Str(text) | TokenKind::Ident(text) => {
                let span = self.bump().span;
                Name { text, span }
            }
            _ => return self.expected("a name"),
        };
        let fields = self.fields()?;
        Ok(Block {
            span: start.to(self.prev_span()),
            id,
            fields,
            doc,
        })
    }

    /// `{ key: value, ... }`, recovering inside the braces at the next `,`.
    fn fields(&mut self) -> PResult<Vec<Field>> {
        self.expect(TokenKind::LBrace)?;
        let mut fields = Vec::new();
        loop {
            if self.eat(&TokenKind::RBrace) {
                return Ok(fields);
            }
            match self.field() {
                Ok(f) => fields.push(f),
                Err(Reported) => {
                    // Skip to the next `,` or the closing `}` of this block.
                    let mut depth = 0i32;
                    loop {
                        match self.peek() {
                            TokenKind::Eof | TokenKind::Directive(_) => return Err(Reported),
                            TokenKind::LBrace | TokenKind::LBracket => depth += 1,
                            TokenKind::RBracket => depth -= 1,
                            TokenKind::RBrace if depth == 0 => break,
                            TokenKind::RBrace => depth -= 1,
                            TokenKind::Comma if depth <= 0 => break,
                            _ => {}
                        }
                        self.bump();
                    }
                }
            }
            if !self.eat(&TokenKind::Comma) {
                self.expect(TokenKind::RBrace)?;
                return Ok(fields);
            }
        }
    }

    fn field(&mut self) -> PResult<Field> {
        let key = self.ident("a key")?;
        self.expect(TokenKind::Colon)?;
        let value = self.avalue()?;
        Ok(Field { key, value })
    }

    fn avalue(&mut self) -> PResult<AValue> {
        let span = self.span();
        let kind = match self.peek().clone() {
            TokenKind::Str(s) => {
                self.bump();
                AValueKind::Str(s)
            }
            TokenKind::Ident(w) => {
                self.bump();
                AValueKind::Word(w)
            }
            TokenKind::Date(d) => {
                self.bump();
                AValueKind::Date(d)
            }
            TokenKind::Number(n) => {
                self.bump();
                AValueKind::Num(n)
            }
            TokenKind::MinMagnitude => return self.too_big(),
            TokenKind::LBracket => {
                self.bump();
                let mut items = Vec::new();
                while !self.at(&TokenKind::RBracket) {
                    items.push(self.nested(|p| p.avalue())?);
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(TokenKind::RBracket)?;
                AValueKind::List(items)
            }
            TokenKind::LBrace => AValueKind::Map(self.nested(|p| p.fields())?),
            _ => return self.expected("a value"),
        };
        Ok(AValue {
            kind,
            span: span.to(self.prev_span()),
        })
    }

    fn clause(&mut self) -> PResult<Clause> {
        let head = self.atom()?;
        if self.at(&TokenKind::Comma) {
            let span = self.span();
            self.diags.push(
                Diagnostic::error(Code::Syntax, span, "a rule has exactly one head")
                    .with_label("a second head starts here")
                    .with_hint("write one rule per head relation")
                    .de("eine Regel hat genau einen Kopf")
                    .label_de("hier beginnt ein zweiter Kopf")
                    .hint_de("eine Regel je Kopfrelation schreiben"),
            );
            return Err(Reported);
        }
        let mut body = Vec::new();
        if self.eat(&TokenKind::Turnstile) {
            loop {
                body.push(self.literal()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        if !self.eat(&TokenKind::Dot) {
            let at_end = self.at(&TokenKind::Eof);
            if !(at_end && self.opts.allow_missing_final_dot) {
                if self.at_line_start() || at_end {
                    // The usual slip: a clause without its final dot, the next one on the next
                    // line. Point just after the clause and go on with the next line.
                    let prev = self.prev_span();
                    self.diags.push(
                        Diagnostic::error(
                            Code::Syntax,
                            prev,
                            "missing `.` at the end of the clause",
                        )
                        .with_label("expected `.` after this")
                        .with_hint("every fact and rule ends with `.`")
                        .de("am Ende der Klausel fehlt `.`")
                        .label_de("danach wird `.` erwartet")
                        .hint_de("jede Tatsache und jede Regel endet mit `.`"),
                    );
                } else {
                    let what = if body.is_empty() {
                        "`.`, `:-` or `,`"
                    } else {
                        "`.` or `,`"
                    };
                    return self.expected(what);
                }
            }
        }
        Ok(Clause {
            span: head.span.to(self.prev_span()),
            head,
            body,
            annotation: None,
        })
    }

    fn atom(&mut self) -> PResult<AtomAst> {
        let name = match self.peek().clone() {
            TokenKind::Ident(text) => {
                let span = self.bump().span;
                Name { text, span }
            }
            _ => return self.expected("a relation name"),
        };
        if !self.at(&TokenKind::LParen) {
            return self.expected("`(`");
        }
        self.bump();
        let mut args = Vec::new();
        if !self.at(&TokenKind::RParen) {
            loop {
                args.push(self.expr()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        if !self.at(&TokenKind::RParen) {
            return self.expected("`,` or `)`");
        }
        let end = self.bump().span;
        Ok(AtomAst {
            span: name.span.to(end),
            name,
            args,
            negated: false,
        })
    }

    /// Index of the token that closes the `(` at offset `n` from the current token.
    fn matching_paren(&self, n: usize) -> Option<usize> {
        let mut depth = 0;
        let mut i = n;
        loop {
            match &self.tok(i).kind {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                TokenKind::Eof | TokenKind::Dot | TokenKind::Directive(_) => return None,
                _ => {}
            }
            i += 1;
        }
    }

    fn cmp_op(k: &TokenKind) -> Option<CmpOp> {
        Some(match k {
            TokenKind::Eq => CmpOp::Eq,
            TokenKind::Ne => CmpOp::Ne,
            TokenKind::Lt => CmpOp::Lt,
            TokenKind::Le => CmpOp::Le,
            TokenKind::Gt => CmpOp::Gt,
            TokenKind::Ge => CmpOp::Ge,
            _ => return None,
        })
    }

    fn literal(&mut self) -> PResult<LiteralAst> {
        let start = self.span();
        let negate = match self.peek() {
            TokenKind::Bang => true,
            TokenKind::Ident(w) if w == "not" => {
                matches!(self.tok(1).kind, TokenKind::Ident(_))
            }
            _ => false,
        };
        if negate {
            self.bump();
            let mut a = self.atom()?;
            a.negated = true;
            a.span = start.to(a.span);
            return Ok(LiteralAst::Atom(a));
        }
        match self.peek().clone() {
            TokenKind::Ident(name) if self.tok(1).kind == TokenKind::LParen => {
                // `min(X, Y) < 3` is a comparison; `min(X, Y)` alone is an atom.
                let is_call = PLAIN_FUNCTIONS.contains(&name.as_str())
                    && self
                        .matching_paren(1)
                        .is_some_and(|i| is_operator(&self.tok(i + 1).kind));
                if !is_call {
                    return self.atom().map(LiteralAst::Atom);
                }
            }
            TokenKind::LParen => {
                // `(N <= 25)`: a parenthesised comparison, not a parenthesised expression.
                if let Some(close) = self.matching_paren(0) {
                    let mut depth = 0;
                    let has_cmp = (0..close).any(|i| {
                        match &self.tok(i).kind {
                            TokenKind::LParen => depth += 1,
                            TokenKind::RParen => depth -= 1,
                            k => return depth == 1 && Self::cmp_op(k).is_some(),
                        }
                        false
                    });
                    if has_cmp {
                        self.bump();
                        let mut lit = self.nested(|p| p.literal())?;
                        let end = self.expect(TokenKind::RParen)?;
                        if let LiteralAst::Cmp { span, .. } = &mut lit {
                            *span = start.to(end);
                        }
                        return Ok(lit);
                    }
                }
            }
            _ => {}
        }
        let lhs = self.expr()?;
        let Some(op) = Self::cmp_op(self.peek()) else {
            return self.expected("a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`)");
        };
        self.bump();
        let rhs = self.expr()?;
        Ok(LiteralAst::Cmp {
            op,
            span: lhs.span.to(rhs.span),
            lhs,
            rhs,
        })
    }

    fn expr(&mut self) -> PResult<ExprAst> {
        self.nested(|p| {
            let mut lhs = p.term()?;
            let mut depth = p.depth;
            loop {
                let op = match p.peek() {
                    TokenKind::Plus => BinOp::Add,
                    TokenKind::Minus => BinOp::Sub,
                    _ => {
                        p.depth = depth;
                        return Ok(lhs);
                    }
                };
                p.bump();
                let rhs = p.term()?;
                lhs = binary(op, lhs, rhs);
                depth = depth.max(p.depth) + 1;
                p.grew(depth, lhs.span)?;
            }
        })
    }

    fn term(&mut self) -> PResult<ExprAst> {
        let mut lhs = self.unary()?;
        let mut depth = self.depth;
        loop {
            let op = match self.peek() {
                TokenKind::Star => BinOp::Mul,
                TokenKind::Slash => BinOp::Div,
                TokenKind::Percent => BinOp::Rem,
                _ => {
                    self.depth = depth;
                    return Ok(lhs);
                }
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = binary(op, lhs, rhs);
            depth = depth.max(self.depth) + 1;
            self.grew(depth, lhs.span)?;
        }
    }

    fn unary(&mut self) -> PResult<ExprAst> {
        if self.at(&TokenKind::Minus) {
            let start = self.bump().span;
            if self.at(&TokenKind::MinMagnitude) {
                // `-9223372036854775808`, the smallest number: its digits alone do not fit.
                let end = self.bump().span;
                self.depth = 1;
                return Ok(ExprAst {
                    kind: ExprKind::Num(i64::MIN),
                    span: start.to(end),
                });
            }
            let inner = self.nested(|p| p.unary())?;
            let span = start.to(inner.span);
            let kind = match inner.kind {
                // `-(-9223372036854775808)` has no 64-bit result: left to the evaluation, where
                // a negation past the numbers has none, as any other arithmetic.
                ExprKind::Num(n) if n != i64::MIN => ExprKind::Num(-n),
                _ => {
                    let depth = self.depth + 1;
                    self.grew(depth, span)?;
                    ExprKind::Neg(Box::new(inner))
                }
            };
            return Ok(ExprAst { kind, span });
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<ExprAst> {
        let span = self.span();
        let kind = match self.peek().clone() {
            TokenKind::Number(n) => ExprKind::Num(n),
            TokenKind::MinMagnitude => return self.too_big(),
            TokenKind::Date(d) => ExprKind::Date(d),
            TokenKind::Str(s) => ExprKind::Str(s),
            TokenKind::Underscore => ExprKind::Wildcard,
            TokenKind::Ident(name) | TokenKind::AtIdent(name)
                if self.tok(1).kind == TokenKind::LParen =>
            {
                let at = matches!(self.peek(), TokenKind::AtIdent(_));
                self.bump();
                self.bump();
                let mut args = Vec::new();
                let mut depth = 0;
                if !self.at(&TokenKind::RParen) {
                    loop {
                        args.push(self.expr()?);
                        depth = depth.max(self.depth);
                        if !self.eat(&TokenKind::Comma) {
                            break;
                        }
                    }
                }
                let end = self.expect(TokenKind::RParen)?;
                self.grew(depth + 1, span.to(end))?;
                let text = if at { format!("@{name}") } else { name };
                return Ok(ExprAst {
                    kind: ExprKind::Call(Name { text, span }, args),
                    span: span.to(end),
                });
            }
            TokenKind::Ident(name) => ExprKind::Var(name),
            TokenKind::AtIdent(_) => return self.expected("`(` after the function name"),
            TokenKind::LParen => {
                self.bump();
                let mut inner = self.expr()?;
                let end = self.expect(TokenKind::RParen)?;
                inner.span = span.to(end);
                return Ok(inner);
            }
            _ => return self.expected("a term (variable, constant, `_` or expression)"),
        };
        self.bump();
        self.depth = 1;
        Ok(ExprAst { kind, span })
    }
}

fn is_operator(k: &TokenKind) -> bool {
    matches!(
        k,
        TokenKind::Eq
            | TokenKind::Ne
            | TokenKind::Lt
            | TokenKind::Le
            | TokenKind::Gt
            | TokenKind::Ge
            | TokenKind::Plus
            | TokenKind::Minus
            | TokenKind::Star
            | TokenKind::Slash
            | TokenKind::Percent
    )
}

fn binary(op: BinOp, lhs: ExprAst, rhs: ExprAst) -> ExprAst {
    let span = lhs.span.to(rhs.span);
    ExprAst {
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (File, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let f = parse(FileId(0), text, ParseOptions::default(), &mut d);
        (f, d)
    }

    fn clause(item: &Item) -> &Clause {
        match item {
            Item::Clause(c) => c,
            other => panic!("expected a clause, got {other:?}"),
        }
    }

    #[test]
    fn the_smallest_number_is_a_literal_and_negating_it_again_is_not_folded() {
        let (f, d) = parse_str("n(-9223372036854775808).\nn(--9223372036854775808).\nn(-5).");
        assert!(d.is_empty(), "{d:?}");
        let arg = |i: usize| &clause(&f.items[i]).head.args[0].kind;
        assert!(matches!(arg(0), ExprKind::Num(i64::MIN)), "{:?}", arg(0));
        // -(-2^63) does not fit: kept as a negation, which the evaluation leaves without result.
        match arg(1) {
            ExprKind::Neg(inner) => assert!(matches!(inner.kind, ExprKind::Num(i64::MIN))),
            other => panic!("expected a negation, got {other:?}"),
        }
        assert!(matches!(arg(2), ExprKind::Num(-5)), "{:?}", arg(2));
        let (_, d) = parse_str("n(9223372036854775808).");
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "number `9223372036854775808` does not fit in 64 bits"
        );
    }

    #[test]
    fn souffle_quirks_parse() {
        let (f, d) = parse_str(
            "T (x1, x3) :- T(x1, x2), e(x2, x3).\nOk() :- !bad().\nsmall(n) :- num(n), (n <= 25).\nE(F, E) :- D(E, F).\nq(x) :- r(x), not s(x).\nv(X) :- w(X, Y), Y = 1-2-3.",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.items.len(), 6);
        assert_eq!(clause(&f.items[0]).head.args.len(), 2);
        assert!(clause(&f.items[1]).head.args.is_empty());
        assert!(matches!(
            clause(&f.items[2]).body[1],
            LiteralAst::Cmp { op: CmpOp::Le, .. }
        ));
        match &clause(&f.items[4]).body[1] {
            LiteralAst::Atom(a) => assert!(a.negated),
            other => panic!("{other:?}"),
        }
        match &clause(&f.items[5]).body[1] {
            LiteralAst::Cmp { rhs, .. } => {
                assert!(matches!(rhs.kind, ExprKind::Binary(BinOp::Sub, _, _)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn three_mistakes_three_diagnostics() {
        let (f, d) = parse_str("p(X) :- q(X)\nr(1).\ns(X :- t(X).\nu(X) :- v(X), X >.\nw(1).");
        assert_eq!(d.len(), 3, "{d:?}");
        // `r(1).` is swallowed by the first recovery (it skips to the next `.`), `w(1).` survives.
        assert!(f
            .items
            .iter()
            .any(|i| matches!(i, Item::Clause(c) if c.head.name.text == "w")));
    }

    #[test]
    fn missing_final_dot_only_when_allowed() {
        let (_, d) = parse_str("p(X) :- q(X)");
        assert_eq!(d.len(), 1);
        let mut d = Vec::new();
        let opts = ParseOptions {
            allow_missing_final_dot: true,
        };
        let f = parse(FileId(0), "p(X) :- q(X)", opts, &mut d);
        assert!(d.is_empty());
        assert_eq!(f.items.len(), 1);
    }

    #[test]
    fn annotations_attach_to_the_next_rule() {
        let (f, d) = parse_str(
            ".rule r1 { norms: [\"gdpr:6.1.a\"], severity: high, message: { en: \"x\", de: \"y\" } }\nfinding(A, S, D) :- act(A, S, D).",
        );
        assert!(d.is_empty(), "{d:?}");
        let c = clause(&f.items[0]);
        let ann = c.annotation.as_ref().expect("annotation attached");
        assert_eq!(ann.id.text, "r1");
        assert_eq!(ann.fields.len(), 3);
    }

    #[test]
    fn io_parameters_are_ignored() {
        let (f, d) = parse_str(
            ".decl e(x: number, y: number)\n.input e(IO=file, filename=\"e.facts\", delimiter=\"\\t\")\n.output e, e\n.printsize e",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.items.len(), 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Exactly one diagnostic per input, the limit it hits, not a cascade of follow-ups.
        let chain = format!("p(X) :- q(X), X = {}1.", "1 + ".repeat(5000));
        for text in [
            format!(
                "p(X) :- q(X), X = {}1{}.",
                "(".repeat(5000),
                ")".repeat(5000)
            ),
            chain.clone(),
            format!("p(X) :- q(X), X = {}X.", "-".repeat(5000)),
            format!(
                "p(X) :- q(X), {}X < 1{}.",
                "(".repeat(5000),
                ")".repeat(5000)
            ),
            format!(
                ".rule r {{ norms: {}{} }}",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
        ] {
            let (_, d) = parse_str(&text);
            let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
            let limit = if text == chain {
                "expression too long"
            } else {
                "nested too deeply"
            };
            assert_eq!(messages, [limit], "{d:?}");
        }
        let (_, d) = parse_str(&format!("p(X) :- q(X), X = {}1.", "1 + ".repeat(150)));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn calls_and_comparisons() {
        let (f, d) = parse_str("p(Z) :- q(X, Y), min(X, Y) < 3, Z = @add_days(X, -2) * 1.");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(clause(&f.items[0]).body.len(), 3);
    }
}
