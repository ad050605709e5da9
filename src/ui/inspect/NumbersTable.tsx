/** A view's numbers as a table, folded under the chart: the chart's text alternative. */
import { fmtNum } from '../../format';
import type { Cell, NumberTable } from './numbers';

const show = (c: Cell) => (c === null ? '–' : typeof c === 'number' ? fmtNum(c) : c);

export function NumbersTable({ table, caption }: { table: NumberTable; caption: string }) {
  return (
    <details className="numbers">
      <summary>Numbers ({table.rows.length} rows)</summary>
      <div className="numbers-scroll">
        <table>
          <caption>{caption}</caption>
          <thead>
            <tr>
              {table.columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (
                  <td key={j}>{show(c)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
