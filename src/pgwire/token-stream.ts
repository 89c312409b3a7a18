/** A cursor over the tokens of one statement, with the small vocabulary the parsers share. */
import { syntaxError, tokenize, type Token } from './sql-lexer.js';
import type { PgError } from './pg-error.js';

export class TokenStream {
  private readonly tokens: Token[];
  private index = 0;

  constructor(readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  /**
   * After an opening parenthesis: the text up to its matching one (consumed too), and the offset
   * of that text in the statement, so that the Postgres grammar can read it with true positions.
   */
  parenthesized(): { text: string; offset: number } {
    const start = this.peek().position - 1;
    let depth = 1;
    for (;;) {
      const token = this.next();
      if (token.kind === 'end') throw this.unexpected(token);
      if (token.kind !== 'op') continue;
      if (token.value === '(') depth += 1;
      else if (token.value === ')' && --depth === 0)
        return { text: this.sql.slice(start, token.position - 1), offset: start };
    }
  }

  /** The rest of the statement's text from the current token, consumed. */
  rest(): { text: string; offset: number } {
    const start = this.peek().position - 1;
    while (!this.atEnd()) this.next();
    return { text: this.sql.slice(start), offset: start };
  }

  peek(offset = 0): Token {
    const last = this.tokens[this.tokens.length - 1] as Token;
    return this.tokens[this.index + offset] ?? last;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  atEnd(): boolean {
    return this.peek().kind === 'end';
  }

  /** Consumes an operator or punctuation token. */
  accept(op: string): boolean {
    const token = this.peek();
    if (token.kind !== 'op' || token.value !== op) return false;
    this.index += 1;
    return true;
  }

  expect(op: string): void {
    if (!this.accept(op)) throw this.unexpected();
  }

  peekWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'word' && token.value === word;
  }

  acceptWord(word: string): boolean {
    if (!this.peekWord(word)) return false;
    this.index += 1;
    return true;
  }

  expectWord(word: string): void {
    if (!this.acceptWord(word)) throw this.unexpected();
  }

  /** A bare (lower-cased) or quoted identifier. */
  identifier(_what: string): string {
    const token = this.peek();
    if (token.kind !== 'word' && token.kind !== 'quoted') throw this.unexpected();
    this.index += 1;
    return token.value;
  }

  /** `name`, `schema.name` or `db.schema.name`: the object's own name and where it starts. */
  qualifiedName(what: string): { name: string; position: number } {
    let position = this.peek().position;
    let name = this.identifier(what);
    while (this.accept('.')) {
      position = this.peek().position;
      name = this.identifier(what);
    }
    return { name, position };
  }

  /** `(name [=] [value], ...)`; a value is a word, string or number, and may be absent. */
  options(): Array<[string, string | null]> {
    const options: Array<[string, string | null]> = [];
    this.expect('(');
    do {
      const name = this.identifier('an option name');
      let value: string | null = null;
      const explicit = this.accept('=');
      const token = this.peek();
      if (explicit || (token.kind !== 'op' && token.kind !== 'end')) {
        if (token.kind === 'op' && token.value === '-' && this.peek(1).kind === 'number') {
          this.next();
          value = `-${this.next().value}`;
        } else if (token.kind === 'op' || token.kind === 'end' || token.kind === 'param') {
          throw this.unexpected();
        } else {
          value = this.next().value;
        }
      }
      options.push([name.toLowerCase(), value]);
    } while (this.accept(','));
    this.expect(')');
    return options;
  }

  /** Skips to the end of the statement (for statements whose details change nothing here). */
  skipRest(): void {
    while (!this.atEnd()) this.next();
  }

  unexpected(token: Token = this.peek()): PgError {
    if (token.kind === 'end') return syntaxError('syntax error at end of input', token.position);
    const text =
      token.kind === 'string' ? `'${token.value}'` : token.kind === 'param' ? `$${token.value}` : token.value;
    return syntaxError(`syntax error at or near "${text}"`, token.position);
  }
}
