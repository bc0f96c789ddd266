/** Calendar dates as `YYYY-MM-DD` strings in UTC; whole days only, no time zones to get wrong. */

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Parses `YYYY-MM-DD`; undefined when the text is not of that form or names no real day (2026-02-30). */
export function parseIsoDate(text: string): Date | undefined {
    const m = DATE_PATTERN.exec(text);
    if (!m) return undefined;
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
        return undefined;
    }
    return date;
}

export function isRealDate(text: string): boolean {
    return parseIsoDate(text) !== undefined;
}

export function formatIsoDate(date: Date): string {
    return date.toISOString().slice(0, 10);
}

/** Today's UTC date at midnight. */
export function utcToday(now: Date = new Date()): Date {
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function addDays(date: Date, days: number): Date {
    return new Date(date.getTime() + days * MS_PER_DAY);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: Date, to: Date): number {
    return Math.round((utcToday(to).getTime() - utcToday(from).getTime()) / MS_PER_DAY);
}
