/**
 * The subset of Java's DateTimeFormatter patterns that Firehose's `!{timestamp:<pattern>}` prefix expressions accept
 * (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html), formatting an instant in UTC with the English names Firehose uses.
 *
 * Supported, with Java's rules for the letter counts (more letters than Java allows is an error, as in Java):
 *   G era; y/u year (yy = two digits); Q/q quarter; M/L month (M, MM, MMM = Jan, MMMM = January, MMMMM = J);
 *   d day of month; D day of year; E day of week (E..EEE = Mon, EEEE = Monday, EEEEE = M); a AM/PM;
 *   H hour 0-23; k hour 1-24; K hour 0-11; h hour 1-12; m minute; s second; S fraction of second;
 *   A milli of day; n nano of second; N nano of day.
 * Text in single quotes is literal (`''` is one quote, inside or outside quotes); other non-letters are literal.
 * Refused with a clear error: week-based and localized fields (Y w W e c F), time-zone letters (V z O X x Z v: the
 * instant is always UTC here, and Firehose's own zone rendering is not documented), optional sections `[ ]`, the
 * reserved characters `{ } #`, the pad modifier `p`, and any other letter (Java reserves all of them).
 *
 * Pure: no clock, no locale.
 */

export class DateTimePatternError extends Error {
  override readonly name = "DateTimePatternError";
  constructor(
    readonly pattern: string,
    detail: string,
  ) {
    super(`invalid timestamp pattern "${pattern}": ${detail}`);
  }
}

type Field = (d: Date) => string;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const QUARTER_NAMES = ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"];

const pad = (value: number, width: number) => String(value).padStart(width, "0");
const MS_PER_DAY = 86_400_000;

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / MS_PER_DAY) + 1;
}
function milliOfDay(d: Date): number {
  return ((d.getTime() % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
}

/** Numeric field with Java's "1 letter: as is, 2 letters: two digits" rule (d, H, m, s, h, k, K). */
function twoDigit(letter: string, count: number, value: (d: Date) => number, pattern: string): Field {
  if (count > 2) throw new DateTimePatternError(pattern, `too many pattern letters: ${letter}`);
  return count === 1 ? (d) => String(value(d)) : (d) => pad(value(d), 2);
}

function fieldFor(letter: string, count: number, pattern: string): Field {
  const tooMany = (max: number) => {
    if (count > max) throw new DateTimePatternError(pattern, `too many pattern letters: ${letter}`);
  };
  switch (letter) {
    case "G":
      tooMany(5);
      return (d) => {
        const ad = d.getUTCFullYear() > 0;
        if (count === 4) return ad ? "Anno Domini" : "Before Christ";
        if (count === 5) return ad ? "A" : "B";
        return ad ? "AD" : "BC";
      };
    case "y":
    case "u":
      if (count === 2) return (d) => pad(((d.getUTCFullYear() % 100) + 100) % 100, 2);
      return count === 1 ? (d) => String(d.getUTCFullYear()) : (d) => pad(d.getUTCFullYear(), count);
    case "Q":
    case "q":
      tooMany(5);
      return (d) => {
        const q = Math.floor(d.getUTCMonth() / 3) + 1;
        if (count === 2) return pad(q, 2);
        if (count === 3) return `Q${q}`;
        if (count === 4) return QUARTER_NAMES[q - 1]!;
        return String(q);
      };
    case "M":
    case "L":
      tooMany(5);
      return (d) => {
        const m = d.getUTCMonth();
        if (count === 1) return String(m + 1);
        if (count === 2) return pad(m + 1, 2);
        if (count === 3) return MONTHS[m]!.slice(0, 3);
        if (count === 4) return MONTHS[m]!;
        return MONTHS[m]!.slice(0, 1);
      };
    case "d":
      return twoDigit(letter, count, (d) => d.getUTCDate(), pattern);
    case "D":
      tooMany(3);
      return (d) => pad(dayOfYear(d), count);
    case "E":
      tooMany(5);
      return (d) => {
        const name = DAYS[d.getUTCDay()]!;
        if (count === 4) return name;
        if (count === 5) return name.slice(0, 1);
        return name.slice(0, 3);
      };
    case "a":
      tooMany(1);
      return (d) => (d.getUTCHours() < 12 ? "AM" : "PM");
    case "H":
      return twoDigit(letter, count, (d) => d.getUTCHours(), pattern);
    case "k":
      return twoDigit(letter, count, (d) => d.getUTCHours() || 24, pattern);
    case "K":
      return twoDigit(letter, count, (d) => d.getUTCHours() % 12, pattern);
    case "h":
      return twoDigit(letter, count, (d) => d.getUTCHours() % 12 || 12, pattern);
    case "m":
      return twoDigit(letter, count, (d) => d.getUTCMinutes(), pattern);
    case "s":
      return twoDigit(letter, count, (d) => d.getUTCSeconds(), pattern);
    case "S":
      tooMany(9);
      // Fraction of second, truncated to `count` digits (an instant here has millisecond precision).
      return (d) => pad(d.getUTCMilliseconds(), 3).padEnd(9, "0").slice(0, count);
    case "A":
      tooMany(19);
      return (d) => pad(milliOfDay(d), count);
    case "n":
      tooMany(19);
      return (d) => pad(d.getUTCMilliseconds() * 1_000_000, count);
    case "N":
      tooMany(19);
      return (d) => pad(milliOfDay(d) * 1_000_000, count);
    case "Y":
    case "w":
    case "W":
    case "e":
    case "c":
    case "F":
      throw new DateTimePatternError(pattern, `pattern letter ${letter} (week-based or localized) is not supported; use y, M, d, D, H...`);
    case "V":
    case "v":
    case "z":
    case "O":
    case "X":
    case "x":
    case "Z":
      throw new DateTimePatternError(pattern, `time-zone pattern letter ${letter} is not supported (timestamps are UTC)`);
    case "p":
      throw new DateTimePatternError(pattern, "the pad modifier p is not supported");
    default:
      throw new DateTimePatternError(pattern, `unknown pattern letter: ${letter}`);
  }
}

const isLetter = (ch: string) => (ch >= "A" && ch <= "Z") || (ch >= "a" && ch <= "z");

/** Compiles a pattern once; the result formats an epoch-millisecond instant in UTC. Throws DateTimePatternError. */
export function compileDateTimePattern(pattern: string): (epochMs: number) => string {
  const parts: (string | Field)[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "'") {
      // Quoted literal; '' is an escaped quote (also as a whole: '' outside quotes is one quote).
      if (pattern[i + 1] === "'") {
        parts.push("'");
        i += 2;
        continue;
      }
      let text = "";
      let j = i + 1;
      for (;;) {
        if (j >= pattern.length) throw new DateTimePatternError(pattern, "unterminated quoted literal");
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j];
        j++;
      }
      parts.push(text);
      i = j + 1;
      continue;
    }
    if (isLetter(ch)) {
      let count = 1;
      while (pattern[i + count] === ch) count++;
      parts.push(fieldFor(ch, count, pattern));
      i += count;
      continue;
    }
    if (ch === "[" || ch === "]") throw new DateTimePatternError(pattern, "optional sections [ ] are not supported");
    if (ch === "{" || ch === "}" || ch === "#") throw new DateTimePatternError(pattern, `"${ch}" is reserved`);
    parts.push(ch);
    i++;
  }
  return (epochMs: number) => {
    if (!Number.isFinite(epochMs)) throw new RangeError(`not an instant: ${epochMs}`);
    const d = new Date(epochMs);
    let out = "";
    for (const part of parts) out += typeof part === "string" ? part : part(d);
    return out;
  };
}

/** Formats one instant (compiles the pattern each call; compile once with compileDateTimePattern in hot paths). */
export function formatUtc(pattern: string, epochMs: number): string {
  return compileDateTimePattern(pattern)(epochMs);
}
