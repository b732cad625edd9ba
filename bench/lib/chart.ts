/** The run's chart: one panel per workload, a bar per server, each peer's bar with Parley's ratio to it. */
import { fmt, type Workload } from "./report.ts";

const COLORS: Record<string, string> = {
  "parley-sqlite": "#1f6feb",
  "parley-memory": "#58a6ff",
  "ws-naive": "#8b949e",
  "node-floor": "#6e7681",
  socketio: "#d29922",
  bun: "#f778ba",
  sink: "#3fb950",
};

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** One panel per workload, a bar per server scaled to the panel's largest value. */
export const svgChart = (ws: Workload[], title: string, subtitle = ""): string => {
  const width = 940;
  const barH = 18;
  const panels: string[] = [];
  let y = subtitle ? 66 : 50;
  for (const w of ws) {
    const entries = w.entries.filter((e) => e.value !== null);
    if (entries.length === 0) continue;
    const max = Math.max(...entries.map((e) => e.value as number));
    panels.push(
      `<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(w.workload)}: ${esc(w.metric)} (${w.better} is better)</text>`,
    );
    y += 8;
    for (const e of entries) {
      const v = e.value as number;
      const len = max > 0 ? Math.max(1, (v / max) * 420) : 1;
      panels.push(
        `<text x="200" y="${y + 13}" font-size="12" text-anchor="end">${esc(e.label)}</text>`,
        `<rect x="210" y="${y}" width="${len.toFixed(1)}" height="${barH - 4}" fill="${COLORS[e.server] ?? "#888"}"/>`,
        `<text x="${(216 + len).toFixed(1)}" y="${y + 12}" font-size="12">${e.floor ? "≥ " : ""}${esc(fmt(v, w.unit))} ${esc(w.unit)}${esc(ratioNote(e.server, e.ratio["parley-sqlite"]))}</text>`,
      );
      y += barH;
    }
    y += 24;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>\n` +
    (subtitle ? `<text x="10" y="44" font-size="12">${esc(subtitle)}</text>\n` : "") +
    `${panels.join("\n")}\n</svg>\n`
  );
};

/** "Parley (SQLite) ÷ this server", on the peers' bars. */
const ratioNote = (server: string, ratio: number | null | undefined): string =>
  server.startsWith("parley") || ratio === undefined || ratio === null ? "" : `  (Parley SQLite: ${ratio}×)`;
