// The rabbitmq.conf file format (cuttlefish's sysctl-style "key = value" lines), and nothing
// about what the keys mean: that is config-schema.ts.
//
// The rules are those of the cuttlefish parser RabbitMQ 3.10 ships, checked against it:
// - a "#" starts a comment wherever it stands, even inside a value: cuttlefish has no quoting or
//   escaping in values, so `default_pass = a#b` sets "a" and `'a#b'` sets "'a";
// - blank lines and lines of spaces and tabs are ignored; CRLF line ends are accepted;
// - the key is everything before the first "=", the value everything after it, both trimmed of
//   spaces and tabs; the value may itself contain "=" and spaces, but may not be empty;
// - a key is dot-separated words of letters, digits, "_" and "-"; "\." puts a literal dot in a
//   word (for a user name with a dot in loopback_users.<user>, say);
// - when a key is set more than once the last line wins, and only that line is checked: an
//   earlier bad value that a later line overrides is no error.
// Where cuttlefish stops at the first syntax error, Warren reads on and reports every bad line.

/** A problem found in a config file: its 1-based line, unless it is about the whole file. */
export interface ConfigProblem {
  line?: number;
  message: string;
}

/** One setting as written: its key split into words, the raw value, and where it was. */
export interface ConfEntry {
  key: string[];
  keyText: string;
  value: string;
  line: number;
}

const WORD = String.raw`(?:[A-Za-z0-9_-]|\\\.)+`;
const KEY = new RegExp(`^${WORD}(?:\\.${WORD})*$`);
const SPACE_OR_TAB = /^[ \t]+|[ \t]+$/g;

const trimSpaces = (s: string): string => s.replace(SPACE_OR_TAB, '');

/**
 * Splits a conf text into its settings, one per key (the last one written), in the order the keys
 * first appear.
 */
export function parseConfText(confText: string): {
  entries: ConfEntry[];
  problems: ConfigProblem[];
} {
  const byKey = new Map<string, ConfEntry>();
  const problems: ConfigProblem[] = [];
  const lines = confText.split('\n');
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const text = rawLine.replace(/\r$/, '');
    const content = text.replace(/#.*$/, '');
    if (trimSpaces(content) === '') return;

    const eq = content.indexOf('=');
    if (eq < 0) {
      problems.push({
        line,
        message: `Syntax error: expected "key = value", found: ${trimSpaces(text)}`,
      });
      return;
    }
    const keyText = trimSpaces(content.slice(0, eq));
    const value = trimSpaces(content.slice(eq + 1));
    if (!KEY.test(keyText)) {
      problems.push({
        line,
        message:
          `Syntax error: "${keyText}" is not a valid key ` +
          '(dot-separated words of letters, digits, "_" and "-")',
      });
      return;
    }
    if (value === '') {
      problems.push({ line, message: `Syntax error: no value after "=" for ${keyText}` });
      return;
    }
    const key = keyText.split(/(?<!\\)\./).map((word) => word.replace(/\\\./g, '.'));
    // A repeated key keeps the place it first had among the others; its value and line change.
    byKey.set(keyText, { key, keyText, value, line });
  });
  return { entries: [...byKey.values()], problems };
}
