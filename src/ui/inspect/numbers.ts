/**
 * A view's numbers as one table: what its text alternative shows (a <table>) and what its CSV holds,
 * so the two never disagree. Cells are numbers, text, or null (not measured: an empty CSV cell, a dash
 * on the page).
 */

export type Cell = number | string | null;

export interface NumberTable {
  columns: string[];
  rows: Cell[][];
}

function csvCell(c: Cell): string {
  if (c === null) return '';
  const s = String(c); // NaN and Infinity as such, which pandas and spreadsheets read back
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tableCsv(t: NumberTable): string {
  return [t.columns, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** The table as JSON rows keyed by column (null where not measured). */
export function tableJson(t: NumberTable): Record<string, Cell>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null])));
}
